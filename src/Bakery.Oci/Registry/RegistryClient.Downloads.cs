using System.Net;
using System.Security.Cryptography;
using Bakery.Oci.Model;

namespace Bakery.Oci.Registry;

/// <summary>Blob downloads: streamed, digest-checked, with progress and a stall timeout; a download cut short starts over under the retry policy.</summary>
public sealed partial class RegistryClient
{
    public Task<Stream> OpenBlobAsync(string repository, Digest digest, CancellationToken ct = default) => OpenBlobAsync(repository, digest, null, ct);

    private async Task<Stream> OpenBlobAsync(string repository, Digest digest, long? size, CancellationToken ct)
    {
        var request = Request(HttpMethod.Get, $"{repository}/blobs/{digest}", repository, ScopeFor(repository), $"send blob {Short(digest)} of {repository}");
        HttpResponseMessage? response = null;
        try
        {
            response = await SendAsync(request, ct);
            if (response.StatusCode == HttpStatusCode.NotFound)
                throw new RegistryException(RegistryFailure.NotFound, Registry, repository, $"Blob {digest} is missing from {Registry}/{repository}.", 404);
            await EnsureSuccessAsync(response, repository, $"read blob {digest}");
            var total = response.Content.Headers.ContentLength ?? size;
            var meter = new TransferMeter(_options.Progress, RegistryProgressKind.Download, Registry, repository, $"blob {Short(digest)}", total, _options.ProgressInterval, _options.Time);
            var body = await response.Content.ReadAsStreamAsync(ct);
            return new VerifyingStream(body, response, request, digest, total, meter, _options.RequestTimeout, Registry, repository);
        }
        catch
        {
            response?.Dispose();
            request.Dispose();
            throw;
        }
    }

    public async Task DownloadBlobAsync(string repository, Digest digest, string destination, CancellationToken ct = default)
    {
        var directory = Path.GetDirectoryName(Path.GetFullPath(destination))!;
        Directory.CreateDirectory(directory);
#pragma warning disable IDE0059 // the analyzer misses that the exception filters read it
        for (var attempt = 1; ; attempt++)
#pragma warning restore IDE0059
        {
            var temp = destination + $".tmp-{Guid.NewGuid():N}";
            try
            {
                await using (var file = new FileStream(temp, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 16, FileOptions.Asynchronous))
                await using (var body = await OpenBlobAsync(repository, digest, ct))
                    await body.CopyToAsync(file, 1 << 16, ct);
                File.Move(temp, destination, overwrite: true);
                return;
            }
            catch (Exception e) when (!ct.IsCancellationRequested && attempt < _options.Retry.MaxAttempts && IsCutShort(e))
            {
                var delay = _options.Retry.DelayFor(attempt, null, _options.Time.GetUtcNow());
                _options.Log?.Invoke($"Downloading blob {Short(digest)} from {Registry}/{repository} was cut short ({e.Message}); starting over in {delay.TotalSeconds:0.#} s (attempt {attempt + 1} of {_options.Retry.MaxAttempts}).");
                await Task.Delay(delay, _options.Time, ct);
            }
            catch (Exception e) when (!ct.IsCancellationRequested && e is IOException or TimeoutException or HttpRequestException)
            {
                throw new RegistryException(RegistryFailure.Unreachable, Registry, repository,
                    $"Downloading blob {digest} from {Registry}/{repository} kept failing after {attempt} attempts ({e.Message}).", null, e);
            }
            finally
            {
                if (File.Exists(temp)) File.Delete(temp);
            }
        }
    }

    /// <summary>The body broke off or stalled (a reset, a timeout): another attempt may get it whole.</summary>
    private static bool IsCutShort(Exception e) => e switch
    {
        RegistryException r => r.IsTransient,
        TimeoutException or HttpIOException or HttpRequestException => RetryPolicy.IsTransient(e),
        IOException => true,
        _ => false,
    };

    /// <summary>
    /// A blob's body: hashes and counts what is read and fails the read that reaches the end when the
    /// digest or the size is wrong; a read that gets no byte for the request timeout fails as a timeout.
    /// </summary>
    private sealed class VerifyingStream(Stream body, HttpResponseMessage response, HttpRequestMessage request, Digest digest, long? size,
        TransferMeter meter, TimeSpan stall, string registry, string repository) : Stream
    {
        private readonly IncrementalHash _hash = IncrementalHash.CreateHash(digest.Algorithm == "sha512" ? HashAlgorithmName.SHA512 : HashAlgorithmName.SHA256);
        private long _read;
        private bool _checked;

        public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken ct = default)
        {
            int read;
            using (var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct))
            {
                timeout.CancelAfter(stall);
                try
                {
                    read = await body.ReadAsync(buffer, timeout.Token);
                }
                catch (OperationCanceledException e) when (!ct.IsCancellationRequested)
                {
                    throw new TimeoutException($"{registry} sent no byte of blob {digest} for {stall.TotalSeconds:0} s.", e);
                }
            }
            if (read > 0)
            {
                _hash.AppendData(buffer.Span[..read]);
                _read += read;
                meter.Add(read);
                if (size is { } expected && _read > expected) throw Mismatch($"is longer than its {expected} bytes");
                return read;
            }
            if (!_checked)
            {
                _checked = true;
                if (size is { } expected && _read != expected)
                    throw new IOException($"{registry} ended blob {digest} after {_read} of {expected} bytes.");
                var actual = Digest.FromHash(_hash.GetCurrentHash());
                if (digest.Algorithm == "sha256" && actual != digest) throw Mismatch($"hashes to {actual}");
                if (digest.Algorithm != "sha256" && !string.Equals(Convert.ToHexStringLower(_hash.GetCurrentHash()), digest.Hex, StringComparison.Ordinal))
                    throw Mismatch("does not hash to its digest");
            }
            return 0;
        }

        private RegistryException Mismatch(string what) => new(RegistryFailure.DigestMismatch, registry, repository,
            $"Blob {digest} from {registry}/{repository} {what}: the content is corrupt or was tampered with.");

        public override int Read(byte[] buffer, int offset, int count) => ReadAsync(buffer.AsMemory(offset, count)).AsTask().GetAwaiter().GetResult();
        public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken ct) => ReadAsync(buffer.AsMemory(offset, count), ct).AsTask();
        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => size ?? throw new NotSupportedException();
        public override long Position { get => _read; set => throw new NotSupportedException(); }
        public override void Flush() { }
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        protected override void Dispose(bool disposing)
        {
            if (disposing)
            {
                _hash.Dispose();
                body.Dispose();
                response.Dispose();
                request.Dispose();
            }
            base.Dispose(disposing);
        }
    }
}
