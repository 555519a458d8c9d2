using System.Net;
using System.Net.Http.Headers;
using System.Net.Sockets;
using Bakery.Oci.Model;

namespace Bakery.Oci.Registry;

/// <summary>A manifest as fetched: the exact bytes (they define the digest), their media type and digest.</summary>
public sealed record FetchedManifest(byte[] Bytes, string MediaType, Digest Digest)
{
    public ImageManifest Parse() => ImageManifest.Parse(Bytes);
}

/// <summary>
/// Client for one registry speaking the OCI distribution API: manifests and blobs, HEAD-before-push,
/// cross-repository mount, monolithic and chunked upload, auth, and bounded retries.
/// </summary>
public sealed partial class RegistryClient : IDisposable
{
    private readonly HttpClient _http;
    private readonly RegistryClientOptions _options;
    private readonly RegistryAuthenticator _auth;
    private readonly Uri _base;
    private long _blobBytesUploaded;
    private bool _registryTracksReferrers;

    public string Registry { get; }

    /// <summary>Bytes of blob content sent to this registry by this client (mounts and skips count zero).</summary>
    public long BlobBytesUploaded => Interlocked.Read(ref _blobBytesUploaded);

    public RegistryClient(string registry, RegistryClientOptions? options = null)
    {
        Registry = registry;
        _options = options ?? new RegistryClientOptions();
        var handler = new SocketsHttpHandler
        {
            ConnectTimeout = _options.ConnectTimeout,
            AllowAutoRedirect = true,
            AutomaticDecompression = DecompressionMethods.None,
            UseProxy = false,
        };
        _http = new HttpClient(handler) { Timeout = _options.RequestTimeout };
        _http.DefaultRequestHeaders.UserAgent.ParseAdd("Bakery.Sdk/1.0");
        _base = new Uri($"{(_options.IsInsecure(registry) ? "http" : "https")}://{registry}/v2/");
        _auth = new RegistryAuthenticator(registry, _options.Credentials.Find(registry), _http);
    }

    public void Dispose() => _http.Dispose();

    public async Task<FetchedManifest> GetManifestAsync(string repository, string reference, CancellationToken ct = default)
    {
        using var response = await SendAsync(repository, Pull(repository), () => ManifestRequest(HttpMethod.Get, repository, reference), ct);
        if (response.StatusCode == HttpStatusCode.NotFound)
            throw new RegistryException(RegistryFailure.NotFound, Registry, repository, $"{Registry}/{repository}:{reference} does not exist.", 404);
        await EnsureSuccessAsync(response, repository, $"read manifest {reference}");
        var bytes = await ReadLimitedAsync(response, repository, ct);
        var mediaType = response.Content.Headers.ContentType?.MediaType ?? TryParseMediaType(bytes) ?? MediaTypes.OciManifest;
        Digest digest;
        if (Model.Digest.TryParse(reference, out var pinned))
        {
            if (!pinned.Matches(bytes))
                throw new RegistryException(RegistryFailure.DigestMismatch, Registry, repository,
                    $"The manifest served for {Registry}/{repository}@{pinned} hashes to {Model.Digest.Compute(bytes)}, not to the pinned digest.");
            digest = pinned;
        }
        else digest = Model.Digest.Compute(bytes);
        return new FetchedManifest(bytes, mediaType, digest);
    }

    public async Task<bool> ManifestExistsAsync(string repository, string reference, CancellationToken ct = default)
    {
        using var response = await SendAsync(repository, Pull(repository), () => ManifestRequest(HttpMethod.Head, repository, reference), ct);
        if (response.StatusCode == HttpStatusCode.NotFound) return false;
        await EnsureSuccessAsync(response, repository, $"check manifest {reference}");
        return true;
    }

    /// <summary>Reads a small blob (a config) into memory and checks it against its digest.</summary>
    public async Task<byte[]> GetBlobAsync(string repository, Digest digest, CancellationToken ct = default)
    {
        using var response = await SendAsync(repository, Pull(repository),
            () => new HttpRequestMessage(HttpMethod.Get, Endpoint($"{repository}/blobs/{digest}")), ct);
        if (response.StatusCode == HttpStatusCode.NotFound)
            throw new RegistryException(RegistryFailure.NotFound, Registry, repository, $"Blob {digest} is missing from {Registry}/{repository}.", 404);
        await EnsureSuccessAsync(response, repository, $"read blob {digest}");
        var bytes = await ReadLimitedAsync(response, repository, ct);
        if (!digest.Matches(bytes))
            throw new RegistryException(RegistryFailure.DigestMismatch, Registry, repository,
                $"Blob {digest} from {Registry}/{repository} hashes to {Model.Digest.Compute(bytes)}: the content is corrupt or was tampered with.");
        return bytes;
    }

