using Bakery.Oci.Model;

namespace Bakery.Oci.Registry;

/// <summary>A manifest as fetched: the exact bytes (they define the digest), their media type and digest.</summary>
public sealed record FetchedManifest(byte[] Bytes, string MediaType, Digest Digest)
{
    public ImageManifest Parse() => ImageManifest.Parse(Bytes);
}

/// <summary>What a registry said when a manifest was pushed.</summary>
/// <param name="SubjectTracked">The registry answered <c>OCI-Subject</c>: it keeps the referrers of the subject itself (OCI 1.1).</param>
public sealed record PushedManifest(Digest Digest, bool SubjectTracked);

/// <summary>
/// The OCI distribution API of one registry, endpoint by endpoint. <see cref="RegistryClient"/> speaks
/// it over HTTP; what is built on it (fetching an image, referrer artifacts, copying blobs between
/// registries) takes this interface, so it can be tested without a registry.
/// </summary>
public interface IRegistryClient : IDisposable
{
    /// <summary>The registry as references name it (<c>localhost:5000</c>, <c>docker.io</c>).</summary>
    string Registry { get; }

    /// <summary>Bytes of blob content sent to this registry by this client (mounts and skips count zero).</summary>
    long BlobBytesUploaded { get; }

    /// <summary>A manifest or index by tag or digest; by digest, the bytes are checked against it.</summary>
    Task<FetchedManifest> GetManifestAsync(string repository, string reference, CancellationToken ct = default);

    Task<bool> ManifestExistsAsync(string repository, string reference, CancellationToken ct = default);

    /// <summary>Puts a manifest under a digest or tag.</summary>
    Task<PushedManifest> PushManifestAsync(string repository, string reference, byte[] manifest, string mediaType, CancellationToken ct = default);

    /// <summary>Reads a small blob (a config) into memory and checks it against its digest.</summary>
    Task<byte[]> GetBlobAsync(string repository, Digest digest, CancellationToken ct = default);

    /// <summary>A blob as a stream that checks the digest at its end (a mismatch fails the last read).</summary>
    Task<Stream> OpenBlobAsync(string repository, Digest digest, CancellationToken ct = default);

    /// <summary>Streams a blob to a file, checking its digest; the file only appears when it matches.</summary>
    Task DownloadBlobAsync(string repository, Digest digest, string destination, CancellationToken ct = default);

    Task<bool> BlobExistsAsync(string repository, Digest digest, CancellationToken ct = default);

    /// <summary>Asks the registry to link a blob from another repository. False when it would rather have an upload.</summary>
    Task<bool> TryMountBlobAsync(string repository, Digest digest, string fromRepository, CancellationToken ct = default);

    /// <summary>Uploads a blob from a file or a stream of another registry, resuming or restarting the session after failures.</summary>
    Task UploadBlobAsync(string repository, BlobSource source, CancellationToken ct = default);

    Task<IReadOnlyList<string>> ListTagsAsync(string repository, CancellationToken ct = default);

    Task<IReadOnlyList<string>> ListRepositoriesAsync(CancellationToken ct = default);

    /// <summary>The referrers API (OCI 1.1): the index of referrers, or null when the registry does not offer it.</summary>
    Task<ImageManifest?> QueryReferrersAsync(string repository, Digest subject, CancellationToken ct = default);
}
