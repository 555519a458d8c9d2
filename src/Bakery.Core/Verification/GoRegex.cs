using System.Collections.Concurrent;
using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;

namespace Bakery.Core.Verification;

/// <summary>
/// Regular expressions as container-structure-test matches them: Go's <c>regexp.MatchString</c>
/// (RE2 syntax, no flags unless the pattern sets them, so <c>^</c> and <c>$</c> anchor the whole
/// text and <c>.</c> stops at a newline; <c>\d \w \s</c> are ASCII). The pattern is translated to
/// the .NET dialect and run with <see cref="RegexOptions.NonBacktracking"/>, which is linear-time
/// like RE2. What RE2 refuses (lookaround, backreferences, atomic groups, unknown escapes) is
/// refused here too, so a check CST cannot run never passes.
/// </summary>
public static class GoRegex
{
    private static readonly ConcurrentDictionary<string, (Regex? Regex, string? Error)> Cache = new(StringComparer.Ordinal);

    /// <summary>Whether <paramref name="pattern"/> matches somewhere in <paramref name="text"/>; an invalid pattern gives an error instead.</summary>
    public static bool IsMatch(string pattern, string text, out string? error)
    {
        var (regex, problem) = Cache.GetOrAdd(pattern, Compile);
        error = problem;
        return regex is not null && regex.IsMatch(text);
    }

    /// <summary>Null when <paramref name="pattern"/> is valid RE2, else why not.</summary>
    public static string? Validate(string pattern) => Cache.GetOrAdd(pattern, Compile).Error;

    private static (Regex?, string?) Compile(string pattern)
    {
        try
        {
            var translated = Translate(pattern);
            return (new Regex(translated, RegexOptions.NonBacktracking | RegexOptions.CultureInvariant), null);
        }
        catch (Exception e) when (e is ArgumentException or NotSupportedException or GoSyntaxException)
        {
            return (null, $"/{pattern}/ is not a valid RE2 regular expression (the syntax container-structure-test uses): {e.Message}");
        }
    }

    private sealed class GoSyntaxException(string message) : Exception(message);

    /// <summary>The .NET pattern that matches what RE2 would match.</summary>
    public static string Translate(string pattern)
    {
        var output = new StringBuilder(pattern.Length + 16);
        // Per open group: the flags in force when it opened, restored when it closes.
        var groups = new Stack<Flags>();
        var flags = new Flags(Multiline: false, Ungreedy: false);
        var inClass = false;
        for (var i = 0; i < pattern.Length; i++)
        {
            var c = pattern[i];
            if (c == '\\')
            {
                i = Escape(pattern, i, output, inClass);
                continue;
            }
            if (inClass)
            {
                if (c == ']' && !AtClassStart(pattern, i)) inClass = false;
                if (c == '[' && i + 1 < pattern.Length && pattern[i + 1] == ':')
                {
                    i = PosixClass(pattern, i, output);
                    continue;
                }
                // .NET reads '-[' as class subtraction and '[' may start one; RE2 reads both literally.
                output.Append(c == '[' ? "\\[" : c.ToString());
                continue;
            }
            switch (c)
            {
                case '[':
                    inClass = true;
                    output.Append('[');
                    if (i + 1 < pattern.Length && pattern[i + 1] == '^') output.Append(pattern[++i]);
                    if (i + 1 < pattern.Length && pattern[i + 1] == ']') { output.Append("\\]"); i++; }
                    break;
                case '(':
                    var outer = flags;
                    (i, var opensGroup) = Group(pattern, i, output, ref flags);
                    if (opensGroup) groups.Push(outer);
                    break;
                case ')':
                    if (groups.Count == 0) throw new GoSyntaxException("unexpected )");
                    flags = groups.Pop();
                    output.Append(')');
                    break;
                case '$':
                    // Without (?m) RE2's '$' is the end of the text only; .NET's would also match before a final newline.
                    output.Append(flags.Multiline ? "$" : "\\z");
                    break;
                case '*' or '+' or '?':
                    output.Append(c);
                    Laziness(pattern, ref i, output, flags);
                    break;
                case '{' when Repetition(pattern, i) is { } end:
                    output.Append(pattern, i, end - i + 1);
                    i = end;
                    Laziness(pattern, ref i, output, flags);
                    break;
                case '{' or '}':
                    output.Append('\\').Append(c);
                    break;
                default:
                    output.Append(c);
                    break;
            }
        }
        if (inClass) throw new GoSyntaxException("missing closing ]");
        if (groups.Count > 0) throw new GoSyntaxException("missing closing )");
        return output.ToString();
    }

    private readonly record struct Flags(bool Multiline, bool Ungreedy);

    private static bool AtClassStart(string pattern, int i) =>
        pattern[i - 1] == '[' || (pattern[i - 1] == '^' && i >= 2 && pattern[i - 2] == '[' && !(i >= 3 && pattern[i - 3] == '\\'));

