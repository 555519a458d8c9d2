using System.Globalization;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace Bakery.Core.Verification;

/// <summary>
/// One YAML mapping of a verification file, read with the rules of gopkg.in/yaml.v2 (which
/// container-structure-test decodes with, strictly): keys are case-sensitive and must be known,
/// <c>&lt;&lt;</c> merges are followed, a plain <c>~</c>/<c>null</c>/<c>Null</c>/<c>NULL</c>/empty value is
/// null (an absent list, an empty string, false, 0), a number or bool given for a string field is
/// its text, bools are YAML 1.1 words (true/yes/on…), ints may be 0x/0o/0b/octal with '_'. Every
/// problem is BAKE300 with the file and line, and says whether the key is unknown (with a
/// "did you mean"), the wrong type, or a duplicate.
/// </summary>
internal sealed partial class YamlFields
{
    private const string NullTag = "tag:yaml.org,2002:null";
    private static readonly string[] NullWords = ["", "~", "null", "Null", "NULL"];
    private static readonly string[] TrueWords = ["y", "Y", "yes", "Yes", "YES", "true", "True", "TRUE", "on", "On", "ON"];
    private static readonly string[] FalseWords = ["n", "N", "no", "No", "NO", "false", "False", "FALSE", "off", "Off", "OFF"];

    private readonly Dictionary<string, (YamlNode Key, YamlNode Value)> _fields = new(StringComparer.Ordinal);

    public YamlFields(YamlMappingNode node, string file, string what, IReadOnlyList<string> allowed, IReadOnlyList<string> allKnownKeys,
        IReadOnlyDictionary<string, string>? renamed = null)
    {
        File = file;
        What = what;
        Line = (int)node.Start.Line;
        foreach (var (key, value) in Flatten(node, file))
        {
            if (key is not YamlScalarNode { Value: { } name })
                throw Error(key, $"a key of {what} must be a plain name, not a {Kind(key)}");
            if (!allowed.Contains(name) && renamed?.ContainsKey(name) != true)
                throw Error(key, $"unknown key '{name}' in {what}{Suggestion(name, allowed, allKnownKeys)} (allowed here: {string.Join(", ", allowed)})");
            if (!_fields.TryAdd(name, (key, value)))
                throw Error(key, $"duplicate key '{name}' in {what} (first at line {_fields[name].Key.Start.Line})");
        }
        if (renamed is null) return;
        foreach (var (old, current) in renamed)
        {
            if (!_fields.Remove(old, out var field)) continue;
            if (_fields.TryGetValue(current, out var both))
                throw Error(both.Key, $"'{old}' (line {field.Key.Start.Line}) and '{current}' are the same key in {what}: container-structure-test 1.13 renamed '{old}' to '{current}'; keep '{current}'");
            _fields[current] = field;
            Warnings.Add(Messages.BAKE335(file, field.Key.Start.Line, old, current).Warning());
        }
    }

    public string File { get; }
    public string What { get; }
    public int Line { get; }
    public List<BakeryDiagnostic> Warnings { get; } = [];

    public bool Has(string key) => _fields.ContainsKey(key);

    public int LineOf(string key) => _fields.TryGetValue(key, out var f) ? (int)f.Key.Start.Line : Line;

    public BakeryException Error(string key, string problem) => Messages.BAKE300(File, LineOf(key), problem).Exception();

    private BakeryException Error(YamlNode node, string problem) => Messages.BAKE300(File, (int)node.Start.Line, problem).Exception();

    /// <summary>Absent: null. Null: "" (yaml.v2's zero string). A number or bool: its text.</summary>
    public string? String(string key)
    {
        if (!_fields.TryGetValue(key, out var field)) return null;
        return ScalarText(field.Value, $"'{key}' in {What} must be a single value");
    }

    public string Required(string key)
    {
        var value = String(key);
        return string.IsNullOrEmpty(value) ? throw Error(key, $"'{key}' is required in {What} and must not be empty") : value;
    }

    public bool? Bool(string key)
    {
        if (!_fields.TryGetValue(key, out var field)) return null;
        var text = ScalarText(field.Value, $"'{key}' in {What} must be true or false");
        if (IsNull(field.Value)) return false;
        if (TrueWords.Contains(text)) return true;
        if (FalseWords.Contains(text)) return false;
        throw Error(field.Value, $"'{key}' in {What} must be true or false, not '{text}'");
    }

