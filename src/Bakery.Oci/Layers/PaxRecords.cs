using System.Globalization;
using System.Text;

namespace Bakery.Oci.Layers;

/// <summary>
/// The records of a PAX extended header ("len key=value\n"), in order and with repeats kept
/// (GNU sparse format 0.0 repeats its offset/numbytes keys). Values of path-like keys are decoded
/// losslessly; a malformed record refuses the layer, as in Go's archive/tar.
/// </summary>
internal sealed class PaxRecords
{
    private readonly List<(string Key, string Value)> _records = [];

    public IReadOnlyList<(string Key, string Value)> All => _records;

    public string? this[string key]
    {
        get
        {
            for (var i = _records.Count - 1; i >= 0; i--)
                if (_records[i].Key == key) return _records[i].Value;
            return null;
        }
    }

    public bool Has(string prefix) => _records.Any(r => r.Key.StartsWith(prefix, StringComparison.Ordinal));

    public static PaxRecords Parse(byte[] data)
    {
        var result = new PaxRecords();
        var i = 0;
        while (i < data.Length)
        {
            var space = Array.IndexOf(data, (byte)' ', i);
            if (space < 0 || space == i || space - i > 20) throw Bad("a record has no length");
            if (!long.TryParse(Encoding.ASCII.GetString(data, i, space - i), NumberStyles.None, CultureInfo.InvariantCulture, out var length)
                || length <= space - i + 1 || length > data.Length - i || data[i + (int)length - 1] != (byte)'\n')
                throw Bad("a record's length does not match its text");
            var record = data.AsSpan(space + 1, i + (int)length - space - 2);
            var eq = record.IndexOf((byte)'=');
            if (eq <= 0) throw Bad("a record has no key");
            var key = Encoding.UTF8.GetString(record[..eq]);
            var value = record[(eq + 1)..];
            if (key is "path" or "linkpath" or "uname" or "gname" or "GNU.sparse.name" && value.Contains((byte)0))
                throw new UnsafeLayerException(LayerProblem.BadName, null, $"The PAX record '{key}' contains a NUL character.");
            result._records.Add((key, LayerNames.Decode(value)));
            i += (int)length;
        }
        return result;
    }

    public long? Integer(string key, string? entry, long min = 0)
    {
        if (this[key] is not { } text) return null;
        return long.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var v) && v >= min
            ? v : throw TarBlocks.Malformed(entry, $"the PAX record {key}='{LayerNames.Escape(text)}' is not a valid number");
    }

    /// <summary>PAX times are decimal seconds with an optional fraction: "1700000000.5", "-1.25".</summary>
    public long? Time(string key, string? entry)
    {
        if (this[key] is not { } text) return null;
        var dot = text.IndexOf('.');
        var whole = dot < 0 ? text : text[..dot];
        if (whole is "" or "-") whole += "0";
        if (!long.TryParse(whole, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var seconds)
            || (dot >= 0 && !text.AsSpan(dot + 1).ContainsOnlyDigits()))
            throw TarBlocks.Malformed(entry, $"the PAX record {key}='{LayerNames.Escape(text)}' is not a time");
        return seconds;
    }

    private static UnsafeLayerException Bad(string what) => TarBlocks.Malformed(null, $"a PAX extended header is malformed ({what})");
}

internal static class SpanDigits
{
    public static bool ContainsOnlyDigits(this ReadOnlySpan<char> text)
    {
        foreach (var c in text) if (!char.IsAsciiDigit(c)) return false;
        return true;
    }
}
