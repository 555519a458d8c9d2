using System.Text;

namespace Bakery.Core.Verification;

/// <summary>
/// Reads an env file the way container-structure-test's <c>envFile</c> does (github.com/joho/godotenv):
/// <c>KEY=value</c> or <c>KEY: value</c> lines, an optional <c>export</c>, <c>#</c> comments, single quotes
/// taken literally, double quotes with <c>\n</c>-style escapes and <c>${VAR}</c> expansion from keys
/// earlier in the file, unquoted values trimmed and cut at <c> #</c>. Entries whose key or value is empty are dropped, as CST drops them.
/// </summary>
public static class DotEnvFile
{
    public static IReadOnlyList<KeyValuePair<string, string>> Parse(string text)
    {
        var values = new Dictionary<string, string>(StringComparer.Ordinal);
        var order = new List<string>();
        var source = text.Replace("\r\n", "\n");
        var i = 0;
        while (i < source.Length)
        {
            var lineEnd = source.IndexOf('\n', i);
            if (lineEnd < 0) lineEnd = source.Length;
            var rawLine = source[i..lineEnd];
            var line = rawLine.Trim();
            if (line.Length == 0 || line.StartsWith('#'))
            {
                i = lineEnd + 1;
                continue;
            }
            var keyStart = rawLine.Length - rawLine.TrimStart().Length;
            if (rawLine.AsSpan(keyStart).StartsWith("export ", StringComparison.Ordinal)) keyStart += 7;
            var separator = rawLine.IndexOfAny(['=', ':'], keyStart);
            if (separator < 0 || rawLine[keyStart..separator].Trim().Length == 0) throw new FormatException($"'{line}' is not KEY=value");
            var key = rawLine[keyStart..separator].Trim();
            var valueStart = i + separator + 1;
            while (valueStart < lineEnd && source[valueStart] is ' ' or '\t') valueStart++;
            string value;
            if (valueStart < lineEnd && source[valueStart] is '\'' or '"')
            {
                var quote = source[valueStart];
                var close = valueStart + 1;
                while (close < source.Length && !(source[close] == quote && source[close - 1] != '\\')) close++;
                if (close >= source.Length) throw new FormatException($"the value of {key} has no closing {quote}");
                var raw = source[(valueStart + 1)..close];
                value = quote == '\'' ? raw : Expand(Unescape(raw), values);
                var next = source.IndexOf('\n', close);
                i = next < 0 ? source.Length : next + 1;
            }
            else
            {
                var raw = source[valueStart..Math.Max(valueStart, lineEnd)];
                var comment = raw.IndexOf(" #", StringComparison.Ordinal);
                if (comment >= 0) raw = raw[..comment];
                value = Expand(raw.Trim(), values);
                i = lineEnd + 1;
            }
            if (!values.ContainsKey(key)) order.Add(key);
            values[key] = value;
        }
        return order.Where(k => k.Length > 0 && values[k].Length > 0).Select(k => KeyValuePair.Create(k, values[k])).ToList();
    }

    private static string Unescape(string raw)
    {
        var text = new StringBuilder(raw.Length);
        for (var i = 0; i < raw.Length; i++)
        {
            if (raw[i] != '\\' || i + 1 >= raw.Length) { text.Append(raw[i]); continue; }
            var c = raw[++i];
            text.Append(c switch { 'n' => '\n', 'r' => '\r', 't' => '\t', _ => c });
        }
        return text.ToString();
    }

    private static string Expand(string value, IReadOnlyDictionary<string, string> earlier) =>
        value.Contains('$') ? EnvExpansion.Expand(value.Replace("\\$", "\0"), earlier).Replace('\0', '$') : value;
}
