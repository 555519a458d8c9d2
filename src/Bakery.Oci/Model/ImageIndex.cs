namespace Bakery.Oci.Model;

/// <summary>
/// Writes an image index (OCI, or a Docker manifest list when every image is a Docker v2 manifest, as
/// registries and docker expect): one entry per platform image, in the order given, with the platform
/// its config states. Same images, same bytes, same digest.
/// </summary>
public static class ImageIndex
{
    /// <summary>A platform image as the index lists it: its manifest (bytes define the digest) and the platform its config states.</summary>
    public sealed record Entry(Platform Platform, string MediaType, Digest Digest, long Size);

    public sealed record Written(byte[] Bytes, Digest Digest, string MediaType);

    public static Written Write(IReadOnlyList<Entry> entries)
    {
        if (entries.Count == 0) throw new ArgumentException("An index needs at least one image.", nameof(entries));
        var duplicate = entries.GroupBy(e => e.Platform.ToString()).FirstOrDefault(g => g.Count() > 1);
        if (duplicate is not null) throw new ArgumentException($"Two images of the index are for {duplicate.Key}.", nameof(entries));
        var mediaType = entries.All(e => e.MediaType == MediaTypes.DockerManifest) ? MediaTypes.DockerManifestList : MediaTypes.OciIndex;
        var index = new ImageManifest
        {
            SchemaVersion = 2,
            MediaType = mediaType,
            Manifests = entries.Select(e => new OciDescriptor
            {
                MediaType = e.MediaType,
                Digest = e.Digest.ToString(),
                Size = e.Size,
                Platform = e.Platform,
            }).ToList(),
        };
        var bytes = index.ToBytes();
        return new Written(bytes, Digest.Compute(bytes), mediaType);
    }
}
