using System.Net;
using System.Net.Http.Headers;

namespace Bakery.Oci.Registry;

/// <summary>
/// Blob uploads as the distribution spec has them: POST opens a session, then one PUT with the body
/// (small blobs) or PATCH chunks and an empty PUT. A session step is not resent blindly: after a reset,
/// timeout, 5xx or a token that expired mid-upload, the registry is asked how much it has (GET on the
/// session) and the upload resumes there, or starts a new session when the old one is gone — within
/// the client's retry policy. Every byte is hashed on the way; the last one is withheld unless the
/// blob matches its digest.
/// </summary>
public sealed partial class RegistryClient
{
    public async Task UploadBlobAsync(string repository, BlobSource source, CancellationToken ct = default)
    {
        var scope = PushScope(repository);
        var meter = new TransferMeter(_options.Progress, RegistryProgressKind.Upload, Registry, repository, $"blob {Short(source.Digest)}",
            source.Size, _options.ProgressInterval, _options.Time);
        var chunked = source.Size > _options.ChunkSize;
        UploadStream? stream = null;
        UploadSession? session = null;
        try
        {
            for (var attempt = 1; ; attempt++)
            {
                try
                {
                    long offset = 0;
                    if (session is not null && chunked && await UploadedSoFarAsync(repository, session, ct) is { } resumed) offset = resumed;
                    else session = new UploadSession(await StartUploadAsync(repository, scope, ct));
                    if (stream is null || !await stream.MoveToAsync(offset, ct))
                    {
                        stream?.Dispose();
                        stream = new UploadStream(await source.OpenAsync(ct), meter);
                        await stream.MoveToAsync(offset, ct);
                    }
                    if (chunked) await UploadChunksAsync(repository, scope, session, stream, source, offset, ct);
                    else await CommitAsync(repository, scope, session, new ChunkContent(stream, 0, source.Size, source.Digest, source.Description), source, ct);
                    return;
                }
                catch (Exception e) when (!ct.IsCancellationRequested && Resumable(e) is { } reason && attempt < _options.Retry.MaxAttempts)
                {
                    if (!chunked || e is SessionGone) session = null;
                    var delay = _options.Retry.DelayFor(attempt, (e as SessionStepFailed)?.RetryAfter, _options.Time.GetUtcNow());
                    _options.Log?.Invoke($"Uploading blob {Short(source.Digest)} to {Registry}/{repository} was interrupted ({reason}); "
                        + $"{(session is null ? "starting a new upload" : "resuming")} in {delay.TotalSeconds:0.#} s (attempt {attempt + 1} of {_options.Retry.MaxAttempts}).");
                    await Task.Delay(delay, _options.Time, ct);
                }
                catch (Exception e) when (!ct.IsCancellationRequested && Resumable(e) is { } reason)
                {
                    throw new RegistryException(RegistryFailure.Rejected, Registry, repository,
                        $"Uploading blob {source.Digest} to {Registry}/{repository} kept failing after {attempt} attempts ({reason}).", (e as SessionStepFailed)?.Status, e)
                    { IsTransient = true };
                }
                catch (RegistryException e) when (e.Failure == RegistryFailure.DigestMismatch)
                {
                    if (session is not null) await CancelSessionAsync(repository, session.Location);
                    throw new RegistryException(e.Failure, Registry, repository, e.Message, null, e);
                }
            }
        }
        finally
        {
            stream?.Dispose();
        }
    }

    /// <summary>Why an upload may resume or restart after <paramref name="e"/>, or null when it must not.</summary>
    private static string? Resumable(Exception e)
    {
        if (FindDigestMismatch(e) is not null) return null;
        return e switch
        {
            SessionStepFailed s => s.Message,
            RegistryException { IsTransient: true } r => r.Message,
            HttpRequestException or IOException or TimeoutException when RetryPolicy.IsTransient(e) => e.Message,
            _ => null,
        };
    }

    private static RegistryException? FindDigestMismatch(Exception e)
    {
        for (Exception? x = e; x is not null; x = x.InnerException)
            if (x is RegistryException { Failure: RegistryFailure.DigestMismatch } r) return r;
        return null;
    }

    private async Task<Uri> StartUploadAsync(string repository, string scope, CancellationToken ct)
    {
        using var request = Request(HttpMethod.Post, $"{repository}/blobs/uploads/", repository, scope, $"start a blob upload in {repository}");
        using var response = await SendAsync(request, ct);
        await EnsureSuccessAsync(response, repository, "start a blob upload");
        return response.Headers.Location is { } location ? Resolve(response, location)
            : throw new RegistryException(RegistryFailure.Rejected, Registry, repository, $"{Registry} started an upload without saying where to send it (no Location header).");
    }

    /// <summary>Where the next step of an upload goes: each answer names the URL for the one after it.</summary>
    private sealed class UploadSession(Uri location)
    {
        public Uri Location { get; set; } = location;
    }

