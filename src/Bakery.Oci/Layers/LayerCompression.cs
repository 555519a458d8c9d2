using System.Buffers.Binary;
using System.IO.Compression;

namespace Bakery.Oci.Layers;

public enum LayerCompression { None, Gzip, Zstd }

/// <summary>The layer media types Bakery reads, and what their bytes must look like.</summary>
public static class LayerMediaTypes
{
    /// <summary>The compression a layer media type names; null when it is not a tar layer Bakery can read.</summary>
    public static LayerCompression? CompressionOf(string mediaType)
    {
        var type = mediaType.Trim().ToLowerInvariant();
        if (type.EndsWith("+gzip", StringComparison.Ordinal) || type.EndsWith(".tar.gzip", StringComparison.Ordinal))
            return type[..type.LastIndexOfAny(['+', '.'])].EndsWith("tar", StringComparison.Ordinal) ? LayerCompression.Gzip : null;
        if (type.EndsWith("+zstd", StringComparison.Ordinal) || type.EndsWith(".tar.zstd", StringComparison.Ordinal))
            return type[..type.LastIndexOfAny(['+', '.'])].EndsWith("tar", StringComparison.Ordinal) ? LayerCompression.Zstd : null;
        return type.EndsWith(".tar", StringComparison.Ordinal) || type.EndsWith("/tar", StringComparison.Ordinal) || type.EndsWith(".v1.tar", StringComparison.Ordinal)
            ? LayerCompression.None : null;
    }

    /// <summary>What the first bytes of a blob say it is.</summary>
    internal static string? Sniff(ReadOnlySpan<byte> head, out LayerCompression? compression)
    {
        compression = null;
        if (head.Length >= 2 && head[0] == 0x1f && head[1] == 0x8b) { compression = LayerCompression.Gzip; return "gzip"; }
        if (head.Length >= 4 && BinaryPrimitives.ReadUInt32LittleEndian(head) is 0xFD2FB528 or (>= 0x184D2A50 and <= 0x184D2A5F))
        { compression = LayerCompression.Zstd; return "zstd"; }
        if (head.Length >= 3 && head[..3].SequenceEqual("BZh"u8)) return "bzip2";
        if (head.Length >= 6 && head[..6].SequenceEqual((ReadOnlySpan<byte>)[0xFD, (byte)'7', (byte)'z', (byte)'X', (byte)'Z', 0])) return "xz";
        if (head.Length >= 4 && BinaryPrimitives.ReadUInt32LittleEndian(head) == 0x184D2204) return "lz4";
        if (head.Length >= 4 && head[..4].SequenceEqual("PK\u0003\u0004"u8)) return "zip";
        compression = LayerCompression.None;
        return null;
    }
}

/// <summary>
/// Turns a layer blob into its tar stream (honouring the media type when there is one, sniffing
/// otherwise) and, at the end, checks that the compressed stream ended exactly where it should:
/// the gzip trailer (CRC-32 and size) matches the data and nothing follows it; zstd frames end
/// cleanly (their checksums are verified by the decoder).
/// </summary>
internal sealed class LayerDecoder : IDisposable
{
    private readonly CountingStream _compressed;
    private readonly Stream _decompressor;
    private readonly System.IO.Hashing.Crc32? _crc;

    public LayerCompression Compression { get; }
    public GuardedStream Tar { get; }
    public long CompressedBytes => _compressed.Count;

    private LayerDecoder(CountingStream compressed, Stream decompressor, LayerCompression compression, LayerReadLimits limits, bool hash)
    {
        _compressed = compressed;
        _decompressor = decompressor;
        Compression = compression;
        if (compression == LayerCompression.Gzip) _crc = new System.IO.Hashing.Crc32();
        Tar = new GuardedStream(_crc is null ? decompressor : new CrcStream(decompressor, _crc), compressed, compression != LayerCompression.None, limits, hash);
    }

