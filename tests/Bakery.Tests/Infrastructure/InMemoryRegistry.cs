using Bakery.Oci.Model;
using Bakery.Oci.Registry;

namespace Bakery.Tests.Infrastructure;

/// <summary>
/// <see cref="IRegistryClient"/> in memory, for unit tests of what is built on the registry API
/// (fetching an image, referrer artifacts, copies): manifests, blobs and tags per repository, and
/// a count of every write. <see cref="TracksSubjects"/> makes it an OCI 1.1 registry (OCI-Subject,
/// referrers API); otherwise it behaves like Distribution 2.8.
/// </summary>
internal sealed class InMemoryRegistry(string registry = "memory.example") : IRegistryClient
{
    private readonly Dictionary<(string Repository, string Reference), (byte[] Bytes, string MediaType)> _manifests = [];
    private readonly Dictionary<(string Repository, Digest Digest), byte[]> _blobs = [];

    public string Registry => registry;
    public bool TracksSubjects { get; init; }
    public long BlobBytesUploaded { get; private set; }
    public int ManifestPuts { get; private set; }
    public int BlobUploads { get; private set; }
    public List<string> Calls { get; } = [];

    /// <summary>Serves these bytes for a reference instead of what was stored (a tampering registry).</summary>
    public Dictionary<string, byte[]> Tampered { get; } = [];

    public Digest AddBlob(string repository, byte[] content)
    {
        var digest = Digest.Compute(content);
        _blobs[(repository, digest)] = content;
        return digest;
    }

    public Digest AddManifest(string repository, ImageManifest manifest, string mediaType, params string[] tags)
    {
        var bytes = manifest.ToBytes();
        var digest = Digest.Compute(bytes);
        _manifests[(repository, digest.ToString())] = (bytes, mediaType);
        foreach (var tag in tags) _manifests[(repository, tag)] = (bytes, mediaType);
        return digest;
    }

    public Task<FetchedManifest> GetManifestAsync(string repository, string reference, CancellationToken ct = default)
    {
        Calls.Add($"GET manifest {repository}:{reference}");
        if (!_manifests.TryGetValue((repository, reference), out var found))
            throw new RegistryException(RegistryFailure.NotFound, registry, repository, $"{registry}/{repository}:{reference} does not exist.", 404);
        var bytes = Tampered.TryGetValue(reference, out var other) ? other : found.Bytes;
        if (Digest.TryParse(reference, out var pinned) && !pinned.Matches(bytes))
            throw new RegistryException(RegistryFailure.DigestMismatch, registry, repository, $"The manifest served for {reference} does not match.");
        return Task.FromResult(new FetchedManifest(bytes, found.MediaType, Digest.TryParse(reference, out var d) ? d : Digest.Compute(bytes)));
    }

    public Task<bool> ManifestExistsAsync(string repository, string reference, CancellationToken ct = default)
    {
        Calls.Add($"HEAD manifest {repository}:{reference}");
        return Task.FromResult(_manifests.ContainsKey((repository, reference)));
    }

    public Task<PushedManifest> PushManifestAsync(string repository, string reference, byte[] manifest, string mediaType, CancellationToken ct = default)
    {
        Calls.Add($"PUT manifest {repository}:{reference}");
        ManifestPuts++;
        var digest = Digest.Compute(manifest);
        var parsed = ImageManifest.Parse(manifest);
        foreach (var blob in (parsed.Layers ?? []).Append(parsed.Config).OfType<OciDescriptor>())
            if (!_blobs.ContainsKey((repository, blob.ParsedDigest)))
                throw new RegistryException(RegistryFailure.Rejected, registry, repository, $"manifest {reference} names the missing blob {blob.Digest}", 400);
        _manifests[(repository, reference)] = (manifest, mediaType);
        _manifests[(repository, digest.ToString())] = (manifest, mediaType);
        return Task.FromResult(new PushedManifest(digest, TracksSubjects && parsed.Subject is not null));
    }

    public Task<byte[]> GetBlobAsync(string repository, Digest digest, CancellationToken ct = default)
    {
        Calls.Add($"GET blob {repository}@{digest.Hex[..8]}");
        return _blobs.TryGetValue((repository, digest), out var bytes)
            ? Task.FromResult(bytes)
            : throw new RegistryException(RegistryFailure.NotFound, registry, repository, $"Blob {digest} is missing.", 404);
    }

    public async Task<Stream> OpenBlobAsync(string repository, Digest digest, CancellationToken ct = default) =>
        new MemoryStream(await GetBlobAsync(repository, digest, ct), writable: false);

    public async Task DownloadBlobAsync(string repository, Digest digest, string destination, CancellationToken ct = default) =>
        await File.WriteAllBytesAsync(destination, await GetBlobAsync(repository, digest, ct), ct);

    public Task<bool> BlobExistsAsync(string repository, Digest digest, CancellationToken ct = default)
    {
        Calls.Add($"HEAD blob {repository}@{digest.Hex[..8]}");
        return Task.FromResult(_blobs.ContainsKey((repository, digest)));
    }

    public Task<bool> TryMountBlobAsync(string repository, Digest digest, string fromRepository, CancellationToken ct = default)
    {
        if (!_blobs.TryGetValue((fromRepository, digest), out var bytes)) return Task.FromResult(false);
        _blobs[(repository, digest)] = bytes;
        return Task.FromResult(true);
    }

    public async Task UploadBlobAsync(string repository, BlobSource source, CancellationToken ct = default)
    {
        Calls.Add($"PUT blob {repository}@{source.Digest.Hex[..8]}");
        await using var stream = await source.OpenAsync(ct);
        using var copy = new MemoryStream();
        await stream.CopyToAsync(copy, ct);
        if (!source.Digest.Matches(copy.ToArray()))
            throw new RegistryException(RegistryFailure.DigestMismatch, registry, repository, $"Upload of {source.Digest} does not match.");
        _blobs[(repository, source.Digest)] = copy.ToArray();
        BlobUploads++;
        BlobBytesUploaded += copy.Length;
    }

    public Task<IReadOnlyList<string>> ListTagsAsync(string repository, CancellationToken ct = default) =>
        Task.FromResult<IReadOnlyList<string>>(_manifests.Keys.Where(k => k.Repository == repository && !k.Reference.Contains(':')).Select(k => k.Reference).Order().ToList());

    public Task<IReadOnlyList<string>> ListRepositoriesAsync(CancellationToken ct = default) =>
        Task.FromResult<IReadOnlyList<string>>(_manifests.Keys.Select(k => k.Repository).Distinct().Order().ToList());

    public Task<ImageManifest?> QueryReferrersAsync(string repository, Digest subject, CancellationToken ct = default)
    {
        Calls.Add($"GET referrers {repository}@{subject.Hex[..8]}");
        if (!TracksSubjects) return Task.FromResult<ImageManifest?>(null);
        var referrers = _manifests.Where(m => m.Key.Repository == repository && m.Key.Reference.StartsWith("sha256:", StringComparison.Ordinal))
            .Select(m => (Digest: m.Key.Reference, Manifest: ImageManifest.Parse(m.Value.Bytes), Size: m.Value.Bytes.Length))
            .Where(m => m.Manifest.Subject?.Digest == subject.ToString())
            .Select(m => new OciDescriptor { MediaType = MediaTypes.OciManifest, Digest = m.Digest, Size = m.Size, ArtifactType = m.Manifest.ArtifactType, Annotations = m.Manifest.Annotations })
            .ToList();
        return Task.FromResult<ImageManifest?>(new ImageManifest { MediaType = MediaTypes.OciIndex, Manifests = referrers });
    }

    public void Dispose() { }
}
