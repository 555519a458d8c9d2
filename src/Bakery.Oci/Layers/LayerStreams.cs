using System.Security.Cryptography;

namespace Bakery.Oci.Layers;

/// <summary>Counts bytes read through it and keeps the last eight (a gzip trailer).</summary>
internal sealed class CountingStream(Stream inner) : ReadOnlyStream
{
    private readonly byte[] _tail = new byte[8];

    public long Count { get; private set; }

    public override int Read(Span<byte> buffer)
    {
        var read = inner.Read(buffer);
        if (read > 0)
        {
            var chunk = buffer[..read];
            if (read >= 8) chunk[^8..].CopyTo(_tail);
            else
            {
                Array.Copy(_tail, read, _tail, 0, 8 - read);
                chunk.CopyTo(_tail.AsSpan(8 - read));
            }
            Count += read;
        }
        return read;
    }

    /// <summary>The last eight bytes read (fewer if the stream was shorter).</summary>
    public ReadOnlySpan<byte> Tail => Count >= 8 ? _tail : _tail.AsSpan((int)(8 - Count));
}

/// <summary>Bytes already read for sniffing, then the rest of the stream.</summary>
internal sealed class PrefixStream(byte[] prefix, Stream rest) : ReadOnlyStream
{
    private int _offset;

    public override int Read(Span<byte> buffer)
    {
        if (_offset < prefix.Length)
        {
            var n = Math.Min(buffer.Length, prefix.Length - _offset);
            prefix.AsSpan(_offset, n).CopyTo(buffer);
            _offset += n;
            return n;
        }
        return rest.Read(buffer);
    }
}

/// <summary>
/// The decompressed layer: counts and (optionally) hashes every byte, and enforces the layer size
/// and compression-ratio limits on every read, so a bomb stops as soon as it crosses them, inside
/// the entry that expands, not after it.
/// </summary>
internal sealed class GuardedStream(Stream inner, CountingStream compressed, bool isCompressed, LayerReadLimits limits, bool hash) : ReadOnlyStream
{
    private readonly IncrementalHash? _hash = hash ? IncrementalHash.CreateHash(HashAlgorithmName.SHA256) : null;

    public long Count { get; private set; }

    public override int Read(Span<byte> buffer)
    {
        int read;
        try
        {
            read = inner.Read(buffer);
        }
        catch (Exception e) when (e is InvalidDataException or ZstdSharp.ZstdException)
        {
            throw new UnsafeLayerException(LayerProblem.BadCompression, null, $"The layer's compressed data is corrupt ({e.Message.TrimEnd('.')}).", e);
        }
        catch (EndOfStreamException e)
        {
            throw new UnsafeLayerException(LayerProblem.Truncated, null, "The layer's compressed stream ends early: the blob is truncated.", e);
        }
        if (read <= 0) return read;
        Count += read;
        _hash?.AppendData(buffer[..read]);
        if (Count > limits.MaxTotalSize)
            throw new UnsafeLayerException(LayerProblem.TooLarge, null, $"The layer expands past {limits.MaxTotalSize} bytes (the limit maxTotalSize).");
        if (isCompressed && Count > limits.BombThreshold && Count > compressed.Count * limits.MaxCompressionRatio)
            throw new UnsafeLayerException(LayerProblem.DecompressionBomb, null,
                $"The layer expands more than {limits.MaxCompressionRatio}:1 ({Count} bytes from {compressed.Count}): a decompression bomb.");
        return read;
    }

    public Model.Digest? Digest => _hash is null ? null : Model.Digest.FromHash(_hash.GetCurrentHash());

    protected override void Dispose(bool disposing)
    {
        if (disposing) _hash?.Dispose();
        base.Dispose(disposing);
    }
}

/// <summary>One entry's content: at most its declared size, and a clear error if the layer ends early.</summary>
internal sealed class BoundedStream(Stream inner, long size, string entry) : ReadOnlyStream
{
    private readonly long _size = size;
    private long _remaining = size;

    public override int Read(Span<byte> buffer)
    {
        if (_remaining == 0 || buffer.Length == 0) return 0;
        var read = inner.Read(buffer[..(int)Math.Min(buffer.Length, _remaining)]);
        if (read == 0) throw new UnsafeLayerException(LayerProblem.Truncated, entry, "The layer ends inside an entry.");
        _remaining -= read;
        return read;
    }

    public long Remaining => _remaining;

    public void SkipRest()
    {
        if (_remaining > 0) TarBlocks.Skip(inner, _remaining, entry);
        _remaining = 0;
    }

    public override long Length => _size;
    public override long Position { get => _size - _remaining; set => throw new NotSupportedException(); }
}

/// <summary>A sparse file's logical content: the stored data regions, zeros in the holes.</summary>
internal sealed class SparseStream(BoundedStream packed, IReadOnlyList<(long Offset, long Length)> regions, long size) : ReadOnlyStream
{
    private long _position;
    private int _region;

    public override int Read(Span<byte> buffer)
    {
        if (_position >= size || buffer.Length == 0) return 0;
        while (_region < regions.Count && regions[_region].Offset + regions[_region].Length <= _position) _region++;
        if (_region < regions.Count && regions[_region].Offset <= _position)
        {
            var (offset, length) = regions[_region];
            var n = (int)Math.Min(buffer.Length, offset + length - _position);
            var read = packed.Read(buffer[..n]);
            if (read == 0) throw new UnsafeLayerException(LayerProblem.Truncated, null, "The layer ends inside a sparse file's data.");
            _position += read;
            return read;
        }
        var holeEnd = _region < regions.Count ? regions[_region].Offset : size;
        var zeros = (int)Math.Min(buffer.Length, holeEnd - _position);
        buffer[..zeros].Clear();
        _position += zeros;
        return zeros;
    }

    public override long Length => size;
    public override long Position { get => _position; set => throw new NotSupportedException(); }
}