    public static LayerDecoder Open(Stream blob, string? mediaType, LayerReadLimits limits, bool hash)
    {
        LayerCompression? declared = null;
        if (mediaType is not null)
            declared = LayerMediaTypes.CompressionOf(mediaType)
                ?? throw new UnsafeLayerException(LayerProblem.UnsupportedMediaType, null,
                    $"The media type '{LayerNames.Escape(mediaType)}' is not a layer Bakery reads (tar, tar+gzip or tar+zstd).");
        var compressed = new CountingStream(blob);
        var head = new byte[6];
        var got = compressed.ReadAtLeast(head, head.Length, throwOnEndOfStream: false);
        var what = LayerMediaTypes.Sniff(head.AsSpan(0, got), out var sniffed);
        if (declared is { } d)
        {
            if (got == 0 && d != LayerCompression.None)
                throw new UnsafeLayerException(LayerProblem.Truncated, null, $"The blob is empty, but its media type '{mediaType}' says it is {Name(d)}.");
            if (got > 0 && sniffed != d)
                throw new UnsafeLayerException(LayerProblem.MediaTypeMismatch, null,
                    $"The media type '{mediaType}' says the blob is {Name(d)}, but its bytes are {what ?? "not compressed (no gzip or zstd magic)"}.");
        }
        else if (sniffed is null)
            throw new UnsafeLayerException(LayerProblem.UnsupportedMediaType, null, $"The blob is {what}-compressed; Bakery reads tar layers plain, gzip or zstd.");
        var compression = declared ?? sniffed!.Value;
        Stream source = new PrefixStream(head[..got], compressed);
        Stream decompressor = compression switch
        {
            LayerCompression.Gzip => new GZipStream(source, CompressionMode.Decompress, leaveOpen: true),
            LayerCompression.Zstd => new ZstdSharp.DecompressionStream(source, leaveOpen: true),
            _ => source,
        };
        return new LayerDecoder(compressed, decompressor, compression, limits, hash);
    }

    /// <summary>After the end-of-archive marker: only zero padding may follow, and the compressed stream must end cleanly.</summary>
    public void VerifyEnd()
    {
        var buffer = new byte[16384];
        int read;
        while ((read = Tar.Read(buffer)) > 0)
            if (buffer.AsSpan(0, read).ContainsAnyExcept((byte)0))
                throw new UnsafeLayerException(LayerProblem.TrailingData, null, "Data follows the tar end-of-archive marker (hidden content a different reader might unpack).");
        if (Compression == LayerCompression.None) return;
        var extra = 0L;
        while ((read = _compressed.Read(buffer)) > 0) extra += read;
        if (Compression == LayerCompression.Gzip)
        {
            Span<byte> expected = stackalloc byte[8];
            BinaryPrimitives.WriteUInt32LittleEndian(expected, _crc!.GetCurrentHashAsUInt32());
            BinaryPrimitives.WriteUInt32LittleEndian(expected[4..], unchecked((uint)Tar.Count));
            if (!_compressed.Tail.SequenceEqual(expected))
                throw new UnsafeLayerException(extra > 0 ? LayerProblem.TrailingData : LayerProblem.BadCompression, null, extra > 0
                    ? $"{extra} byte(s) follow the end of the gzip stream."
                    : "The gzip trailer (CRC-32 and size) does not match the data: the layer is truncated or corrupt, or carries data after its gzip stream (multi-member gzip layers are not supported).");
        }
        else if (extra > 0)
            throw new UnsafeLayerException(LayerProblem.TrailingData, null, $"{extra} byte(s) follow the end of the zstd stream.");
    }

    private static string Name(LayerCompression c) => c switch { LayerCompression.Gzip => "gzip", LayerCompression.Zstd => "zstd", _ => "an uncompressed tar" };

    public void Dispose()
    {
        Tar.Dispose();
        if (!ReferenceEquals(_decompressor, _compressed)) _decompressor.Dispose();
    }

    private sealed class CrcStream(Stream inner, System.IO.Hashing.Crc32 crc) : ReadOnlyStream
    {
        public override int Read(Span<byte> buffer)
        {
            var read = inner.Read(buffer);
            if (read > 0) crc.Append(buffer[..read]);
            return read;
        }
    }
}
