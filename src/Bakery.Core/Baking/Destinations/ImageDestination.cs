using Bakery.Core.Containers;
using Bakery.Oci.Archives;
using Bakery.Oci.Model;

namespace Bakery.Core.Baking.Destinations;

/// <summary>Where a verified image goes: a registry, the local container engine, or an archive file.</summary>
public enum DestinationKind { Registry, LocalEngine, Archive }

/// <summary>
/// Where a bake delivers its image, decided from the .NET SDK's properties as the SDK decides it:
/// <c>ContainerArchiveOutputPath</c> set: a tarball there (a folder gets <c>&lt;repository&gt;.tar.gz</c>);
/// else <c>ContainerRegistry</c> set: a push; else the local engine (<c>LocalRegistry=Docker|Podman</c>,
/// detected when unset). <c>ContainerImageFormat=OCI</c> makes the manifest and the archive OCI.
/// </summary>
public sealed record ImageDestination
{
    public required DestinationKind Kind { get; init; }
    public required string Repository { get; init; }

    /// <summary>The registry pushed to (Kind Registry only).</summary>
    public string? Registry { get; init; }

    /// <summary>The engine LocalRegistry names; null lets the bake find the one that answers.</summary>
    public ContainerEngineKind? Engine { get; init; }

    /// <summary>The archive file (Kind Archive only), a full path.</summary>
    public string? ArchivePath { get; init; }

    public ImageArchiveFormat ArchiveFormat { get; init; } = ImageArchiveFormat.Docker;

    /// <summary>The image's name there: registry/repository for a push, the repository for an engine or archive (as docker names it).</summary>
    public string Name => Kind == DestinationKind.Registry ? $"{Registry}/{Repository}" : Repository;

    public static ImageDestination ToRegistry(string registry, string repository) => new() { Kind = DestinationKind.Registry, Registry = registry, Repository = repository };

    /// <param name="archiveOutputPath">A file, or a folder (it exists, or ends with a separator) that gets &lt;repository&gt;.tar.gz.</param>
    /// <param name="format">ContainerImageFormat: the archive format (null: docker-archive).</param>
    /// <summary>Whether an image index can go there: a registry, or an OCI layout archive (a docker-archive and an engine's image store hold single images).</summary>
    public static bool HoldsIndexes(ImageDestination destination) =>
        destination.Kind == DestinationKind.Registry || destination is { Kind: DestinationKind.Archive, ArchiveFormat: ImageArchiveFormat.Oci };

    public static ImageDestination Decide(string? registry, string repository, string? localRegistry, string? archiveOutputPath, ImageFormat? format)
    {
        var archiveFormat = format == ImageFormat.Oci ? ImageArchiveFormat.Oci : ImageArchiveFormat.Docker;
        if (!string.IsNullOrWhiteSpace(archiveOutputPath))
            return new ImageDestination { Kind = DestinationKind.Archive, Repository = repository, ArchivePath = ArchiveFile(archiveOutputPath.Trim(), repository), ArchiveFormat = archiveFormat };
        if (!string.IsNullOrWhiteSpace(registry)) return ToRegistry(registry.Trim(), repository) with { ArchiveFormat = archiveFormat };
        return new ImageDestination { Kind = DestinationKind.LocalEngine, Repository = repository, Engine = ParseEngine(localRegistry), ArchiveFormat = archiveFormat };
    }

    /// <summary>LocalRegistry as the SDK spells it: Docker or Podman (any case); empty means detect.</summary>
    public static ContainerEngineKind? ParseEngine(string? localRegistry) => (localRegistry ?? "").Trim().ToLowerInvariant() switch
    {
        "" => null,
        "docker" => ContainerEngineKind.Docker,
        "podman" => ContainerEngineKind.Podman,
        _ => throw Messages.BAKE502("LocalRegistry", localRegistry, "use Docker or Podman (or leave it empty to use whichever answers)").Exception(),
    };

    private static string ArchiveFile(string path, string repository)
    {
        var full = Path.GetFullPath(path);
        return Directory.Exists(full) || path.EndsWith('/') || path.EndsWith('\\')
            ? Path.Combine(full, repository.Replace('/', Path.DirectorySeparatorChar) + ".tar.gz")
            : full;
    }
}

/// <summary>ContainerImageFormat: the manifest media types (and archive format) asked for; null keeps the base image's.</summary>
public enum ImageFormat { Docker, Oci }

public static class ImageFormats
{
    public static ImageFormat? Parse(string? value) => (value ?? "").Trim().ToLowerInvariant() switch
    {
        "" => null,
        "docker" => ImageFormat.Docker,
        "oci" => ImageFormat.Oci,
        _ => throw Messages.BAKE502("ContainerImageFormat", value, "use Docker or OCI, as the .NET SDK names them").Exception(),
    };

    /// <summary>The manifest media type a format asks for.</summary>
    public static string? ManifestMediaType(ImageFormat? format) => format switch
    {
        ImageFormat.Docker => MediaTypes.DockerManifest,
        ImageFormat.Oci => MediaTypes.OciManifest,
        _ => null,
    };
}

/// <summary>Where the image went, for reports and the console: "registry", "docker", "podman" or "archive", and the names it has there.</summary>
public sealed record DestinationReport(string Kind, string Location, IReadOnlyList<string> References, string? ImageId = null, string? Format = null);
