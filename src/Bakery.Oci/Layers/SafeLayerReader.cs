using System.IO.Compression;
using System.Text;

namespace Bakery.Oci.Layers;

/// <summary>
/// Streams a layer (tar, or gzip-compressed tar) entry by entry and refuses anything unsafe:
/// bad header checksums, absolute or climbing paths, links that leave the root, devices,
/// oversized extended headers, decompression bombs and oversized content. Every failure is an
/// <see cref="UnsafeLayerException"/>; nothing is written anywhere.
/// System.Formats.Tar is not used here: it accepts bad checksums and throws assorted exceptions
/// on odd PAX fields.
/// </summary>
public sealed class SafeLayerReader
{
    private const int Block = 512;
    private readonly LayerReadLimits _limits;
    private readonly HashSet<string> _symlinks = new(StringComparer.Ordinal);
    private readonly HashSet<string> _files = new(StringComparer.Ordinal);

    private SafeLayerReader(LayerReadLimits limits) => _limits = limits;

    /// <summary>Reads every entry; <paramref name="visit"/> gets file content as a bounded stream (may be left unread).</summary>
    public static int Read(Stream layer, LayerReadLimits limits, Action<LayerEntry, Stream?> visit)
    {
        var reader = new SafeLayerReader(limits);
        var compressed = new CountingStream(layer);
        var magic = new byte[2];
        var read = compressed.ReadAtLeast(magic, 2, throwOnEndOfStream: false);
        Stream head = new PrefixStream(magic.AsSpan(0, read).ToArray(), compressed);
        Stream tar = read == 2 && magic[0] == 0x1f && magic[1] == 0x8b ? new GZipStream(head, CompressionMode.Decompress) : head;
        var counted = new CountingStream(tar);
        try
        {
            return reader.ReadTar(counted, () => reader.CheckBomb(counted.Count, compressed.Count), visit);
        }
        catch (InvalidDataException e)
        {
            throw new UnsafeLayerException(LayerProblem.BadCompression, null, "The layer's gzip stream is corrupt.", e);
        }
    }

    private void CheckBomb(long uncompressed, long compressed)
    {
        if (uncompressed > _limits.MaxTotalSize)
            throw new UnsafeLayerException(LayerProblem.TooLarge, null, $"The layer expands past {_limits.MaxTotalSize} bytes.");
        if (uncompressed > _limits.BombThreshold && uncompressed > compressed * _limits.MaxCompressionRatio)
            throw new UnsafeLayerException(LayerProblem.DecompressionBomb, null,
                $"The layer expands more than {_limits.MaxCompressionRatio}:1 ({uncompressed} bytes from {compressed}): a decompression bomb.");
    }