    /// <summary>RE2's (?U) swaps greedy and lazy; .NET has no such flag, so each quantifier is rewritten.</summary>
    private static void Laziness(string pattern, ref int i, StringBuilder output, Flags flags)
    {
        var lazy = i + 1 < pattern.Length && pattern[i + 1] == '?';
        if (lazy) i++;
        if (lazy != flags.Ungreedy) output.Append('?');
        if (i + 1 < pattern.Length && pattern[i + 1] is '*' or '+' or '?')
            throw new GoSyntaxException($"invalid nested repetition operator: {pattern[i]}{pattern[i + 1]}");
    }

    /// <summary>The index of the '}' closing a valid {n}, {n,} or {n,m} at <paramref name="i"/>; null when it is a literal brace (as RE2 reads it).</summary>
    private static int? Repetition(string pattern, int i)
    {
        var end = pattern.IndexOf('}', i);
        if (end < 0) return null;
        var body = pattern[(i + 1)..end];
        var parts = body.Split(',');
        if (parts.Length > 2 || parts[0].Length == 0 || !parts.All(p => p.All(char.IsAsciiDigit))) return null;
        if (parts.Select(p => p.Length == 0 ? 0 : int.Parse(p.Length > 5 ? "99999" : p, CultureInfo.InvariantCulture)).Any(n => n > 1000))
            throw new GoSyntaxException($"invalid repeat count: {{{body}}}");
        return end;
    }

    /// <summary>Translates a group opening at <paramref name="i"/>; returns where it ends and whether it opened a group (a bare (?flags) does not).</summary>
    private static (int End, bool OpensGroup) Group(string pattern, int i, StringBuilder output, ref Flags flags)
    {
        if (i + 1 >= pattern.Length || pattern[i + 1] != '?')
        {
            output.Append('(');
            return (i, true);
        }
        var rest = pattern.AsSpan(i + 2);
        if (rest.StartsWith("P<") || (rest.StartsWith("<") && !rest.StartsWith("<=") && !rest.StartsWith("<!")))
        {
            var start = i + 2 + (rest[0] == 'P' ? 2 : 1);
            var close = pattern.IndexOf('>', start);
            if (close < 0) throw new GoSyntaxException("invalid named capture");
            var name = pattern[start..close];
            if (name.Length == 0 || !name.All(ch => char.IsAsciiLetterOrDigit(ch) || ch == '_')) throw new GoSyntaxException($"invalid named capture: {name}");
            output.Append("(?<").Append(name).Append('>');
            return (close, true);
        }
        // Inline flags: (?flags) or (?flags:...), flags from i m s U, '-' clears the ones after it.
        var j = i + 2;
        var clear = false;
        var set = new StringBuilder();
        var unset = new StringBuilder();
        var newFlags = flags;
        for (; j < pattern.Length && pattern[j] is not (')' or ':'); j++)
        {
            var f = pattern[j];
            switch (f)
            {
                case '-' when !clear: clear = true; break;
                case 'i' or 'm' or 's':
                    (clear ? unset : set).Append(f);
                    if (f == 'm') newFlags = newFlags with { Multiline = !clear };
                    break;
                case 'U': newFlags = newFlags with { Ungreedy = !clear }; break;
                default: throw new GoSyntaxException($"invalid or unsupported Perl syntax: (?{pattern[(i + 2)..Math.Min(pattern.Length, j + 1)]}");
            }
        }
        if (j >= pattern.Length) throw new GoSyntaxException("missing closing )");
        var options = set.ToString() + (unset.Length > 0 ? "-" + unset : "");
        flags = newFlags;
        if (pattern[j] == ')')
        {
            // A bare (?flags) holds to the end of the enclosing group and opens none.
            if (options.Length > 0) output.Append("(?").Append(options).Append(')');
            return (j, false);
        }
        output.Append("(?").Append(options).Append(':');
        return (j, true);
    }

    private static int PosixClass(string pattern, int i, StringBuilder output)
    {
        var end = pattern.IndexOf(":]", i + 2, StringComparison.Ordinal);
        if (end < 0)
        {
            output.Append("\\[");
            return i;
        }
        var name = pattern[(i + 2)..end];
        var negated = name.StartsWith('^');
        if (negated) throw new GoSyntaxException($"negated POSIX class [:{name}:] inside a bracket is not supported by Bakery's matcher");
        output.Append(name switch
        {
            "alnum" => "0-9A-Za-z",
            "alpha" => "A-Za-z",
            "ascii" => "\\x00-\\x7F",
            "blank" => "\\t ",
            "cntrl" => "\\x00-\\x1F\\x7F",
            "digit" => "0-9",
            "graph" => "!-~",
            "lower" => "a-z",
            "print" => " -~",
            "punct" => "!-/:-@\\[-`{-~",
            "space" => "\\t\\n\\v\\f\\r ",
            "upper" => "A-Z",
            "word" => "0-9A-Za-z_",
            "xdigit" => "0-9A-Fa-f",
            _ => throw new GoSyntaxException($"invalid character class range: [:{name}:]"),
        });
        return end + 1;
    }

