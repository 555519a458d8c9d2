using System.Globalization;
using System.Text;

namespace Bakery.Oci.Layers;

/// <summary>
/// The data regions of a sparse file, from any of the forms GNU tar writes: the old GNU 'S' header
/// (with extension blocks), PAX format 0.0 (repeated GNU.sparse.offset/numbytes), 0.1
/// (GNU.sparse.map) and 1.0 (the map in front of the data). The file is exposed at its logical size,
/// holes read as zeros, as Go's archive/tar (and so every runtime) unpacks it.
/// </summary>
internal static class SparseMap
{
    public sealed record Sparse(IReadOnlyList<(long Offset, long Length)> Regions, long RealSize, string? Name, bool MapInData);

    /// <summary>A PAX sparse description, or null when the records describe no sparse file.</summary>
    public static Sparse? FromPax(PaxRecords pax, string entry)
    {
        var major = pax["GNU.sparse.major"];
        var minor = pax["GNU.sparse.minor"];
        if (major is not null || minor is not null)
        {
            if (major != "1" || minor != "0")
                throw Bad(entry, $"sparse format {major}.{minor} is not supported (GNU formats 0.0, 0.1 and 1.0 are)");
            var real = pax.Integer("GNU.sparse.realsize", entry) ?? throw Bad(entry, "GNU.sparse.realsize is missing");
            return new Sparse([], real, pax["GNU.sparse.name"], MapInData: true);
        }
        if (pax["GNU.sparse.map"] is { } map)
        {
            var size = pax.Integer("GNU.sparse.size", entry) ?? throw Bad(entry, "GNU.sparse.size is missing");
            var numbers = map.Length == 0 ? [] : map.Split(',').Select(n => Parse(n, entry)).ToList();
            if (numbers.Count % 2 != 0) throw Bad(entry, "GNU.sparse.map has an odd number of values");
            return new Sparse(Pairs(numbers), size, pax["GNU.sparse.name"], MapInData: false);
        }
        if (pax.Has("GNU.sparse.offset") || pax.Has("GNU.sparse.numbytes"))
        {
            var size = pax.Integer("GNU.sparse.size", entry) ?? throw Bad(entry, "GNU.sparse.size is missing");
            var numbers = new List<long>();
            string? expect = "GNU.sparse.offset";
            foreach (var (key, value) in pax.All)
            {
                if (key is not ("GNU.sparse.offset" or "GNU.sparse.numbytes")) continue;
                if (key != expect) throw Bad(entry, "GNU.sparse.offset and GNU.sparse.numbytes do not alternate");
                numbers.Add(Parse(value, entry));
                expect = key == "GNU.sparse.offset" ? "GNU.sparse.numbytes" : "GNU.sparse.offset";
            }
            if (numbers.Count % 2 != 0) throw Bad(entry, "a GNU.sparse.offset has no GNU.sparse.numbytes");
            return new Sparse(Pairs(numbers), size, pax["GNU.sparse.name"], MapInData: false);
        }
        if (pax.Has("GNU.sparse.")) throw Bad(entry, "GNU.sparse records describe no sparse map");
        return null;
    }

    /// <summary>Format 1.0: decimal numbers, one per line, at the start of the data, padded to a block. Returns the bytes consumed.</summary>
    public static (List<(long, long)> Regions, long Consumed) ReadDataMap(Stream data, long available, LayerReadLimits limits, string entry)
    {
        var consumed = 0L;
        var block = new byte[TarBlocks.Size];
        var pending = new StringBuilder();
        var numbers = new List<long>();
        long? count = null;
        while (count is null || numbers.Count < count * 2)
        {
            if (consumed + TarBlocks.Size > Math.Min(available, limits.MaxExtendedHeaderSize))
                throw Bad(entry, "the sparse map runs past the entry or the extended header limit");
            if (data.ReadAtLeast(block, block.Length, throwOnEndOfStream: false) < block.Length)
                throw new UnsafeLayerException(LayerProblem.Truncated, entry, "The layer ends inside a sparse map.");
            consumed += TarBlocks.Size;
            foreach (var b in block)
            {
                if (count is not null && numbers.Count >= count * 2) break;
                if (b == '\n')
                {
                    var n = Parse(pending.ToString(), entry);
                    pending.Clear();
                    if (count is null)
                    {
                        if (n > limits.MaxSparseRegions) throw Bad(entry, $"{n} sparse regions exceed the limit of {limits.MaxSparseRegions}");
                        count = n;
                    }
                    else numbers.Add(n);
                }
                else if (b is >= (byte)'0' and <= (byte)'9' && pending.Length < 20) pending.Append((char)b);
                else throw Bad(entry, "the sparse map holds something other than decimal numbers");
            }
        }
        return (Pairs(numbers), consumed);
    }

