namespace Bakery.Oci.Model;

public static class MediaTypes
{
    public const string OciManifest = "application/vnd.oci.image.manifest.v1+json";
    public const string OciIndex = "application/vnd.oci.image.index.v1+json";
    public const string OciConfig = "application/vnd.oci.image.config.v1+json";
    public const string OciLayerGzip = "application/vnd.oci.image.layer.v1.tar+gzip";
    public const string OciLayerTar = "application/vnd.oci.image.layer.v1.tar";
    public const string DockerManifest = "application/vnd.docker.distribution.manifest.v2+json";
    public const string DockerManifestList = "application/vnd.docker.distribution.manifest.list.v2+json";
    public const string DockerConfig = "application/vnd.docker.container.image.v1+json";
    public const string OciEmpty = "application/vnd.oci.empty.v1+json";
    public const string DockerLayerGzip = "application/vnd.docker.image.rootfs.diff.tar.gzip";

    public static bool IsIndex(string? mediaType) => mediaType is OciIndex or DockerManifestList;
    public static bool IsManifest(string? mediaType) => mediaType is OciManifest or DockerManifest;

    /// <summary>The Accept header for manifest requests: every manifest and index type we can read.</summary>
    public static readonly string[] ManifestAccept = [OciManifest, DockerManifest, OciIndex, DockerManifestList];

    /// <summary>The layer media type that matches the manifest flavour we write.</summary>
    public static string LayerFor(string manifestMediaType) =>
        manifestMediaType == DockerManifest ? DockerLayerGzip : OciLayerGzip;

    public const string OciLayerZstd = "application/vnd.oci.image.layer.v1.tar+zstd";
    public const string DockerLayerTar = "application/vnd.docker.image.rootfs.diff.tar";
    public const string DockerForeignLayerGzip = "application/vnd.docker.image.rootfs.foreign.diff.tar.gzip";
    public const string OciNondistributableLayerGzip = "application/vnd.oci.image.layer.nondistributable.v1.tar+gzip";

    /// <summary>
    /// A base layer's media type in a manifest of the other flavour (ContainerImageFormat): the same bytes,
    /// the name that flavour gives them. Types with no counterpart (zstd in a Docker manifest) stay as they are.
    /// </summary>
    public static string LayerIn(string layerMediaType, string manifestMediaType) => (layerMediaType, manifestMediaType) switch
    {
        (DockerLayerGzip, OciManifest) => OciLayerGzip,
        (DockerLayerTar, OciManifest) => OciLayerTar,
        (DockerForeignLayerGzip, OciManifest) => OciNondistributableLayerGzip,
        (OciLayerGzip, DockerManifest) => DockerLayerGzip,
        (OciLayerTar, DockerManifest) => DockerLayerTar,
        (OciNondistributableLayerGzip, DockerManifest) => DockerForeignLayerGzip,
        _ => layerMediaType,
    };

    public static string ConfigFor(string manifestMediaType) =>
        manifestMediaType == DockerManifest ? DockerConfig : OciConfig;
}