    /// <summary>Streams a blob to <paramref name="destination"/>, checking its digest; the file is only created when it matches.</summary>
    public async Task DownloadBlobAsync(string repository, Digest digest, string destination, CancellationToken ct = default)
    {
        using var response = await SendAsync(repository, Pull(repository),
            () => new HttpRequestMessage(HttpMethod.Get, Endpoint($"{repository}/blobs/{digest}")), ct, HttpCompletionOption.ResponseHeadersRead);
        await EnsureSuccessAsync(response, repository, $"read blob {digest}");
        var temp = destination + $".tmp-{Guid.NewGuid():N}";
        try
        {
            Digest actual;
            await using (var file = File.Create(temp))
            {
                using var hashing = new Layers.HashingStream(file, leaveOpen: true);
                await using var body = await response.Content.ReadAsStreamAsync(ct);
                await body.CopyToAsync(hashing, ct);
                actual = hashing.GetDigest();
            }
            if (actual != digest)
                throw new RegistryException(RegistryFailure.DigestMismatch, Registry, repository,
                    $"Blob {digest} from {Registry}/{repository} hashes to {actual}: the content is corrupt or was tampered with.");
            File.Move(temp, destination, overwrite: true);
        }
        finally
        {
            if (File.Exists(temp)) File.Delete(temp);
        }
    }

    public async Task<bool> BlobExistsAsync(string repository, Digest digest, CancellationToken ct = default)
    {
        using var response = await SendAsync(repository, Pull(repository),
            () => new HttpRequestMessage(HttpMethod.Head, Endpoint($"{repository}/blobs/{digest}")), ct);
        if (response.StatusCode == HttpStatusCode.NotFound) return false;
        await EnsureSuccessAsync(response, repository, $"check blob {digest}");
        return true;
    }

    /// <summary>Asks the registry to link a blob from another repository. False when it would rather have an upload.</summary>
    public async Task<bool> TryMountBlobAsync(string repository, Digest digest, string fromRepository, CancellationToken ct = default)
    {
        var scope = $"repository:{repository}:pull,push";
        using var response = await SendAsync(repository, scope, () => new HttpRequestMessage(HttpMethod.Post,
            Endpoint($"{repository}/blobs/uploads/?mount={digest}&from={Uri.EscapeDataString(fromRepository)}")), ct);
        if (response.StatusCode == HttpStatusCode.Created) return true;
        if (response.StatusCode == HttpStatusCode.Accepted)
        {
            // The registry opened an upload session instead; close it so it does not linger.
            if (response.Headers.Location is { } location)
            {
                using var cancel = await SendAsync(repository, scope, () => new HttpRequestMessage(HttpMethod.Delete, Resolve(location)), ct);
            }
            return false;
        }
        await EnsureSuccessAsync(response, repository, $"mount blob {digest} from {fromRepository}");
        return false;
    }

    /// <summary>Uploads a blob: one PUT when small, PATCH chunks when larger than the chunk size.</summary>
    public async Task UploadBlobAsync(string repository, Digest digest, string path, CancellationToken ct = default)
    {
        var size = new FileInfo(path).Length;
        var scope = $"repository:{repository}:pull,push";
        var attempt = 0;
        while (true)
        {
            attempt++;
            try
            {
                var location = await StartUploadAsync(repository, scope, ct);
                if (size > _options.ChunkSize) location = await UploadChunksAsync(repository, scope, location, path, size, ct);
                var body = size > _options.ChunkSize ? null : path;
                using var response = await SendOnceAsync(repository, scope, () =>
                {
                    var request = new HttpRequestMessage(HttpMethod.Put, AppendQuery(location, "digest=" + digest));
                    request.Content = body is null ? new ByteArrayContent([]) : new StreamContent(File.OpenRead(body), 1 << 16);
                    request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/octet-stream");
                    return request;
                }, ct);
                await EnsureSuccessAsync(response, repository, $"upload blob {digest}");
                if (body is not null) Interlocked.Add(ref _blobBytesUploaded, size);
                return;
            }
            catch (TransientUploadException e) when (attempt < _options.Retry.MaxAttempts)
            {
                await Task.Delay(_options.Retry.DelayFor(attempt, e.RetryAfter, DateTimeOffset.UtcNow), ct);
            }
            catch (TransientUploadException e)
            {
                throw new RegistryException(RegistryFailure.Rejected, Registry, repository,
                    $"Uploading blob {digest} to {Registry}/{repository} kept failing ({e.Message}).", e.StatusCode);
            }
        }
    }

