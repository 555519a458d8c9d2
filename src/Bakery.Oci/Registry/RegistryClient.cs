using System.Net;
using System.Net.Http.Headers;
using Bakery.Oci.Model;

namespace Bakery.Oci.Registry;

/// <summary>
/// The OCI distribution API of one registry over HTTP: manifests, blobs, mounts, uploads, tags and
/// the catalog. Each method builds its request and reads the answer; authentication, retries,
/// timeouts, proxies and TLS live in the transport (<see cref="RegistryTransport"/>).
/// </summary>
public sealed partial class RegistryClient : IRegistryClient
{
    private readonly RegistryTransport _transport;
    private readonly RegistryClientOptions _options;
    private long _blobBytesUploaded;

    public RegistryClient(string registry, RegistryClientOptions? options = null)
    {
        Registry = registry;
        _options = options ?? new RegistryClientOptions();
        _transport = new RegistryTransport(registry, _options);
    }

    public string Registry { get; }

    public long BlobBytesUploaded => Interlocked.Read(ref _blobBytesUploaded);

    /// <summary>Tokens fetched from the registry's token service so far (each is reused for its scope until it expires).</summary>
    public int TokensFetched => _transport.TokensFetched;

    public void Dispose() => _transport.Dispose();

    public async Task<FetchedManifest> GetManifestAsync(string repository, string reference, CancellationToken ct = default)
    {
        using var request = ManifestRequest(HttpMethod.Get, repository, reference, $"read manifest {reference} of {repository}");
        request.Options.Set(RegistryRequest.BufferUpTo, _options.MaxDocumentSize);
        using var response = await SendAsync(request, ct);
        if (response.StatusCode == HttpStatusCode.NotFound)
            throw new RegistryException(RegistryFailure.NotFound, Registry, repository, $"{Registry}/{repository}:{reference} does not exist.", 404);
        await EnsureSuccessAsync(response, repository, $"read manifest {reference}");
        var bytes = await response.Content.ReadAsByteArrayAsync(ct);
        var mediaType = response.Content.Headers.ContentType?.MediaType ?? TryParseMediaType(bytes) ?? MediaTypes.OciManifest;
        if (!Model.Digest.TryParse(reference, out var pinned)) return new FetchedManifest(bytes, mediaType, Model.Digest.Compute(bytes));
        if (!pinned.Matches(bytes))
            throw new RegistryException(RegistryFailure.DigestMismatch, Registry, repository,
                $"The manifest served for {Registry}/{repository}@{pinned} hashes to {Model.Digest.Compute(bytes)}, not to the pinned digest.");
        return new FetchedManifest(bytes, mediaType, pinned);
    }

    public async Task<bool> ManifestExistsAsync(string repository, string reference, CancellationToken ct = default)
    {
        using var request = ManifestRequest(HttpMethod.Head, repository, reference, $"check manifest {reference} of {repository}");
        using var response = await SendAsync(request, ct);
        if (response.StatusCode == HttpStatusCode.NotFound) return false;
        await EnsureSuccessAsync(response, repository, $"check manifest {reference}");
        return true;
    }

    /// <summary>Puts a manifest under a digest or tag and returns the digest the registry stored.</summary>
    public async Task<Digest> PutManifestAsync(string repository, string reference, byte[] manifest, string mediaType, CancellationToken ct = default) =>
        (await PushManifestAsync(repository, reference, manifest, mediaType, ct)).Digest;

    public async Task<PushedManifest> PushManifestAsync(string repository, string reference, byte[] manifest, string mediaType, CancellationToken ct = default)
    {
        using var request = Request(HttpMethod.Put, $"{repository}/manifests/{reference}", repository, PushScope(repository), $"store manifest {reference} in {repository}");
        request.Content = new ByteArrayContent(manifest);
        request.Content.Headers.ContentType = new MediaTypeHeaderValue(mediaType);
        using var response = await SendAsync(request, ct);
        await EnsureSuccessAsync(response, repository, $"push manifest {reference}");
        var expected = Model.Digest.Compute(manifest);
        if (response.Headers.TryGetValues("Docker-Content-Digest", out var values)
            && Model.Digest.TryParse(values.FirstOrDefault(), out var stored) && stored != expected)
            throw new RegistryException(RegistryFailure.DigestMismatch, Registry, repository,
                $"{Registry} stored manifest {reference} as {stored}, but it hashes to {expected}.");
        // OCI 1.1 registries answer a manifest with a subject with OCI-Subject: they keep the referrers themselves.
        return new PushedManifest(expected, response.Headers.Contains("OCI-Subject"));
    }

