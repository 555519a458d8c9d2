using Bakery.Oci.Layers;
using Bakery.Oci.Model;

namespace Bakery.Oci.Archives;

/// <summary>
/// An image whose config is parsed and whose layers are files on this machine, whether it came from
/// a registry or from an archive. <see cref="ManifestDigest"/> is null for a docker-archive, which
/// has no manifest; <see cref="ArchivePath"/> is null for a registry image. Each layer carries its
/// media type, descriptor size and diff id, so every read of it is checked against them.
/// </summary>
public sealed record LocalImage(
    string Name,
    Digest? ManifestDigest,
    string MediaType,
    Digest ConfigDigest,
    byte[] ConfigBytes,
    IReadOnlyList<LayerFile> Layers,
    string? ArchivePath)
{
    public ImageConfig Config { get; } = ImageConfig.Parse(ConfigBytes);

    /// <summary>The image as people should see it: name@digest for a registry or OCI image, the config digest otherwise.</summary>
    public string Display => ManifestDigest is { } digest ? $"{Name}@{digest}" : $"{Name} (config {ConfigDigest})";
}
