using Bakery.Oci.Layers;
using Bakery.Oci.Model;

namespace Bakery.Oci.Registry;

/// <summary>
/// A registry client whose reads by digest of manifests and small blobs (configs) are kept in a
/// content-addressed folder: what a digest names never changes, so a rebake on the same pinned base
/// reads them from disk. Every read from the folder is checked against its digest; a file that does
/// not match is fetched again. Everything else goes to the client it wraps, which it does not own.
/// </summary>
public sealed class PinnedReadCache(IRegistryClient inner, string directory) : IRegistryClient
{
    private const string MediaTypeSuffix = ".media-type";
    private const long MaxCachedSize = 4 * 1024 * 1024;

    public string Registry => inner.Registry;
    public long BlobBytesUploaded => inner.BlobBytesUploaded;

    public async Task<FetchedManifest> GetManifestAsync(string repository, string reference, CancellationToken ct = default)
    {
        if (!Digest.TryParse(reference, out var digest)) return await inner.GetManifestAsync(repository, reference, ct);
        var path = DeterministicLayerWriter.BlobPath(directory, digest);
        if (Read(path, digest) is { } bytes && File.Exists(path + MediaTypeSuffix))
            return new FetchedManifest(bytes, File.ReadAllText(path + MediaTypeSuffix).Trim(), digest);
        var fetched = await inner.GetManifestAsync(repository, reference, ct);
        AtomicFile.WriteAllText(path + MediaTypeSuffix, fetched.MediaType);
        AtomicFile.WriteAllBytes(path, fetched.Bytes);
        return fetched;
    }

    public async Task<byte[]> GetBlobAsync(string repository, Digest digest, CancellationToken ct = default)
    {
        var path = DeterministicLayerWriter.BlobPath(directory, digest);
        if (Read(path, digest) is { } bytes) return bytes;
        var fetched = await inner.GetBlobAsync(repository, digest, ct);
        AtomicFile.WriteAllBytes(path, fetched);
        return fetched;
    }

    private static byte[]? Read(string path, Digest digest)
    {
        if (!File.Exists(path) || new FileInfo(path).Length > MaxCachedSize) return null;
        var bytes = File.ReadAllBytes(path);
        return digest.Matches(bytes) ? bytes : null;
    }

    public Task<bool> ManifestExistsAsync(string repository, string reference, CancellationToken ct = default) => inner.ManifestExistsAsync(repository, reference, ct);
    public Task<PushedManifest> PushManifestAsync(string repository, string reference, byte[] manifest, string mediaType, CancellationToken ct = default) =>
        inner.PushManifestAsync(repository, reference, manifest, mediaType, ct);
    public Task<Stream> OpenBlobAsync(string repository, Digest digest, CancellationToken ct = default) => inner.OpenBlobAsync(repository, digest, ct);
    public Task DownloadBlobAsync(string repository, Digest digest, string destination, CancellationToken ct = default) => inner.DownloadBlobAsync(repository, digest, destination, ct);
    public Task<bool> BlobExistsAsync(string repository, Digest digest, CancellationToken ct = default) => inner.BlobExistsAsync(repository, digest, ct);
    public Task<bool> TryMountBlobAsync(string repository, Digest digest, string fromRepository, CancellationToken ct = default) =>
        inner.TryMountBlobAsync(repository, digest, fromRepository, ct);
    public Task UploadBlobAsync(string repository, BlobSource source, CancellationToken ct = default) => inner.UploadBlobAsync(repository, source, ct);
    public Task<IReadOnlyList<string>> ListTagsAsync(string repository, CancellationToken ct = default) => inner.ListTagsAsync(repository, ct);
    public Task<IReadOnlyList<string>> ListRepositoriesAsync(CancellationToken ct = default) => inner.ListRepositoriesAsync(ct);
    public Task<ImageManifest?> QueryReferrersAsync(string repository, Digest subject, CancellationToken ct = default) => inner.QueryReferrersAsync(repository, subject, ct);

    /// <summary>The wrapped client belongs to whoever made it.</summary>
    public void Dispose() { }
}
