using System.Globalization;
using System.Text;

namespace Bakery.Oci.Layers;

/// <summary>
/// Names as layers carry them: bytes, usually UTF-8. They are decoded losslessly (an invalid byte
/// becomes the lone surrogate U+DC00+byte, as Python's surrogateescape does, so two different byte
/// names never decode to one string) and escaped for display, so that NUL, control characters,
/// bidirectional overrides and invalid UTF-8 never reach a terminal or a log raw.
/// </summary>
public static class LayerNames
{
    private static readonly UTF8Encoding Strict = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    public static string Decode(ReadOnlySpan<byte> bytes)
    {
        if (System.Text.Unicode.Utf8.IsValid(bytes)) return Strict.GetString(bytes);
        var text = new StringBuilder(bytes.Length);
        var i = 0;
        while (i < bytes.Length)
        {
            var status = System.Text.Rune.DecodeFromUtf8(bytes[i..], out var rune, out var consumed);
            if (status == System.Buffers.OperationStatus.Done)
            {
                text.Append(rune.ToString());
                i += consumed;
            }
            else
            {
                text.Append((char)(0xDC00 + bytes[i]));
                i++;
            }
        }
        return text.ToString();
    }

    /// <summary>The bytes a decoded name came from (lone surrogates U+DC80–U+DCFF back to their byte).</summary>
    public static byte[] Encode(string name)
    {
        var output = new List<byte>(name.Length);
        Span<byte> buffer = stackalloc byte[4];
        for (var i = 0; i < name.Length; i++)
        {
            var c = name[i];
            if (char.IsHighSurrogate(c) && i + 1 < name.Length && char.IsLowSurrogate(name[i + 1]))
            {
                var n = new Rune(c, name[++i]).EncodeToUtf8(buffer);
                output.AddRange(buffer[..n].ToArray());
            }
            else if (c is >= '\uDC80' and <= '\uDCFF') output.Add((byte)(c - 0xDC00));
            else if (char.IsSurrogate(c)) output.AddRange([0xEF, 0xBF, 0xBD]);
            else
            {
                var n = new Rune(c).EncodeToUtf8(buffer);
                output.AddRange(buffer[..n].ToArray());
            }
        }
        return [.. output];
    }

    public static int ByteCount(string name)
    {
        var count = 0;
        for (var i = 0; i < name.Length; i++)
        {
            var c = name[i];
            if (char.IsHighSurrogate(c) && i + 1 < name.Length && char.IsLowSurrogate(name[i + 1])) { count += 4; i++; }
            else if (c is >= '\uDC80' and <= '\uDCFF') count += 1;
            else count += c < 0x80 ? 1 : c < 0x800 ? 2 : 3;
        }
        return count;
    }

    /// <summary>
    /// The name safe to print: backslash as \\, control characters as \n, \t or \xNN, invalid bytes
    /// as \xNN, bidirectional controls and other format characters as \u{NNNN}; very long names are cut.
    /// </summary>
    public static string Escape(string? name, int max = 512)
    {
        if (name is null) return "";
        var text = new StringBuilder(Math.Min(name.Length, max) + 8);
        for (var i = 0; i < name.Length; i++)
        {
            if (text.Length >= max) { text.Append($"…(+{name.Length - i} chars)"); break; }
            var c = name[i];
            switch (c)
            {
                case '\\': text.Append(@"\\"); continue;
                case '\n': text.Append(@"\n"); continue;
                case '\r': text.Append(@"\r"); continue;
                case '\t': text.Append(@"\t"); continue;
                case '\'': text.Append(@"\'"); continue;
            }
            if (c is >= '\uDC80' and <= '\uDCFF' && !(i > 0 && char.IsHighSurrogate(name[i - 1])))
            {
                text.Append(CultureInfo.InvariantCulture, $"\\x{c - 0xDC00:x2}");
                continue;
            }
            if (char.IsHighSurrogate(c) && i + 1 < name.Length && char.IsLowSurrogate(name[i + 1]))
            {
                text.Append(c).Append(name[++i]);
                continue;
            }
            if (char.IsSurrogate(c) || c < 0x20 || c is >= '\u007f' and <= '\u009f')
            {
                text.Append(c <= 0xff ? string.Create(CultureInfo.InvariantCulture, $"\\x{(int)c:x2}") : string.Create(CultureInfo.InvariantCulture, $"\\u{{{(int)c:x4}}}"));
                continue;
            }
            var category = char.GetUnicodeCategory(c);
            if (category is UnicodeCategory.Format or UnicodeCategory.LineSeparator or UnicodeCategory.ParagraphSeparator or UnicodeCategory.OtherNotAssigned or UnicodeCategory.PrivateUse)
            {
                text.Append(CultureInfo.InvariantCulture, $"\\u{{{(int)c:x4}}}");
                continue;
            }
            text.Append(c);
        }
        return text.ToString();
    }
}