    private async Task<Uri> StartUploadAsync(string repository, string scope, CancellationToken ct)
    {
        using var response = await SendAsync(repository, scope,
            () => new HttpRequestMessage(HttpMethod.Post, Endpoint($"{repository}/blobs/uploads/")), ct);
        await EnsureSuccessAsync(response, repository, "start a blob upload");
        return response.Headers.Location is { } location ? Resolve(location)
            : throw new RegistryException(RegistryFailure.Rejected, Registry, repository, $"{Registry} started an upload without saying where to send it (no Location header).");
    }

    private async Task<Uri> UploadChunksAsync(string repository, string scope, Uri location, string path, long size, CancellationToken ct)
    {
        await using var file = File.OpenRead(path);
        var buffer = new byte[(int)Math.Min(_options.ChunkSize, int.MaxValue)];
        long offset = 0;
        while (offset < size)
        {
            var read = await file.ReadAtLeastAsync(buffer, buffer.Length, throwOnEndOfStream: false, ct);
            var start = offset;
            using var response = await SendOnceAsync(repository, scope, () =>
            {
                var request = new HttpRequestMessage(HttpMethod.Patch, location)
                {
                    Content = new ByteArrayContent(buffer, 0, read),
                };
                request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/octet-stream");
                request.Content.Headers.TryAddWithoutValidation("Content-Range", $"{start}-{start + read - 1}");
                return request;
            }, ct);
            await EnsureSuccessAsync(response, repository, "upload a blob chunk");
            location = response.Headers.Location is { } next ? Resolve(next) : location;
            offset += read;
            Interlocked.Add(ref _blobBytesUploaded, read);
        }
        return location;
    }

    /// <summary>Puts a manifest under a digest or tag and returns the digest the registry stored.</summary>
    public async Task<Digest> PutManifestAsync(string repository, string reference, byte[] manifest, string mediaType, CancellationToken ct = default)
    {
        using var response = await SendAsync(repository, $"repository:{repository}:pull,push", () =>
        {
            var request = new HttpRequestMessage(HttpMethod.Put, Endpoint($"{repository}/manifests/{reference}")) { Content = new ByteArrayContent(manifest) };
            request.Content.Headers.ContentType = new MediaTypeHeaderValue(mediaType);
            return request;
        }, ct);
        await EnsureSuccessAsync(response, repository, $"push manifest {reference}");
        // OCI 1.1 registries answer a manifest with a subject with OCI-Subject: they keep the referrers themselves.
        _registryTracksReferrers = response.Headers.Contains("OCI-Subject");
        var expected = Model.Digest.Compute(manifest);
        if (response.Headers.TryGetValues("Docker-Content-Digest", out var values)
            && Model.Digest.TryParse(values.FirstOrDefault(), out var stored) && stored != expected)
            throw new RegistryException(RegistryFailure.DigestMismatch, Registry, repository,
                $"{Registry} stored manifest {reference} as {stored}, but it hashes to {expected}.");
        return expected;
    }

    public async Task<IReadOnlyList<string>> ListTagsAsync(string repository, CancellationToken ct = default)
    {
        using var response = await SendAsync(repository, Pull(repository),
            () => new HttpRequestMessage(HttpMethod.Get, Endpoint($"{repository}/tags/list")), ct);
        if (response.StatusCode == HttpStatusCode.NotFound) return [];
        await EnsureSuccessAsync(response, repository, "list tags");
        using var doc = System.Text.Json.JsonDocument.Parse(await ReadLimitedAsync(response, repository, ct));
        return doc.RootElement.TryGetProperty("tags", out var tags) && tags.ValueKind == System.Text.Json.JsonValueKind.Array
            ? tags.EnumerateArray().Select(t => t.GetString() ?? "").Where(t => t.Length > 0).ToList()
            : [];
    }

