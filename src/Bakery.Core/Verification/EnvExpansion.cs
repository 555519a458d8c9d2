using System.Text;

namespace Bakery.Core.Verification;

/// <summary>
/// <c>$VAR</c> and <c>${VAR}</c> substitution exactly as Go's <c>os.Expand</c> does it, which is how
/// container-structure-test expands file paths, command lines and environment values: an unknown
/// variable becomes empty, <c>$1</c>, <c>$$</c> and the other shell specials are one-character names,
/// a malformed <c>${</c> is dropped, and a <c>$</c> that starts no name stays.
/// </summary>
public static class EnvExpansion
{
    /// <summary>globalEnvVars with their values expanded against the image's environment, as CST's docker driver sets them.</summary>
    public static List<EnvVar> Globals(IReadOnlyDictionary<string, string> image, IEnumerable<EnvVar> globals) =>
        globals.Select(g => g with { Value = Expand(g.Value, image) }).ToList();

    /// <summary>The image's environment with <paramref name="globals"/> (already expanded) applied on top.</summary>
    public static Dictionary<string, string> Merge(IReadOnlyDictionary<string, string> image, IEnumerable<EnvVar> globals)
    {
        var merged = new Dictionary<string, string>(image, StringComparer.Ordinal);
        foreach (var global in globals) merged[global.Key] = global.Value;
        return merged;
    }

    /// <summary>KEY=VALUE entries (an image config's or an engine's Env) as a dictionary; the last of a key wins.</summary>
    public static Dictionary<string, string> Parse(IEnumerable<string> entries)
    {
        var result = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var entry in entries)
        {
            var eq = entry.IndexOf('=');
            if (eq > 0) result[entry[..eq]] = entry[(eq + 1)..];
        }
        return result;
    }

    public static string Expand(string text, IReadOnlyDictionary<string, string> variables) =>
        Expand(text, name => variables.TryGetValue(name, out var value) ? value : "");

    public static string Expand(string text, Func<string, string> lookup)
    {
        StringBuilder? buffer = null;
        var copied = 0;
        for (var j = 0; j < text.Length; j++)
        {
            if (text[j] != '$' || j + 1 >= text.Length) continue;
            buffer ??= new StringBuilder(text.Length * 2);
            buffer.Append(text, copied, j - copied);
            var (name, width) = ShellName(text.AsSpan(j + 1));
            if (name.Length == 0 && width > 0) { } // bad syntax: the characters are eaten
            else if (name.Length == 0) buffer.Append('$');
            else buffer.Append(lookup(name));
            j += width;
            copied = j + 1;
        }
        return buffer is null ? text : buffer.Append(text, copied, text.Length - copied).ToString();
    }

    private static bool IsShellSpecial(char c) => c is '*' or '#' or '$' or '@' or '!' or '?' or '-' or (>= '0' and <= '9');

    private static bool IsAlphaNumeric(char c) => c == '_' || char.IsAsciiLetterOrDigit(c);

    private static (string Name, int Width) ShellName(ReadOnlySpan<char> s)
    {
        if (s[0] == '{')
        {
            if (s.Length > 2 && IsShellSpecial(s[1]) && s[2] == '}') return (s[1].ToString(), 3);
            for (var i = 1; i < s.Length; i++)
                if (s[i] == '}') return i == 1 ? ("", 2) : (s[1..i].ToString(), i + 1);
            return ("", 1);
        }
        if (IsShellSpecial(s[0])) return (s[0].ToString(), 1);
        var n = 0;
        while (n < s.Length && IsAlphaNumeric(s[n])) n++;
        return (s[..n].ToString(), n);
    }
}