    private static int Escape(string pattern, int i, StringBuilder output, bool inClass)
    {
        if (i + 1 >= pattern.Length) throw new GoSyntaxException("trailing backslash at end of expression");
        var c = pattern[i + 1];
        switch (c)
        {
            case 'd': output.Append(inClass ? "0-9" : "[0-9]"); return i + 1;
            case 'D': output.Append(inClass ? "\\x00-/:-\\uFFFF" : "[^0-9]"); return i + 1;
            case 's': output.Append(inClass ? "\\t\\n\\f\\r " : "[\\t\\n\\f\\r ]"); return i + 1;
            case 'S': output.Append(inClass ? "\\x00-\\x08\\x0B\\x0E-\\x1F!-\\uFFFF" : "[^\\t\\n\\f\\r ]"); return i + 1;
            case 'w': output.Append(inClass ? "0-9A-Za-z_" : "[0-9A-Za-z_]"); return i + 1;
            case 'W': output.Append(inClass ? "\\x00-/:-@\\[-^`{-\\uFFFF" : "[^0-9A-Za-z_]"); return i + 1;
            case 'A' or 'z' or 'b' or 'B' when !inClass: output.Append('\\').Append(c); return i + 1;
            case 'a' or 'f' or 't' or 'n' or 'r' or 'v': output.Append('\\').Append(c); return i + 1;
            case 'C' when !inClass: output.Append("[\\s\\S]"); return i + 1;
            case 'Q':
            {
                var end = pattern.IndexOf("\\E", i + 2, StringComparison.Ordinal);
                var literal = end < 0 ? pattern[(i + 2)..] : pattern[(i + 2)..end];
                output.Append(inClass ? Regex.Escape(literal).Replace("]", "\\]") : Regex.Escape(literal));
                return end < 0 ? pattern.Length - 1 : end + 1;
            }
            case 'E': return i + 1; // a stray \E is ignored, as RE2 does
            case 'x': return Hex(pattern, i, output);
            case 'p' or 'P': return Property(pattern, i, output);
            case >= '0' and <= '7':
            {
                // RE2: \0, or two/three octal digits; a lone \1-\7 would be a backreference, which RE2 refuses.
                if (c != '0' && (i + 2 >= pattern.Length || pattern[i + 2] is < '0' or > '7'))
                    throw new GoSyntaxException($"invalid escape sequence: \\{c} (backreferences are not supported)");
                var j = i + 1;
                var value = 0;
                for (var n = 0; n < 3 && j < pattern.Length && pattern[j] is >= '0' and <= '7'; n++, j++) value = value * 8 + (pattern[j] - '0');
                output.Append(CultureInfo.InvariantCulture, $"\\u{value:X4}");
                return j - 1;
            }
            default:
                if (c < 0x80 && (char.IsAsciiLetterOrDigit(c) || c == '_'))
                    throw new GoSyntaxException($"invalid escape sequence: \\{c}");
                output.Append('\\').Append(c);
                return i + 1;
        }
    }

    private static int Hex(string pattern, int i, StringBuilder output)
    {
        int value, end;
        if (i + 2 < pattern.Length && pattern[i + 2] == '{')
        {
            var close = pattern.IndexOf('}', i + 3);
            if (close < 0 || !int.TryParse(pattern[(i + 3)..close], NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out value) || value > 0x10FFFF)
                throw new GoSyntaxException("invalid escape sequence: \\x{");
            end = close;
        }
        else
        {
            if (i + 3 >= pattern.Length || !int.TryParse(pattern.AsSpan(i + 2, 2), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out value))
                throw new GoSyntaxException("invalid escape sequence: \\x");
            end = i + 3;
        }
        var text = char.ConvertFromUtf32(value);
        foreach (var unit in text) output.Append(CultureInfo.InvariantCulture, $"\\u{(int)unit:X4}");
        return end;
    }

    private static int Property(string pattern, int i, StringBuilder output)
    {
        var negated = pattern[i + 1] == 'P';
        string name;
        int end;
        if (i + 2 < pattern.Length && pattern[i + 2] == '{')
        {
            var close = pattern.IndexOf('}', i + 3);
            if (close < 0) throw new GoSyntaxException("invalid character class range: \\p{");
            name = pattern[(i + 3)..close];
            end = close;
        }
        else
        {
            if (i + 2 >= pattern.Length) throw new GoSyntaxException("invalid character class range: \\p");
            name = pattern[i + 2].ToString();
            end = i + 2;
        }
        if (name.StartsWith('^'))
        {
            negated = !negated;
            name = name[1..];
        }
        var dotnet = name switch
        {
            "Any" => null,
            _ when name.Length <= 2 && char.IsAsciiLetterUpper(name[0]) => name,
            _ => "Is" + name, // scripts: .NET knows the Unicode blocks of the same names, close enough for CST files
        };
        if (dotnet is null) output.Append(negated ? "[^\\s\\S]" : "[\\s\\S]");
        else output.Append(negated ? "\\P{" : "\\p{").Append(dotnet).Append('}');
        return end;
    }
}
