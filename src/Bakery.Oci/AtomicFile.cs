namespace Bakery.Oci;

/// <summary>
/// Writes a file whole or not at all: into a temporary file beside it, then moved over it, so a
/// reader (or a bake stopped half-way) never sees half a cache entry, plan or report.
/// </summary>
public static class AtomicFile
{
    public static void WriteAllText(string path, string content) => Write(path, temporary => File.WriteAllText(temporary, content));

    public static void WriteAllBytes(string path, byte[] content) => Write(path, temporary => File.WriteAllBytes(temporary, content));

    /// <summary>Streams the content (for large cache entries that should not be built as one string).</summary>
    public static void Write(string path, Action<Stream> write) => Write(path, temporary =>
    {
        using var stream = new FileStream(temporary, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 16);
        write(stream);
    });

    private static void Write(string path, Action<string> write)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
        var temporary = $"{path}.tmp-{Guid.NewGuid():N}";
        try
        {
            write(temporary);
            File.Move(temporary, path, overwrite: true);
        }
        finally
        {
            if (File.Exists(temporary)) File.Delete(temporary);
        }
    }
}
