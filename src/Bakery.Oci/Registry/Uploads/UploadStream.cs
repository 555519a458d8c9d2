using System.Buffers;
using System.Security.Cryptography;
using Bakery.Oci.Model;

namespace Bakery.Oci.Registry;

/// <summary>
/// A blob being uploaded, read from its source: hashes every byte once (bytes read again after a rewind
/// are not hashed twice), counts them for progress, and moves to the offset a resumed upload continues
/// from — by seeking a file, or by reading a stream up to it.
/// </summary>
internal sealed class UploadStream(Stream source, TransferMeter meter) : IDisposable
{
    private readonly IncrementalHash _hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
    private long _hashedUpTo;

    public long Position { get; private set; }
    public bool CanRewind => source.CanSeek;

    /// <summary>The digest of everything read so far (call once every byte was read).</summary>
    public Digest Digest => Digest.FromHash(_hash.GetCurrentHash());
    public long HashedBytes => _hashedUpTo;

    /// <summary>Moves to <paramref name="offset"/>; false when a stream that cannot seek is already past it (the source must be opened again).</summary>
    public async Task<bool> MoveToAsync(long offset, CancellationToken ct)
    {
        if (Position == offset) return true;
        if (source.CanSeek)
        {
            var from = Math.Min(offset, _hashedUpTo);
            source.Seek(from, SeekOrigin.Begin);
            Position = from;
        }
        else if (Position > offset) return false;
        var buffer = ArrayPool<byte>.Shared.Rent(1 << 16);
        try
        {
            while (Position < offset)
            {
                var read = await ReadAsync(buffer.AsMemory(0, (int)Math.Min(buffer.Length, offset - Position)), ct);
                if (read == 0) throw new IOException($"The source ended at byte {Position}, before offset {offset}.");
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
        return true;
    }

    public async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken ct)
    {
        var read = await source.ReadAsync(buffer, ct);
        if (read == 0) return 0;
        var end = Position + read;
        if (end > _hashedUpTo)
        {
            var fresh = (int)(end - Math.Max(_hashedUpTo, Position));
            _hash.AppendData(buffer.Span.Slice(read - fresh, fresh));
            meter.Add(end - _hashedUpTo);
            _hashedUpTo = end;
        }
        Position = end;
        return read;
    }

    public void Dispose()
    {
        _hash.Dispose();
        source.Dispose();
    }
}

/// <summary>
/// One request body of an upload: <c>length</c> bytes of the blob from <c>start</c>. It can be sent again
/// when its source can rewind (a file); from a stream it is sent once. With <c>verify</c>, the body's last
/// byte is withheld unless the whole blob hashed to its digest, so wrong content is never committed.
/// </summary>
internal sealed class ChunkContent(UploadStream stream, long start, long length, Digest? verify, string source) : HttpContent, IOneShotContent, IActivityContent
{
    public bool IsOneShot => !stream.CanRewind;
    public Action? Activity { get; set; }

    protected override async Task SerializeToStreamAsync(Stream target, System.Net.TransportContext? context, CancellationToken ct)
    {
        if (!await stream.MoveToAsync(start, ct))
            throw new InvalidOperationException("An upload body read from a stream cannot be sent twice.");
        var buffer = ArrayPool<byte>.Shared.Rent(1 << 16);
        try
        {
            var remaining = length;
            while (remaining > 0)
            {
                var read = await stream.ReadAsync(buffer.AsMemory(0, (int)Math.Min(buffer.Length, remaining)), ct);
                if (read == 0) throw new IOException($"{source} ended after {stream.Position} bytes, before the blob's end.");
                remaining -= read;
                if (remaining == 0 && verify is { } digest && stream.Digest != digest)
                    throw new RegistryException(RegistryFailure.DigestMismatch, "", "",
                        $"The content read from {source} hashes to {stream.Digest}, not to blob {digest}: it is corrupt or was changed; nothing was committed.");
                await target.WriteAsync(buffer.AsMemory(0, read), ct);
                Activity?.Invoke();
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    protected override Task SerializeToStreamAsync(Stream target, System.Net.TransportContext? context) =>
        SerializeToStreamAsync(target, context, CancellationToken.None);

    protected override bool TryComputeLength(out long size)
    {
        size = length;
        return true;
    }
}
