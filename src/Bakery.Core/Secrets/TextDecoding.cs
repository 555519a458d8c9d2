using System.Text;

namespace Bakery.Core.Secrets;

/// <summary>
/// Decides how a file's bytes are text: UTF-8 with or without a BOM, UTF-16 LE/BE with a BOM, UTF-16
/// without a BOM when NUL bytes fall on every other byte (as Windows tools write it), or binary.
/// </summary>
internal static class TextDecoding
{
    public const int SampleBytes = 8192;

    public static Encoding? Detect(ReadOnlySpan<byte> head, out int bomLength)
    {
        bomLength = 0;
        if (head.StartsWith((ReadOnlySpan<byte>)[0xEF, 0xBB, 0xBF])) { bomLength = 3; return Utf8; }
        if (head.StartsWith((ReadOnlySpan<byte>)[0xFF, 0xFE]) && !head.StartsWith((ReadOnlySpan<byte>)[0xFF, 0xFE, 0x00, 0x00])) { bomLength = 2; return Encoding.Unicode; }
        if (head.StartsWith((ReadOnlySpan<byte>)[0xFE, 0xFF])) { bomLength = 2; return Encoding.BigEndianUnicode; }

        var sample = head[..Math.Min(head.Length, SampleBytes)];
        if (sample.IndexOf((byte)0) < 0) return LooksBinary(sample) ? null : Utf8;
        return Utf16WithoutBom(sample);
    }

    private static readonly Encoding Utf8 = new UTF8Encoding(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: false);

    /// <summary>ASCII-range text in UTF-16 has a NUL in (nearly) every high byte and (nearly) none in the low bytes.</summary>
    private static Encoding? Utf16WithoutBom(ReadOnlySpan<byte> sample)
    {
        var pairs = sample.Length / 2;
        if (pairs < 2) return null;
        int evenNul = 0, oddNul = 0, controls = 0;
        for (var i = 0; i + 1 < sample.Length; i += 2)
        {
            byte even = sample[i], odd = sample[i + 1];
            if (even == 0) evenNul++;
            if (odd == 0) oddNul++;
            var low = even == 0 ? odd : even;
            if ((even == 0) != (odd == 0) && low < 0x20 && low is not (0x09 or 0x0A or 0x0D)) controls++;
        }
        if (controls * 20 > pairs) return null;
        if (oddNul * 10 >= pairs * 7 && evenNul * 20 <= pairs) return Encoding.Unicode;
        if (evenNul * 10 >= pairs * 7 && oddNul * 20 <= pairs) return Encoding.BigEndianUnicode;
        return null;
    }

    private static readonly System.Buffers.SearchValues<byte> Controls = System.Buffers.SearchValues.Create(
        [0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0x0B, 0x0E, 0x0F, 0x10, 0x11, 0x12, 0x13, 0x14, 0x15, 0x16, 0x17, 0x18, 0x19, 0x1A, 0x1C, 0x1D, 0x1E, 0x1F, 0x7F]);

    /// <summary>Without NUL bytes a file is still binary when control characters are more than a few percent of it.</summary>
    private static bool LooksBinary(ReadOnlySpan<byte> sample)
    {
        if (sample.IndexOfAny(Controls) < 0) return false;
        var controls = 0;
        foreach (var b in sample)
            if (b < 0x20 && b is not (0x09 or 0x0A or 0x0C or 0x0D or 0x1B) || b == 0x7F) controls++;
        return controls * 20 > sample.Length;
    }
}
