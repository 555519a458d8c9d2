using System.Text.RegularExpressions;

namespace Bakery.Core.Secrets;

/// <summary>
/// Known, accepted findings: lines "path-glob rule-or-* reason" (a reason is required, '#' starts a comment).
/// Globs match the finding's place: an image path (<c>/app/fixtures/**</c>), an archive member
/// (<c>/app/lib/*.jar!**</c>) or a configuration field (<c>config:Env[*]</c>).
/// </summary>
public sealed class SecretAllowlist
{
    private readonly List<(Regex Path, string Rule, string Reason)> _entries = [];

    public static readonly SecretAllowlist Empty = new();

    /// <summary>The allowlist's text, so cached verdicts depend on it.</summary>
    public string Fingerprint { get; private set; } = "";

    public static SecretAllowlist Load(string? path)
    {
        var list = new SecretAllowlist();
        if (string.IsNullOrWhiteSpace(path)) return list;
        if (!File.Exists(path)) throw Messages.BAKE502("BakerySecretAllowlist", path, "the file does not exist").Exception();
        list.Fingerprint = File.ReadAllText(path);
        var number = 0;
        foreach (var raw in File.ReadLines(path))
        {
            number++;
            var line = raw.Trim();
            if (line.Length == 0 || line.StartsWith('#')) continue;
            var parts = line.Split((char[]?)null, 3, StringSplitOptions.RemoveEmptyEntries);
            if (parts.Length < 3)
                throw Messages.BAKE502("BakerySecretAllowlist", $"{path}:{number}", "each line is 'path-glob rule reason': say why the finding is acceptable").Exception();
            list._entries.Add((Glob(parts[0]), parts[1], parts[2]));
        }
        return list;
    }

    private static Regex Glob(string glob) =>
        new("^" + Regex.Escape(glob).Replace(@"\*\*", ".*").Replace(@"\*", "[^/!]*").Replace(@"\?", "[^/!]") + "$", RegexOptions.CultureInvariant);

    public string? Reason(string path, string rule) =>
        _entries.FirstOrDefault(e => (e.Rule == "*" || e.Rule == rule) && e.Path.IsMatch(path)).Reason;
}
