namespace Bakery.Oci.Layers;

/// <summary>
/// Checks and normalizes entry names the way the image root sees them: relative, '/'-separated,
/// no '..', within Linux's PATH_MAX and NAME_MAX, and nothing that Windows would read as a drive,
/// a UNC share or a separator (so an unpacker on any platform stays inside its root).
/// </summary>
public static class LayerPaths
{
    /// <summary>The normalized path ("" for the root), or an <see cref="UnsafeLayerException"/>.</summary>
    public static string Normalize(string raw, LayerReadLimits limits, string what = "path")
    {
        if (raw.Length == 0) throw new UnsafeLayerException(LayerProblem.BadName, null, $"The entry has an empty {what}.");
        if (raw.Contains('\0')) throw new UnsafeLayerException(LayerProblem.BadName, raw, $"The {what} contains a NUL character.");
        if (LayerNames.ByteCount(raw) > limits.MaxPathLength)
            throw new UnsafeLayerException(LayerProblem.OversizedHeader, Cut(raw), $"The {what} is {LayerNames.ByteCount(raw)} bytes; the limit is {limits.MaxPathLength}.");
        if (raw.StartsWith('/')) throw new UnsafeLayerException(LayerProblem.AbsolutePath, raw, $"Absolute {what}s are not allowed in a layer.");
        CheckWindowsForms(raw, what);
        var parts = new List<string>();
        foreach (var part in raw.Split('/'))
        {
            if (part.Length == 0 || part == ".") continue;
            if (part == "..") throw new UnsafeLayerException(LayerProblem.PathTraversal, raw, $"'..' in a {what} could reach outside the image root.");
            if (LayerNames.ByteCount(part) > limits.MaxNameLength)
                throw new UnsafeLayerException(LayerProblem.OversizedHeader, Cut(raw), $"A name in the {what} is {LayerNames.ByteCount(part)} bytes; the limit is {limits.MaxNameLength}.");
            parts.Add(part);
        }
        return string.Join('/', parts);
    }

    /// <summary>
    /// A drive letter ("C:"), a UNC or device prefix, or a backslash used as a separator. Backslashes
    /// are ordinary characters on Linux; the one form real images use, systemd's "\xNN" escapes
    /// (system-systemd\x2dcryptsetup.slice), is allowed.
    /// </summary>
    private static void CheckWindowsForms(string raw, string what)
    {
        if (raw.Length >= 2 && char.IsAsciiLetter(raw[0]) && raw[1] == ':')
            throw new UnsafeLayerException(LayerProblem.AbsolutePath, raw, $"The {what} starts with a Windows drive letter.");
        for (var i = raw.IndexOf('\\'); i >= 0; i = raw.IndexOf('\\', i + 1))
        {
            var systemdEscape = i + 3 < raw.Length && raw[i + 1] == 'x' && char.IsAsciiHexDigit(raw[i + 2]) && char.IsAsciiHexDigit(raw[i + 3]);
            if (!systemdEscape)
                throw new UnsafeLayerException(LayerProblem.BadName, raw, $"The {what} contains a backslash, which Windows reads as a separator (a UNC share, a drive or '..' on another platform).");
        }
    }

    /// <summary>The parent ("" at the top) and the last name of a normalized path.</summary>
    public static (string Parent, string Name) Split(string path)
    {
        var slash = path.LastIndexOf('/');
        return slash < 0 ? ("", path) : (path[..slash], path[(slash + 1)..]);
    }

    public static string Join(string parent, string name) => parent.Length == 0 ? name : $"{parent}/{name}";

    private static string Cut(string raw) => raw.Length > 96 ? raw[..96] + "…" : raw;
}
