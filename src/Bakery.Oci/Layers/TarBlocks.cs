using System.Text;

namespace Bakery.Oci.Layers;

/// <summary>The byte-level rules of tar headers, as Go's archive/tar reads them.</summary>
internal static class TarBlocks
{
    public const int Size = 512;

    public static void Skip(Stream tar, long count, string? entry)
    {
        if (count <= 0) return;
        var buffer = System.Buffers.ArrayPool<byte>.Shared.Rent((int)Math.Min(count, 65536));
        try
        {
            while (count > 0)
            {
                var read = tar.Read(buffer, 0, (int)Math.Min(buffer.Length, count));
                if (read == 0) throw new UnsafeLayerException(LayerProblem.Truncated, entry, "The layer ends inside an entry.");
                count -= read;
            }
        }
        finally
        {
            System.Buffers.ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    public static void SkipPadding(Stream tar, long size, string? entry) => Skip(tar, (Size - size % Size) % Size, entry);

    public static byte[] ReadExact(Stream tar, long size, string? entry)
    {
        var data = new byte[size];
        if (tar.ReadAtLeast(data, data.Length, throwOnEndOfStream: false) < size)
            throw new UnsafeLayerException(LayerProblem.Truncated, entry, "The layer ends inside an entry.");
        return data;
    }

    /// <summary>Old writers summed the header as signed bytes; both sums are accepted, as Go and GNU tar do.</summary>
    public static bool ChecksumMatches(byte[] header, out long stored, out long unsigned)
    {
        unsigned = 0;
        long signed = 0;
        for (var i = 0; i < Size; i++)
        {
            var b = i is >= 148 and < 156 ? (byte)' ' : header[i];
            unsigned += b;
            signed += (sbyte)b;
        }
        if (!TryOctal(header.AsSpan(148, 8), out stored)) return false;
        return stored == unsigned || stored == signed;
    }

    /// <summary>A numeric field: octal (spaces and NULs around it allowed) or GNU base-256.</summary>
    public static long Number(ReadOnlySpan<byte> field, string what, string? entry, bool allowNegative = false)
    {
        if (field.Length > 0 && (field[0] & 0x80) != 0)
        {
            var negative = (field[0] & 0x40) != 0;
            if (negative && !allowNegative) throw Malformed(entry, $"the {what} field is negative");
            var inv = negative ? (byte)0xff : (byte)0;
            ulong value = 0;
            for (var i = 0; i < field.Length; i++)
            {
                var b = (byte)(field[i] ^ inv);
                if (i == 0) b &= 0x7f;
                if (value > (ulong.MaxValue >> 8)) throw Malformed(entry, $"the {what} field overflows");
                value = (value << 8) | b;
            }
            if (value > long.MaxValue) throw Malformed(entry, $"the {what} field overflows");
            return negative ? ~(long)value : (long)value;
        }
        return TryOctal(field, out var octal) ? octal : throw Malformed(entry, $"the {what} field '{LayerNames.Escape(Encoding.ASCII.GetString(field))}' is not an octal number");
    }

    private static bool TryOctal(ReadOnlySpan<byte> field, out long value)
    {
        value = 0;
        var trimmed = field.Trim((ReadOnlySpan<byte>)[(byte)' ', 0]);
        foreach (var b in trimmed)
        {
            if (b is < (byte)'0' or > (byte)'7' || value > (long.MaxValue >> 3)) return false;
            value = (value << 3) | (uint)(b - '0');
        }
        return true;
    }

    /// <summary>A NUL-terminated field, decoded losslessly.</summary>
    public static string CString(ReadOnlySpan<byte> bytes)
    {
        var end = bytes.IndexOf((byte)0);
        return LayerNames.Decode(end >= 0 ? bytes[..end] : bytes);
    }

    public static UnsafeLayerException Malformed(string? entry, string what) =>
        new(LayerProblem.BadHeader, string.IsNullOrEmpty(entry) ? null : entry, $"Malformed tar header: {what}.");
}