    public int? Int(string key)
    {
        if (!_fields.TryGetValue(key, out var field)) return null;
        var text = ScalarText(field.Value, $"'{key}' in {What} must be a whole number");
        if (IsNull(field.Value)) return 0;
        return ParseInt(text) ?? throw Error(field.Value, $"'{key}' in {What} must be a whole number, not '{text}'");
    }

    /// <summary>Absent or null: null (not checked). Each item a scalar, as text.</summary>
    public List<string>? Strings(string key)
    {
        if (Sequence(key, "a list of strings") is not { } items) return null;
        return items.Select(n => ScalarText(n, $"each item of '{key}' in {What} must be a single value, not a {Kind(n)}")).ToList();
    }

    /// <summary>A list of mappings (test entries, key/value pairs); absent or null: empty.</summary>
    public IEnumerable<YamlMappingNode> Mappings(string key, string itemName)
    {
        foreach (var item in Sequence(key, $"a list of {itemName} entries") ?? [])
            yield return item as YamlMappingNode ?? throw Error(item, $"each item of '{key}' must be a mapping ({itemName} entry), not a {Kind(item)}");
    }

    /// <summary>A nested mapping; absent or null: null.</summary>
    public YamlMappingNode? Mapping(string key)
    {
        if (!_fields.TryGetValue(key, out var field) || IsNull(field.Value)) return null;
        return field.Value as YamlMappingNode ?? throw Error(field.Value, $"'{key}' must be a mapping, not a {Kind(field.Value)}");
    }

    /// <summary>setup/teardown: a list of commands, each a list of strings.</summary>
    public List<IReadOnlyList<string>> Commands(string key)
    {
        var commands = new List<IReadOnlyList<string>>();
        foreach (var item in Sequence(key, "a list of commands, each a list of strings like [\"touch\", \"/tmp/x\"]") ?? [])
        {
            if (item is not YamlSequenceNode command)
                throw Error(item, $"each item of '{key}' in {What} must be a list of strings like [\"touch\", \"/tmp/x\"], not a {Kind(item)}");
            var words = command.Select(n => ScalarText(n, $"each word of a '{key}' command must be a single value")).ToList();
            if (words.Count == 0) throw Error(item, $"a '{key}' command in {What} is empty");
            commands.Add(words);
        }
        return commands;
    }

    private List<YamlNode>? Sequence(string key, string expected)
    {
        if (!_fields.TryGetValue(key, out var field) || IsNull(field.Value)) return null;
        return field.Value is YamlSequenceNode seq ? seq.Children.ToList()
            : throw Error(field.Value, $"'{key}' in {What} must be {expected}, not a {Kind(field.Value)}");
    }

    private string ScalarText(YamlNode node, string problem)
    {
        if (node is not YamlScalarNode scalar) throw Error(node, $"{problem}, not a {Kind(node)}");
        return IsNull(node) ? "" : scalar.Value ?? "";
    }

    public static bool IsNull(YamlNode node) => node is YamlScalarNode s && (s.Tag.IsEmpty || s.Tag.IsNonSpecific
        ? s.Style == ScalarStyle.Plain && NullWords.Contains(s.Value ?? "")
        : s.Tag.Value == NullTag);

    /// <summary>yaml.v2's int resolution: '_' ignored, sign, 0x/0o/0b or a leading 0 for octal; a float is truncated.</summary>
    public static int? ParseInt(string text)
    {
        var plain = text.Replace("_", "", StringComparison.Ordinal).Trim();
        if (plain.Length == 0) return null;
        var negative = plain[0] == '-';
        var digits = plain[0] is '-' or '+' ? plain[1..] : plain;
        (int Base, string Digits) form = digits switch
        {
            _ when digits.StartsWith("0x", StringComparison.OrdinalIgnoreCase) => (16, digits[2..]),
            _ when digits.StartsWith("0o", StringComparison.OrdinalIgnoreCase) => (8, digits[2..]),
            _ when digits.StartsWith("0b", StringComparison.OrdinalIgnoreCase) => (2, digits[2..]),
            _ when digits.Length > 1 && digits[0] == '0' && digits.All(char.IsAsciiDigit) => (8, digits[1..]),
            _ => (10, digits),
        };
        if (form.Digits.Length > 0 && form.Digits.All(char.IsAsciiHexDigit))
        {
            try
            {
                var value = Convert.ToInt64(form.Digits, form.Base);
                value = negative ? -value : value;
                if (value is >= int.MinValue and <= int.MaxValue) return (int)value;
            }
            catch (Exception e) when (e is FormatException or OverflowException or ArgumentException) { } // maybe a float, as for yaml.v2
        }
        if (YamlFloat().IsMatch(plain) && double.TryParse(plain, NumberStyles.Float, CultureInfo.InvariantCulture, out var real) && real is >= int.MinValue and <= int.MaxValue)
            return (int)Math.Truncate(real);
        return null;
    }

