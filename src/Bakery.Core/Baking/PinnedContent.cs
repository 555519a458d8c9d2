using Bakery.Oci;
using Bakery.Oci.Layers;
using Bakery.Oci.Model;
using Bakery.Oci.Registry;

namespace Bakery.Core.Baking;

/// <summary>
/// Manifests and configs fetched by digest, kept with the bake's blobs: what a digest names never
/// changes, so a rebake on the same pinned base reads them from disk. Every read is checked against
/// its digest; a file that does not match is fetched again.
/// </summary>
internal sealed class PinnedContent(RegistryClient client, string repository, string blobDirectory)
{
    private const string MediaTypeSuffix = ".media-type";

    public async Task<FetchedManifest> ManifestAsync(Digest digest, CancellationToken ct)
    {
        var path = DeterministicLayerWriter.BlobPath(blobDirectory, digest);
        if (Read(path, digest) is { } bytes && File.Exists(path + MediaTypeSuffix))
            return new FetchedManifest(bytes, File.ReadAllText(path + MediaTypeSuffix).Trim(), digest);
        var fetched = await client.GetManifestAsync(repository, digest.ToString(), ct);
        AtomicFile.WriteAllText(path + MediaTypeSuffix, fetched.MediaType);
        AtomicFile.WriteAllBytes(path, fetched.Bytes);
        return fetched;
    }

    public async Task<byte[]> BlobAsync(Digest digest, CancellationToken ct)
    {
        var path = DeterministicLayerWriter.BlobPath(blobDirectory, digest);
        if (Read(path, digest) is { } bytes) return bytes;
        var fetched = await client.GetBlobAsync(repository, digest, ct);
        AtomicFile.WriteAllBytes(path, fetched);
        return fetched;
    }

    private static byte[]? Read(string path, Digest digest)
    {
        if (!File.Exists(path) || new FileInfo(path).Length > 4 * 1024 * 1024) return null;
        var bytes = File.ReadAllBytes(path);
        return digest.Matches(bytes) ? bytes : null;
    }
}
