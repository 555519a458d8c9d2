using Bakery.Oci.Archives;
using Bakery.Oci.Model;

namespace Bakery.Oci.Registry;

/// <summary>
/// Fetches a registry image's config and layers into a content-addressed folder (blobs already there
/// are not downloaded again) so the same readers work on registry images and archives.
/// </summary>
public static class ImageDownloader
{
    public static async Task<LocalImage> DownloadAsync(IRegistryClient client, ImageReference reference, string blobCache, Platform? platform = null, CancellationToken ct = default)
    {
        Directory.CreateDirectory(blobCache);
        var image = await client.GetImageAsync(reference.Repository, reference.Reference, platform ?? Platform.LinuxAmd64, ct);
        var diffIds = ImageConfig.Parse(image.Config).DiffIds;
        if (diffIds.Count != image.Layers.Count)
            throw new RegistryException(RegistryFailure.NotFound, reference.Registry, reference.Repository,
                $"{reference}'s config lists {diffIds.Count} diff id(s) for {image.Layers.Count} layer(s): the image is corrupt.");
        var layers = new List<Layers.LayerFile>();
        for (var i = 0; i < image.Layers.Count; i++)
        {
            var layer = image.Layers[i];
            var path = Path.Combine(blobCache, layer.ParsedDigest.Hex);
            if (!File.Exists(path)) await client.DownloadBlobAsync(reference.Repository, layer.ParsedDigest, path, ct);
            // media type, size and diff id are checked when the layer is read
            layers.Add(new Layers.LayerFile(layer.Digest, path, layer.MediaType, layer.Size, diffIds[i]));
        }
        return new LocalImage($"{reference.Registry}/{reference.Repository}", image.Digest, image.MediaType,
            image.ConfigDigest, image.Config, layers, ArchivePath: null);
    }
}