    [System.Text.RegularExpressions.GeneratedRegex(@"^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$")]
    private static partial System.Text.RegularExpressions.Regex YamlFloat();

    private static string Kind(YamlNode node) => node switch
    {
        YamlSequenceNode => "list",
        YamlMappingNode => "mapping",
        _ => "single value",
    };

    /// <summary>Explicit entries first; a '&lt;&lt;' merge adds the keys they do not set (yaml.v2 order).</summary>
    private static IEnumerable<(YamlNode Key, YamlNode Value)> Flatten(YamlMappingNode node, string file)
    {
        var merges = new List<YamlMappingNode>();
        var own = new List<(YamlNode, YamlNode)>();
        foreach (var (key, value) in node.Children)
        {
            if (key is YamlScalarNode { Value: "<<", Style: ScalarStyle.Plain })
            {
                if (value is YamlMappingNode single) merges.Add(single);
                else if (value is YamlSequenceNode many && many.All(m => m is YamlMappingNode)) merges.AddRange(many.Cast<YamlMappingNode>());
                else throw Messages.BAKE300(file, (int)key.Start.Line, "a '<<' merge must name a mapping or a list of mappings").Exception();
                continue;
            }
            own.Add((key, value));
        }
        var seen = own.Select(o => (o.Item1 as YamlScalarNode)?.Value).ToHashSet(StringComparer.Ordinal);
        foreach (var entry in own) yield return entry;
        foreach (var merged in merges)
            foreach (var (key, value) in Flatten(merged, file))
                if (seen.Add((key as YamlScalarNode)?.Value)) yield return (key, value);
    }

    /// <summary>"; did you mean 'shouldExist'?" for a near miss here, or where the key belongs when it is known elsewhere.</summary>
    private static string Suggestion(string name, IReadOnlyList<string> allowed, IReadOnlyList<string> allKnown)
    {
        var near = allowed.Select(a => (Key: a, Distance: Distance(name, a)))
            .Where(c => c.Distance <= Math.Max(1, Math.Min(3, c.Key.Length / 3)) || string.Equals(c.Key, name, StringComparison.OrdinalIgnoreCase))
            .OrderBy(c => c.Distance).Select(c => c.Key).FirstOrDefault();
        if (near is not null) return $"; did you mean '{near}'?";
        return allKnown.Contains(name) ? $" ('{name}' is a key of another section)" : "";
    }

    /// <summary>Optimal string alignment distance, case-insensitive (a case slip counts as one edit).</summary>
    private static int Distance(string a, string b)
    {
        var d = new int[a.Length + 1, b.Length + 1];
        for (var i = 0; i <= a.Length; i++) d[i, 0] = i;
        for (var j = 0; j <= b.Length; j++) d[0, j] = j;
        for (var i = 1; i <= a.Length; i++)
            for (var j = 1; j <= b.Length; j++)
            {
                var cost = a[i - 1] == b[j - 1] ? 0 : char.ToLowerInvariant(a[i - 1]) == char.ToLowerInvariant(b[j - 1]) ? 1 : 2;
                cost = Math.Min(cost, 1);
                d[i, j] = Math.Min(Math.Min(d[i - 1, j] + 1, d[i, j - 1] + 1), d[i - 1, j - 1] + cost);
                if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1]) d[i, j] = Math.Min(d[i, j], d[i - 2, j - 2] + 1);
            }
        return d[a.Length, b.Length];
    }
}