    /// <summary>The old GNU 'S' header: four regions in the header, more in extension blocks.</summary>
    public static Sparse FromOldGnu(byte[] header, Stream tar, LayerReadLimits limits, string entry)
    {
        var numbers = new List<long>();
        void Regions(ReadOnlySpan<byte> area, int count)
        {
            for (var i = 0; i < count; i++)
            {
                var offset = area.Slice(i * 24, 12);
                var length = area.Slice(i * 24 + 12, 12);
                if (offset[0] == 0 && length[0] == 0) break;
                numbers.Add(TarBlocks.Number(offset, "sparse offset", entry));
                numbers.Add(TarBlocks.Number(length, "sparse length", entry));
            }
        }
        Regions(header.AsSpan(386, 96), 4);
        var extended = header[482] != 0;
        var realSize = TarBlocks.Number(header.AsSpan(483, 12), "sparse real size", entry);
        var blocks = 0;
        var block = new byte[TarBlocks.Size];
        while (extended)
        {
            if (++blocks * TarBlocks.Size > limits.MaxExtendedHeaderSize || numbers.Count / 2 > limits.MaxSparseRegions)
                throw Bad(entry, "the sparse map exceeds the extended header limit");
            if (tar.ReadAtLeast(block, block.Length, throwOnEndOfStream: false) < block.Length)
                throw new UnsafeLayerException(LayerProblem.Truncated, entry, "The layer ends inside a sparse map.");
            Regions(block.AsSpan(0, 504), 21);
            extended = block[504] != 0;
        }
        return new Sparse(Pairs(numbers), realSize, null, MapInData: false);
    }

    /// <summary>Regions must be in order, not overlap, stay inside the file and add up to the stored data.</summary>
    public static void Validate(IReadOnlyList<(long Offset, long Length)> regions, long realSize, long stored, LayerReadLimits limits, string entry)
    {
        if (regions.Count > limits.MaxSparseRegions) throw Bad(entry, $"{regions.Count} sparse regions exceed the limit of {limits.MaxSparseRegions}");
        if (realSize > limits.MaxEntrySize)
            throw new UnsafeLayerException(LayerProblem.TooLarge, entry, $"The sparse file's logical size is {realSize} bytes; the limit is {limits.MaxEntrySize}.");
        long end = 0, total = 0;
        foreach (var (offset, length) in regions)
        {
            if (offset < 0 || length < 0 || offset > long.MaxValue - length) throw Bad(entry, "a sparse region is negative or overflows");
            if (offset < end) throw Bad(entry, "sparse regions overlap or are out of order");
            if (offset + length > realSize) throw Bad(entry, "a sparse region lies past the file's logical size");
            end = offset + length;
            total += length;
        }
        if (total != stored) throw Bad(entry, $"the sparse map describes {total} bytes of data but the entry stores {stored}");
    }

    private static List<(long, long)> Pairs(List<long> numbers)
    {
        var pairs = new List<(long, long)>(numbers.Count / 2);
        for (var i = 0; i + 1 < numbers.Count; i += 2) pairs.Add((numbers[i], numbers[i + 1]));
        return pairs;
    }

    private static long Parse(string text, string entry) =>
        long.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var n) ? n : throw Bad(entry, $"'{LayerNames.Escape(text)}' in the sparse map is not a number");

    private static UnsafeLayerException Bad(string entry, string what) => new(LayerProblem.BadSparse, entry, $"Bad sparse file: {what}.");
}