    private int ReadTar(Stream tar, Action checkBomb, Action<LayerEntry, Stream?> visit)
    {
        var header = new byte[Block];
        var count = 0;
        string? longName = null, longLink = null;
        Dictionary<string, string>? pax = null;
        while (true)
        {
            var got = tar.ReadAtLeast(header, Block, throwOnEndOfStream: false);
            checkBomb();
            if (got == 0) return count;
            if (got < Block) throw new UnsafeLayerException(LayerProblem.Truncated, null, "The layer ends inside a tar header.");
            if (header.All(b => b == 0)) return count;

            VerifyChecksum(header);
            var type = (char)header[156];
            var size = ParseNumber(header.AsSpan(124, 12), "size");
            var name = pax?.GetValueOrDefault("path") ?? longName ?? HeaderName(header);
            if (pax?.GetValueOrDefault("size") is { } paxSize)
                size = long.TryParse(paxSize, out var s) && s >= 0 ? s : throw Bad(name, "its PAX size is not a number");

            if (type is 'x' or 'g' or 'L' or 'K')
            {
                if (size > _limits.MaxExtendedHeaderSize || (type is 'L' or 'K' && size > _limits.MaxPathLength))
                    throw new UnsafeLayerException(LayerProblem.OversizedHeader, null, $"An extended header of {size} bytes exceeds the limit.");
                var data = ReadExact(tar, size, name);
                SkipPadding(tar, size);
                switch (type)
                {
                    case 'x': pax = ParsePax(data); break;
                    case 'L': longName = CString(data); break;
                    case 'K': longLink = CString(data); break;
                }
                continue;
            }

            var link = pax?.GetValueOrDefault("linkpath") ?? longLink ?? CString(header.AsSpan(157, 100));
            pax = null; longName = null; longLink = null;
            if (++count > _limits.MaxEntries)
                throw new UnsafeLayerException(LayerProblem.TooManyEntries, null, $"The layer has more than {_limits.MaxEntries} entries.");

            var entryType = type switch
            {
                '0' or '\0' or '7' => LayerEntryType.File,
                '1' => LayerEntryType.HardLink,
                '2' => LayerEntryType.SymbolicLink,
                '3' => LayerEntryType.CharacterDevice,
                '4' => LayerEntryType.BlockDevice,
                '5' => LayerEntryType.Directory,
                '6' => LayerEntryType.Fifo,
                _ => throw new UnsafeLayerException(LayerProblem.UnsupportedEntry, name, $"Tar entry type '{type}' is not supported."),
            };
            var path = CheckPath(name);
            if (entryType != LayerEntryType.File && size != 0 && entryType != LayerEntryType.HardLink)
                throw Bad(name, $"a {entryType} entry carries {size} bytes of data");
            if (size > _limits.MaxEntrySize)
                throw new UnsafeLayerException(LayerProblem.TooLarge, name, $"The entry is {size} bytes; the limit is {_limits.MaxEntrySize}.");
            CheckParentsAreNotLinks(path, name);
            switch (entryType)
            {
                case LayerEntryType.SymbolicLink:
                    CheckSymlink(path, link, name);
                    _symlinks.Add(path);
                    break;
                case LayerEntryType.HardLink:
                    CheckHardlink(link, name);
                    break;
                case LayerEntryType.CharacterDevice or LayerEntryType.BlockDevice or LayerEntryType.Fifo when !_limits.AllowDevices:
                    throw new UnsafeLayerException(LayerProblem.DeviceFile, name, $"{entryType} entries are not allowed in a layer.");
                case LayerEntryType.File:
                    _files.Add(path);
                    break;
            }

            var entry = new LayerEntry(path, entryType, size, (int)ParseNumber(header.AsSpan(100, 8), "mode"),
                (int)ParseNumber(header.AsSpan(108, 8), "uid"), (int)ParseNumber(header.AsSpan(116, 8), "gid"),
                entryType is LayerEntryType.SymbolicLink or LayerEntryType.HardLink ? link : null);
            if (entryType == LayerEntryType.File)
            {
                using var content = new BoundedStream(tar, size, name);
                visit(entry, content);
                content.SkipRest();
            }
            else visit(entry, null);
            checkBomb();
            SkipPadding(tar, entryType == LayerEntryType.File ? size : 0);
        }
    }

    private string CheckPath(string raw)
    {
        if (raw.Length == 0) throw Bad(raw, "the entry has no name");
        if (raw.Length > _limits.MaxPathLength)
            throw new UnsafeLayerException(LayerProblem.OversizedHeader, raw[..64] + "…", $"A path of {raw.Length} characters exceeds the limit.");
        if (raw.Contains('\0')) throw Bad(raw, "the name contains a NUL character");
        if (raw.StartsWith('/')) throw new UnsafeLayerException(LayerProblem.AbsolutePath, raw, "Absolute paths are not allowed in a layer.");
        var parts = raw.Split('/', StringSplitOptions.RemoveEmptyEntries).Where(p => p != ".").ToList();
        if (parts.Contains("..")) throw new UnsafeLayerException(LayerProblem.PathTraversal, raw, "'..' in a path could write outside the image root.");
        return string.Join('/', parts);
    }

    private void CheckParentsAreNotLinks(string path, string raw)
    {
        var slash = path.IndexOf('/');
        while (slash > 0)
        {
            if (_symlinks.Contains(path[..slash]))
                throw new UnsafeLayerException(LayerProblem.SymlinkEscape, raw, $"The entry is written through the symbolic link '{path[..slash]}'.");
            slash = path.IndexOf('/', slash + 1);
        }
    }

    private static void CheckSymlink(string path, string target, string raw)
    {
        if (target.Length == 0) throw Bad(raw, "the symbolic link has no target");
        if (target.StartsWith('/')) return; // resolved against the image root, never the host's
        var depth = path.Count(c => c == '/');
        foreach (var part in target.Split('/', StringSplitOptions.RemoveEmptyEntries))
        {
            if (part == "..") depth--;
            else if (part != ".") depth++;
            if (depth < 0) throw new UnsafeLayerException(LayerProblem.SymlinkEscape, raw, $"The symbolic link target '{target}' leaves the image root.");
        }
    }