    /// <summary>Every repository the registry lists in its catalog (following its pagination links).</summary>
    public async Task<IReadOnlyList<string>> ListRepositoriesAsync(CancellationToken ct = default)
    {
        var repositories = new List<string>();
        var next = Endpoint("_catalog?n=1000");
        for (var page = 0; next is not null && page < 1000; page++)
        {
            var uri = next;
            using var response = await SendAsync("", "registry:catalog:*", () => new HttpRequestMessage(HttpMethod.Get, uri), ct);
            await EnsureSuccessAsync(response, "", "list repositories (catalog)");
            using var doc = System.Text.Json.JsonDocument.Parse(await ReadLimitedAsync(response, "", ct));
            if (doc.RootElement.TryGetProperty("repositories", out var list) && list.ValueKind == System.Text.Json.JsonValueKind.Array)
                repositories.AddRange(list.EnumerateArray().Select(r => r.GetString() ?? "").Where(r => r.Length > 0));
            next = response.Headers.TryGetValues("Link", out var links) && links.FirstOrDefault() is { } link && link.IndexOf('<') is var open and >= 0
                ? Resolve(new Uri(link[(open + 1)..link.IndexOf('>')], UriKind.RelativeOrAbsolute))
                : null;
        }
        return repositories;
    }

    private HttpRequestMessage ManifestRequest(HttpMethod method, string repository, string reference)
    {
        var request = new HttpRequestMessage(method, Endpoint($"{repository}/manifests/{reference}"));
        foreach (var type in MediaTypes.ManifestAccept) request.Headers.Accept.ParseAdd(type);
        return request;
    }

    private static string Pull(string repository) => $"repository:{repository}:pull";

    private Uri Endpoint(string relative) => new(_base, relative);

    private Uri Resolve(Uri location) => location.IsAbsoluteUri ? location : new Uri(_base, location);

    private static Uri AppendQuery(Uri uri, string query) =>
        new(uri + (uri.Query.Length > 0 ? "&" : "?") + query);

    /// <summary>Sends with auth and bounded retries on 429/5xx and connection failures.</summary>
    private async Task<HttpResponseMessage> SendAsync(string repository, string scope, Func<HttpRequestMessage> create,
        CancellationToken ct, HttpCompletionOption completion = HttpCompletionOption.ResponseContentRead)
    {
        var attempt = 0;
        while (true)
        {
            attempt++;
            try
            {
                var response = await SendOnceAsync(repository, scope, create, ct, completion);
                if (!RetryPolicy.IsTransient(response.StatusCode) || attempt >= _options.Retry.MaxAttempts) return response;
                var delay = _options.Retry.DelayFor(attempt, response.Headers.RetryAfter, DateTimeOffset.UtcNow);
                _options.Log?.Invoke($"{Registry} answered {(int)response.StatusCode}; retrying in {delay.TotalSeconds:0.#} s (attempt {attempt + 1} of {_options.Retry.MaxAttempts}).");
                response.Dispose();
                await Task.Delay(delay, ct);
            }
            catch (RegistryException e) when (e.Failure == RegistryFailure.Unreachable && attempt < _options.Retry.MaxAttempts)
            {
                await Task.Delay(_options.Retry.DelayFor(attempt, null, DateTimeOffset.UtcNow), ct);
            }
        }
    }

    private async Task<HttpResponseMessage> SendOnceAsync(string repository, string scope, Func<HttpRequestMessage> create,
        CancellationToken ct, HttpCompletionOption completion = HttpCompletionOption.ResponseContentRead)
    {
        var response = await SendRawAsync(repository, create, _auth.CurrentFor(scope), completion, ct);
        if (response.StatusCode != HttpStatusCode.Unauthorized) return ThrowIfTransientUpload(response);
        var header = await _auth.AnswerAsync(response, repository, scope, ct);
        if (header is null)
        {
            response.Dispose();
            throw Unauthorized(repository, null);
        }
        response.Dispose();
        response = await SendRawAsync(repository, create, header, completion, ct);
        if (response.StatusCode == HttpStatusCode.Unauthorized)
        {
            response.Dispose();
            throw Unauthorized(repository, 401);
        }
        return ThrowIfTransientUpload(response);
    }

