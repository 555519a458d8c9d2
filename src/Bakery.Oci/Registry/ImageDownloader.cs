using Bakery.Oci.Archives;
using Bakery.Oci.Model;

namespace Bakery.Oci.Registry;

/// <summary>
/// Fetches a registry image's config and layers into a content-addressed folder (blobs already there
/// are not downloaded again) so the same readers work on registry images and archives.
/// </summary>
public static class ImageDownloader
{
    public static async Task<LocalImage> DownloadAsync(RegistryClient client, ImageReference reference, string blobCache, Platform? platform = null, CancellationToken ct = default)
    {
        Directory.CreateDirectory(blobCache);
        var fetched = await client.GetManifestAsync(reference.Repository, reference.Reference, ct);
        var manifest = fetched.Parse();
        if (MediaTypes.IsIndex(fetched.MediaType) || manifest.Manifests is not null)
        {
            var wanted = platform ?? new Platform { Os = "linux", Architecture = "amd64" };
            var match = manifest.ManifestFor(wanted)
                ?? throw new RegistryException(RegistryFailure.NotFound, reference.Registry, reference.Repository,
                    $"{reference} is an index with no image for {wanted}.");
            fetched = await client.GetManifestAsync(reference.Repository, match.Digest, ct);
            manifest = fetched.Parse();
        }
        if (manifest.Config is null || manifest.Layers is null)
            throw new RegistryException(RegistryFailure.NotFound, reference.Registry, reference.Repository,
                $"{reference} is not an image manifest (media type {fetched.MediaType}).");

        var config = await client.GetBlobAsync(reference.Repository, manifest.Config.ParsedDigest, ct);
        var diffIds = ImageConfig.Parse(config).DiffIds;
        if (diffIds.Count != manifest.Layers.Count)
            throw new RegistryException(RegistryFailure.NotFound, reference.Registry, reference.Repository,
                $"{reference}'s config lists {diffIds.Count} diff id(s) for {manifest.Layers.Count} layer(s): the image is corrupt.");
        var layers = new List<Layers.LayerFile>();
        for (var i = 0; i < manifest.Layers.Count; i++)
        {
            var layer = manifest.Layers[i];
            var path = Path.Combine(blobCache, layer.ParsedDigest.Hex);
            if (!File.Exists(path)) await client.DownloadBlobAsync(reference.Repository, layer.ParsedDigest, path, ct);
            // media type, size and diff id are checked when the layer is read
            layers.Add(new Layers.LayerFile(layer.Digest, path, layer.MediaType, layer.Size, diffIds[i]));
        }
        return new LocalImage($"{reference.Registry}/{reference.Repository}", fetched.Digest, fetched.MediaType,
            manifest.Config.ParsedDigest, config, layers, ArchivePath: null);
    }
}