    private void CheckHardlink(string target, string raw)
    {
        if (target.StartsWith('/') || target.Split('/').Contains(".."))
            throw new UnsafeLayerException(LayerProblem.HardlinkEscape, raw, $"The hard link target '{target}' leaves the image root.");
        var normalized = string.Join('/', target.Split('/', StringSplitOptions.RemoveEmptyEntries).Where(p => p != "."));
        if (!_files.Contains(normalized))
            throw new UnsafeLayerException(LayerProblem.HardlinkEscape, raw, $"The hard link target '{target}' is not a file earlier in this layer.");
    }

    private static void VerifyChecksum(byte[] header)
    {
        var stored = ParseNumber(header.AsSpan(148, 8), "checksum");
        long sum = 0;
        for (var i = 0; i < Block; i++) sum += i is >= 148 and < 156 ? (byte)' ' : header[i];
        if (sum != stored) throw Bad(HeaderName(header), $"the header checksum is {stored} but the header sums to {sum}");
    }

    private static long ParseNumber(ReadOnlySpan<byte> field, string what)
    {
        if ((field[0] & 0x80) != 0)
        {
            // GNU base-256: big-endian, first byte's top bit is the marker; negative values are refused.
            if ((field[0] & 0x40) != 0) throw Bad(null, $"the {what} field is negative");
            long value = field[0] & 0x3f;
            for (var i = 1; i < field.Length; i++)
            {
                if (value > (long.MaxValue >> 8)) throw Bad(null, $"the {what} field overflows");
                value = (value << 8) | field[i];
            }
            return value;
        }
        long result = 0;
        var seen = false;
        foreach (var b in field)
        {
            if (b is 0 or (byte)' ') { if (seen) break; continue; }
            if (b is < (byte)'0' or > (byte)'7') throw Bad(null, $"the {what} field is not an octal number");
            if (result > (long.MaxValue >> 3)) throw Bad(null, $"the {what} field overflows");
            result = (result << 3) | (uint)(b - '0');
            seen = true;
        }
        return result;
    }

    private Dictionary<string, string> ParsePax(byte[] data)
    {
        var result = new Dictionary<string, string>(StringComparer.Ordinal);
        var i = 0;
        while (i < data.Length)
        {
            var space = Array.IndexOf(data, (byte)' ', i);
            if (space < 0 || !int.TryParse(Encoding.ASCII.GetString(data, i, space - i), out var length) || length <= space - i || i + length > data.Length
                || data[i + length - 1] != (byte)'\n')
                throw Bad(null, "a PAX extended header record is malformed");
            var record = Encoding.UTF8.GetString(data, space + 1, i + length - space - 2);
            var eq = record.IndexOf('=');
            if (eq <= 0) throw Bad(null, "a PAX extended header record has no key");
            result[record[..eq]] = record[(eq + 1)..];
            i += length;
        }
        return result;
    }

    private static byte[] ReadExact(Stream tar, long size, string name)
    {
        var data = new byte[size];
        if (tar.ReadAtLeast(data, data.Length, throwOnEndOfStream: false) < size)
            throw new UnsafeLayerException(LayerProblem.Truncated, name, "The layer ends inside an entry.");
        return data;
    }

    private static void SkipPadding(Stream tar, long size)
    {
        var padding = (int)((Block - size % Block) % Block);
        if (padding > 0) Skip(tar, padding, null);
    }

    internal static void Skip(Stream tar, long count, string? name)
    {
        var buffer = new byte[Math.Min(count, 81920)];
        while (count > 0)
        {
            var read = tar.Read(buffer, 0, (int)Math.Min(buffer.Length, count));
            if (read == 0) throw new UnsafeLayerException(LayerProblem.Truncated, name, "The layer ends inside an entry.");
            count -= read;
        }
    }

    private static string HeaderName(byte[] header)
    {
        var name = CString(header.AsSpan(0, 100));
        // POSIX ustar ("ustar\0") has a name prefix at 345; GNU ("ustar  \0") keeps times there instead.
        var prefix = header.AsSpan(257, 6).SequenceEqual("ustar\0"u8) ? CString(header.AsSpan(345, 155)) : "";
        return prefix.Length > 0 ? $"{prefix}/{name}" : name;
    }

    private static string CString(ReadOnlySpan<byte> bytes)
    {
        var end = bytes.IndexOf((byte)0);
        return Encoding.UTF8.GetString(end >= 0 ? bytes[..end] : bytes);
    }

    private static UnsafeLayerException Bad(string? entry, string what) =>
        new(LayerProblem.BadHeader, string.IsNullOrEmpty(entry) ? null : entry, $"Malformed tar header: {what}.");
}