    public async Task<byte[]> GetBlobAsync(string repository, Digest digest, CancellationToken ct = default)
    {
        using var request = Request(HttpMethod.Get, $"{repository}/blobs/{digest}", repository, ScopeFor(repository), $"read blob {Short(digest)} of {repository}");
        request.Options.Set(RegistryRequest.BufferUpTo, _options.MaxDocumentSize);
        using var response = await SendAsync(request, ct);
        if (response.StatusCode == HttpStatusCode.NotFound)
            throw new RegistryException(RegistryFailure.NotFound, Registry, repository, $"Blob {digest} is missing from {Registry}/{repository}.", 404);
        await EnsureSuccessAsync(response, repository, $"read blob {digest}");
        var bytes = await response.Content.ReadAsByteArrayAsync(ct);
        if (!digest.Matches(bytes))
            throw new RegistryException(RegistryFailure.DigestMismatch, Registry, repository,
                $"Blob {digest} from {Registry}/{repository} hashes to {Model.Digest.Compute(bytes)}: the content is corrupt or was tampered with.");
        return bytes;
    }

    public async Task<bool> BlobExistsAsync(string repository, Digest digest, CancellationToken ct = default)
    {
        using var request = Request(HttpMethod.Head, $"{repository}/blobs/{digest}", repository, ScopeFor(repository), $"check blob {Short(digest)} in {repository}");
        using var response = await SendAsync(request, ct);
        if (response.StatusCode == HttpStatusCode.NotFound) return false;
        await EnsureSuccessAsync(response, repository, $"check blob {digest}");
        return true;
    }

    /// <summary>
    /// Asks the registry to link a blob from another repository: the token asks for push on the target and
    /// pull on the source. False when the registry (or the token service) would rather have an upload.
    /// </summary>
    public async Task<bool> TryMountBlobAsync(string repository, Digest digest, string fromRepository, CancellationToken ct = default)
    {
        var scope = $"{PushScope(repository)} repository:{fromRepository}:pull";
        HttpResponseMessage response;
        using var request = Request(HttpMethod.Post, $"{repository}/blobs/uploads/?mount={digest}&from={Uri.EscapeDataString(fromRepository)}",
            repository, scope, $"mount blob {Short(digest)} from {fromRepository} into {repository}");
        try
        {
            response = await SendAsync(request, ct);
        }
        catch (RegistryException e) when (e.Failure == RegistryFailure.Unauthorized)
        {
            _options.Detail?.Invoke($"{Registry} refused to mount {Short(digest)} from {fromRepository} into {repository} ({e.Message}); uploading it instead.");
            return false;
        }
        using (response)
        {
            if (response.StatusCode == HttpStatusCode.Created) return true;
            if (response.StatusCode == HttpStatusCode.Accepted)
            {
                // The registry opened an upload session instead; close it so it does not linger.
                if (response.Headers.Location is { } location)
                {
                    using var cancel = Request(HttpMethod.Delete, Resolve(response, location), repository, PushScope(repository), "cancel an upload session");
                    using var _ = await SendAsync(cancel, ct);
                }
                return false;
            }
            if (response.StatusCode is HttpStatusCode.Unauthorized or HttpStatusCode.Forbidden or HttpStatusCode.NotFound) return false;
            await EnsureSuccessAsync(response, repository, $"mount blob {digest} from {fromRepository}");
            return false;
        }
    }

    /// <summary>Uploads a blob from a file: one PUT when small, PATCH chunks when larger than the chunk size.</summary>
    public Task UploadBlobAsync(string repository, Digest digest, string path, CancellationToken ct = default) =>
        UploadBlobAsync(repository, BlobSource.FromFile(path, digest), ct);

    public async Task<IReadOnlyList<string>> ListTagsAsync(string repository, CancellationToken ct = default)
    {
        var tags = new List<string>();
        var next = $"{repository}/tags/list?n=1000";
        for (var page = 0; next is not null && page < 1000; page++)
        {
            using var request = Request(HttpMethod.Get, next, repository, ScopeFor(repository), $"list the tags of {repository}");
            request.Options.Set(RegistryRequest.BufferUpTo, _options.MaxDocumentSize);
            using var response = await SendAsync(request, ct);
            if (response.StatusCode == HttpStatusCode.NotFound) return tags;
            await EnsureSuccessAsync(response, repository, "list tags");
            using var doc = System.Text.Json.JsonDocument.Parse(await response.Content.ReadAsByteArrayAsync(ct));
            if (doc.RootElement.TryGetProperty("tags", out var list) && list.ValueKind == System.Text.Json.JsonValueKind.Array)
                tags.AddRange(list.EnumerateArray().Select(t => t.GetString() ?? "").Where(t => t.Length > 0));
            next = NextPage(response);
        }
        return tags;
    }