    // Upload PATCH/PUT bodies go to a session URL that a retry cannot reuse; let UploadBlobAsync restart the session.
    private static HttpResponseMessage ThrowIfTransientUpload(HttpResponseMessage response)
    {
        var method = response.RequestMessage?.Method;
        if ((method == HttpMethod.Patch || (method == HttpMethod.Put && response.RequestMessage!.RequestUri!.AbsolutePath.Contains("/blobs/uploads/")))
            && RetryPolicy.IsTransient(response.StatusCode))
        {
            var e = new TransientUploadException((int)response.StatusCode, response.Headers.RetryAfter);
            response.Dispose();
            throw e;
        }
        return response;
    }

    private async Task<HttpResponseMessage> SendRawAsync(string repository, Func<HttpRequestMessage> create,
        AuthenticationHeaderValue? auth, HttpCompletionOption completion, CancellationToken ct)
    {
        using var request = create();
        if (auth is not null) request.Headers.Authorization = auth;
        try
        {
            return await _http.SendAsync(request, completion, ct);
        }
        catch (HttpRequestException e)
        {
            throw new RegistryException(RegistryFailure.Unreachable, Registry, repository,
                $"Cannot reach registry {Registry} ({Describe(e)}).", null, e);
        }
        catch (TaskCanceledException e) when (!ct.IsCancellationRequested)
        {
            throw new RegistryException(RegistryFailure.Unreachable, Registry, repository,
                $"Registry {Registry} did not answer within {_options.RequestTimeout.TotalSeconds:0} s.", null, e);
        }
    }

    private static string Describe(HttpRequestException e) =>
        e.InnerException is SocketException s ? s.SocketErrorCode switch
        {
            SocketError.ConnectionRefused => "connection refused: is it running, and is the host and port right?",
            SocketError.HostNotFound => "host not found",
            SocketError.TimedOut => "connection timed out",
            _ => s.Message,
        } : e.Message;

    private RegistryException Unauthorized(string repository, int? status) => new(RegistryFailure.Unauthorized, Registry, repository,
        _auth.HasCredential
            ? $"Registry {Registry} refused the credentials found for it when accessing {repository}."
            : $"Registry {Registry} requires authentication for {repository} and no credentials were found.", status ?? 401);

    private async Task EnsureSuccessAsync(HttpResponseMessage response, string repository, string action)
    {
        if (response.IsSuccessStatusCode) return;
        var status = (int)response.StatusCode;
        if (response.StatusCode == HttpStatusCode.Forbidden)
            throw new RegistryException(RegistryFailure.Unauthorized, Registry, repository,
                $"Registry {Registry} forbids this account to {action} in {repository}.", status);
        var body = "";
        try { body = (await response.Content.ReadAsStringAsync()).Trim(); } catch (HttpRequestException) { }
        if (body.Length > 300) body = body[..300] + "…";
        throw new RegistryException(RegistryFailure.Rejected, Registry, repository,
            $"Registry {Registry} refused to {action} in {repository}: {status} {response.ReasonPhrase}{(body.Length > 0 ? " " + body : "")}", status);
    }

    private async Task<byte[]> ReadLimitedAsync(HttpResponseMessage response, string repository, CancellationToken ct)
    {
        if (response.Content.Headers.ContentLength > _options.MaxDocumentSize)
            throw new RegistryException(RegistryFailure.Rejected, Registry, repository,
                $"{Registry} sent a {response.Content.Headers.ContentLength}-byte document where at most {_options.MaxDocumentSize} were expected.");
        var bytes = await response.Content.ReadAsByteArrayAsync(ct);
        if (bytes.Length > _options.MaxDocumentSize)
            throw new RegistryException(RegistryFailure.Rejected, Registry, repository,
                $"{Registry} sent a {bytes.Length}-byte document where at most {_options.MaxDocumentSize} were expected.");
        return bytes;
    }

    private static string? TryParseMediaType(byte[] bytes)
    {
        try { return ImageManifest.Parse(bytes).MediaType; }
        catch (System.Text.Json.JsonException) { return null; }
    }

    private sealed class TransientUploadException(int statusCode, RetryConditionHeaderValue? retryAfter)
        : Exception($"HTTP {statusCode}")
    {
        public int StatusCode { get; } = statusCode;
        public RetryConditionHeaderValue? RetryAfter { get; } = retryAfter;
    }
}