    /// <summary>How much of the session the registry has (its Range header), or null when the session is gone.</summary>
    private async Task<long?> UploadedSoFarAsync(string repository, UploadSession session, CancellationToken ct)
    {
        using var request = Request(HttpMethod.Get, session.Location, repository, PushScope(repository), $"report the progress of a blob upload in {repository}");
        using var response = await SendAsync(request, ct);
        if (response.StatusCode is HttpStatusCode.NotFound or HttpStatusCode.BadRequest) return null;
        await EnsureSuccessAsync(response, repository, "report an upload's progress");
        if (response.Headers.Location is { } location) session.Location = Resolve(response, location);
        if (!response.Headers.TryGetValues("Range", out var ranges)) return 0;
        var range = ranges.First();
        var dash = range.LastIndexOf('-');
        return dash >= 0 && long.TryParse(range[(dash + 1)..], out var last) ? Math.Max(0, last + 1) : 0;
    }

    private async Task UploadChunksAsync(string repository, string scope, UploadSession session, UploadStream stream, BlobSource source, long offset, CancellationToken ct)
    {
        while (offset < source.Size)
        {
            var length = Math.Min(_options.ChunkSize, source.Size - offset);
            var last = offset + length == source.Size;
            using var request = Request(HttpMethod.Patch, session.Location, repository, scope, $"take {RegistryProgress.Size(length)} of blob {Short(source.Digest)} in {repository}");
            request.Options.Set(RegistryRequest.NotRetried, true);
            request.Content = new ChunkContent(stream, offset, length, last ? source.Digest : null, source.Description);
            request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/octet-stream");
            request.Content.Headers.TryAddWithoutValidation("Content-Range", $"{offset}-{offset + length - 1}");
            using var response = await SendStepAsync(request, repository, ct);
            if (response.Headers.Location is { } next) session.Location = Resolve(response, next);
            offset += length;
            Interlocked.Add(ref _blobBytesUploaded, length);
        }
        await CommitAsync(repository, scope, session, new ByteArrayContent([]), source, ct);
    }

    /// <summary>The PUT that ends the session with <c>?digest=</c>: with the whole blob as its body, or empty after chunks.</summary>
    private async Task CommitAsync(string repository, string scope, UploadSession session, HttpContent body, BlobSource source, CancellationToken ct)
    {
        var location = session.Location;
        var uri = new Uri(location + (location.Query.Length > 0 ? "&" : "?") + "digest=" + Uri.EscapeDataString(source.Digest.ToString()));
        using var request = Request(HttpMethod.Put, uri, repository, scope, $"store blob {Short(source.Digest)} in {repository}");
        request.Options.Set(RegistryRequest.NotRetried, true);
        request.Content = body;
        request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/octet-stream");
        using var response = await SendStepAsync(request, repository, ct);
        if (body is ChunkContent) Interlocked.Add(ref _blobBytesUploaded, source.Size);
    }

    /// <summary>One session step: a failure another attempt may cure becomes <see cref="SessionStepFailed"/>; any other refusal is final.</summary>
    private async Task<HttpResponseMessage> SendStepAsync(HttpRequestMessage request, string repository, CancellationToken ct)
    {
        HttpResponseMessage response;
        try
        {
            response = await SendAsync(request, ct);
        }
        catch (HttpRequestException e) when (FindDigestMismatch(e) is { } mismatch)
        {
            throw mismatch;
        }
        catch (RegistryException e) when (FindDigestMismatch(e) is { } mismatch)
        {
            throw mismatch;
        }
        var status = response.StatusCode;
        if (response.IsSuccessStatusCode) return response;
        var retryAfter = response.Headers.RetryAfter;
        if (status == HttpStatusCode.NotFound)
        {
            response.Dispose();
            throw new SessionGone();
        }
        // 401 here: the token expired mid-upload and the body could not be sent again; 416: the registry has a different offset.
        if (RetryPolicy.IsTransient(status) || status is HttpStatusCode.Unauthorized or HttpStatusCode.RequestedRangeNotSatisfiable)
        {
            response.Dispose();
            throw new SessionStepFailed((int)status, retryAfter, $"{(int)status} {response.ReasonPhrase}");
        }
        using (response) await EnsureSuccessAsync(response, repository, RegistryRequest.ActionOf(request));
        return response;
    }

    private async Task CancelSessionAsync(string repository, Uri session)
    {
        try
        {
            using var request = Request(HttpMethod.Delete, session, repository, PushScope(repository), "cancel an upload session");
            using var _ = await SendAsync(request, CancellationToken.None);
        }
        catch (Exception e) when (e is RegistryException or HttpRequestException or IOException)
        {
            // The session expires on its own; the upload's own failure is what matters.
        }
    }

    private class SessionStepFailed(int status, RetryConditionHeaderValue? retryAfter, string message) : Exception(message)
    {
        public int Status { get; } = status;
        public RetryConditionHeaderValue? RetryAfter { get; } = retryAfter;
    }

    private sealed class SessionGone() : SessionStepFailed(404, null, "the upload session is gone");
}