    /// <summary>Every repository the registry lists in its catalog (following its pagination links).</summary>
    public async Task<IReadOnlyList<string>> ListRepositoriesAsync(CancellationToken ct = default)
    {
        var repositories = new List<string>();
        var next = "_catalog?n=1000";
        for (var page = 0; next is not null && page < 1000; page++)
        {
            using var request = Request(HttpMethod.Get, next, "", "registry:catalog:*", "list repositories (catalog)");
            request.Options.Set(RegistryRequest.BufferUpTo, _options.MaxDocumentSize);
            using var response = await SendAsync(request, ct);
            await EnsureSuccessAsync(response, "", "list repositories (catalog)");
            using var doc = System.Text.Json.JsonDocument.Parse(await response.Content.ReadAsByteArrayAsync(ct));
            if (doc.RootElement.TryGetProperty("repositories", out var list) && list.ValueKind == System.Text.Json.JsonValueKind.Array)
                repositories.AddRange(list.EnumerateArray().Select(r => r.GetString() ?? "").Where(r => r.Length > 0));
            next = NextPage(response);
        }
        return repositories;
    }

    public async Task<ImageManifest?> QueryReferrersAsync(string repository, Digest subject, CancellationToken ct = default)
    {
        using var request = Request(HttpMethod.Get, $"{repository}/referrers/{subject}", repository, ScopeFor(repository), $"list the referrers of {Short(subject)} in {repository}");
        request.Headers.Accept.ParseAdd(MediaTypes.OciIndex);
        request.Options.Set(RegistryRequest.BufferUpTo, _options.MaxDocumentSize);
        using var response = await SendAsync(request, ct);
        if (response.IsSuccessStatusCode && response.Content.Headers.ContentType?.MediaType == MediaTypes.OciIndex)
            return ImageManifest.Parse(await response.Content.ReadAsByteArrayAsync(ct));
        if (response.StatusCode is HttpStatusCode.NotFound or HttpStatusCode.MethodNotAllowed or HttpStatusCode.BadRequest || response.IsSuccessStatusCode) return null;
        await EnsureSuccessAsync(response, repository, $"list the referrers of {subject}");
        return null;
    }

    private HttpRequestMessage ManifestRequest(HttpMethod method, string repository, string reference, string action)
    {
        var request = Request(method, $"{repository}/manifests/{reference}", repository, ScopeFor(repository), action);
        foreach (var type in MediaTypes.ManifestAccept) request.Headers.Accept.ParseAdd(type);
        return request;
    }

    private HttpRequestMessage Request(HttpMethod method, string relative, string repository, string scope, string action) =>
        RegistryRequest.Create(method, new Uri(_transport.BaseUri, relative), repository, scope, action);

    private HttpRequestMessage Request(HttpMethod method, Uri uri, string repository, string scope, string action) =>
        RegistryRequest.Create(method, uri, repository, scope, action);

    /// <summary>A push-role client asks for push with every request on a repository, so one token serves the whole push.</summary>
    private string ScopeFor(string repository) =>
        _options.Role == RegistryRole.Push ? PushScope(repository) : $"repository:{repository}:pull";

    private static string PushScope(string repository) => $"repository:{repository}:pull,push";

    private static string Short(Digest digest) => digest.Hex.Length > 12 ? digest.Hex[..12] : digest.Hex;

    private Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken ct) =>
        _transport.Http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, ct);

    /// <summary>A Location header against the URL that was actually answered (an insecure registry may have moved to http).</summary>
    private Uri Resolve(HttpResponseMessage response, Uri location) =>
        location.IsAbsoluteUri ? location : new Uri(response.RequestMessage?.RequestUri ?? _transport.BaseUri, location);

    private string? NextPage(HttpResponseMessage response)
    {
        if (!response.Headers.TryGetValues("Link", out var links) || links.FirstOrDefault() is not { } link) return null;
        var open = link.IndexOf('<');
        var close = link.IndexOf('>');
        if (open < 0 || close <= open) return null;
        return Resolve(response, new Uri(link[(open + 1)..close], UriKind.RelativeOrAbsolute)).AbsoluteUri;
    }

    private async Task EnsureSuccessAsync(HttpResponseMessage response, string repository, string action)
    {
        if (response.IsSuccessStatusCode) return;
        var status = (int)response.StatusCode;
        if (response.StatusCode is HttpStatusCode.Forbidden or HttpStatusCode.Unauthorized)
            throw new RegistryException(RegistryFailure.Unauthorized, Registry, repository,
                $"Registry {Registry} forbids this account to {action} in {repository} ({status}).", status);
        var body = "";
        try { body = (await response.Content.ReadAsStringAsync()).Trim(); } catch (HttpRequestException) { } catch (IOException) { }
        if (body.Length > 300) body = body[..300] + "…";
        throw new RegistryException(RegistryFailure.Rejected, Registry, repository,
            $"Registry {Registry} refused to {action} in {repository}: {status} {response.ReasonPhrase}{(body.Length > 0 ? " " + body : "")}", status)
        {
            IsTransient = RetryPolicy.IsTransient(response.StatusCode),
        };
    }

    private static string? TryParseMediaType(byte[] bytes)
    {
        try { return ImageManifest.Parse(bytes).MediaType; }
        catch (System.Text.Json.JsonException) { return null; }
    }
}
