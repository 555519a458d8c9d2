using Bakery.Oci.Archives;
using Bakery.Oci.Model;

namespace Bakery.Oci.Registry;

/// <summary>
/// Fetches a registry image's config and layers into a content-addressed folder (blobs already there
/// are not downloaded again) so the same readers work on registry images and archives.
/// </summary>
public static class ImageDownloader
{
    /// <summary>The platform picked from an index when the caller names none.</summary>
    public static async Task<LocalImage> DownloadAsync(IRegistryClient client, ImageReference reference, string blobCache, Platform? platform = null, CancellationToken ct = default)
    {
        Directory.CreateDirectory(blobCache);
        var image = await client.GetImageAsync(reference.Repository, reference.Reference, platform ?? Platform.LinuxAmd64, ct);
        var layers = new List<(string Digest, string Path)>();
        foreach (var layer in image.Layers)
        {
            var path = Path.Combine(blobCache, layer.ParsedDigest.Hex);
            if (!File.Exists(path)) await client.DownloadBlobAsync(reference.Repository, layer.ParsedDigest, path, ct);
            layers.Add((layer.Digest, path));
        }
        return new LocalImage($"{reference.Registry}/{reference.Repository}", image.Digest, image.MediaType,
            image.ConfigDigest, image.Config, layers, ArchivePath: null);
    }
}
