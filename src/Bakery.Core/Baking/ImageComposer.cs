using Bakery.Core.Descriptors;
using Bakery.Oci.Layers;
using Bakery.Oci.Model;

namespace Bakery.Core.Baking;

/// <summary>
/// The base an image is composed on: its config and manifest as fetched, its digest, how it was chosen
/// (package, upstream, untrusted), and the index it was taken from (null when the base is one image).
/// </summary>
internal sealed record ComposeBase(byte[] ConfigBytes, ImageManifest Manifest, Digest Digest, BaseImageSelection Selection, Digest? IndexDigest = null);

/// <summary>A layer an image adds on top of its base, as its config and manifest record it.</summary>
internal sealed record AddedLayer(Digest DiffId, Digest Digest, long Size, string CreatedBy)
{
    public static AddedLayer Of(string step, LayerBlob blob) => new(blob.DiffId, blob.Digest, blob.Size, ImageHistory.Line(step, blob.EntryCount));
}

/// <summary>What a bake decides about an image besides its base and its layers: the project's container settings, the time and the OCI version labels.</summary>
internal sealed record ImageSettings(ContainerSettings Container, DateTimeOffset Created, string? Version, string? Revision, string? Source)
{
    public static ImageSettings Of(BakeRequest request) => new(request.Container, request.Created, request.Version, request.Revision, request.Source);
}

/// <summary>
/// Writes the image's config (the base's, with the project's settings, Bakery's labels and one
/// history entry per added layer) and its manifest: same inputs, same bytes, same digest. A bake and
/// a rebase both compose through <see cref="Compose(ComposeBase, IReadOnlyList{AddedLayer}, ImageSettings, string)"/>,
/// so a rebased image is byte for byte the image a bake on the new base writes.
/// </summary>
internal static class ImageComposer
{
    internal sealed record Composed(byte[] Bytes, Digest Digest, byte[] ConfigBytes, Digest ConfigDigest);

    /// <summary>The config and manifest for the base plus the layers a bake added so far.</summary>
    public static Composed Compose(byte[] baseConfigBytes, ImageManifest baseManifest, List<(string Name, LayerBlob Blob)> added,
        BakeRequest request, string flavour, Digest baseDigest, Digest? baseIndexDigest = null) =>
        Compose(new ComposeBase(baseConfigBytes, baseManifest, baseDigest, request.BaseImage, baseIndexDigest),
            added.Select(a => AddedLayer.Of(a.Name, a.Blob)).ToList(), ImageSettings.Of(request), flavour);

    /// <summary>The config and manifest of <paramref name="layers"/> on <paramref name="onto"/> with <paramref name="settings"/>, in the manifest flavour given.</summary>
    public static Composed Compose(ComposeBase onto, IReadOnlyList<AddedLayer> layers, ImageSettings settings, string flavour)
    {
        var config = ImageConfig.Parse(onto.ConfigBytes);
        ApplySettings(config, settings, onto.Selection, onto.Digest, onto.IndexDigest);
        foreach (var layer in layers)
            config.AddLayer(layer.DiffId, layer.CreatedBy, settings.Created);
        var configBytes = config.ToBytes();
        var configDigest = Digest.Compute(configBytes);
        var layerType = MediaTypes.LayerFor(flavour);
        var manifest = new ImageManifest
        {
            SchemaVersion = 2,
            MediaType = flavour,
            Config = new OciDescriptor { MediaType = MediaTypes.ConfigFor(flavour), Digest = configDigest.ToString(), Size = configBytes.Length },
            Layers = (onto.Manifest.Layers ?? []).Select(l => l with { MediaType = MediaTypes.LayerIn(l.MediaType, flavour) }).Concat(layers.Select(a => new OciDescriptor
            {
                MediaType = layerType,
                Digest = a.Digest.ToString(),
                Size = a.Size,
            })).ToList(),
        };
        var bytes = manifest.ToBytes();
        return new Composed(bytes, Digest.Compute(bytes), configBytes, configDigest);
    }

    /// <summary>The labels only Bakery writes, recomputed for every base: a rebase does not carry them over from the old image.</summary>
    public static readonly IReadOnlySet<string> BakeryLabels = new HashSet<string>(StringComparer.Ordinal)
    {
        "org.opencontainers.image.base.name", "org.opencontainers.image.base.digest", "org.opencontainers.image.created",
        LineageLabel.Name, BasePackageLabel, UpstreamLabel,
    };

    public const string BasePackageLabel = "dev.bakery.base.package";
    public const string UpstreamLabel = "dev.bakery.origin.upstream";

    private static void ApplySettings(ImageConfig config, ImageSettings settings, BaseImageSelection selection, Digest baseDigest, Digest? baseIndexDigest)
    {
        var c = settings.Container;
        var baseRef = selection.Reference;
        config.SetCreated(settings.Created);
        var (entrypoint, cmd) = EntrypointResolver.Resolve(c, config.Entrypoint, config.Cmd);
        config.SetEntrypoint(entrypoint);
        config.SetCmd(cmd);
        config.SetUser(c.User);
        config.SetWorkingDir(c.WorkingDirectory);
        config.SetEnvironment(c.Environment);
        config.AddExposedPorts(c.Ports);

        var labels = new List<KeyValuePair<string, string>>(c.Labels)
        {
            new("org.opencontainers.image.base.name", $"{baseRef.Registry}/{baseRef.Repository}"),
            new("org.opencontainers.image.base.digest", baseDigest.ToString()),
            new("org.opencontainers.image.created", settings.Created.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", System.Globalization.CultureInfo.InvariantCulture)),
            new(LineageLabel.Name, LineageLabel.Write(Lineage(selection, baseDigest, baseIndexDigest, config.Platform))),
        };
        AddIfSet(labels, "org.opencontainers.image.version", settings.Version);
        AddIfSet(labels, "org.opencontainers.image.revision", settings.Revision);
        AddIfSet(labels, "org.opencontainers.image.source", settings.Source);
        if (selection.Descriptor is { } d) labels.Add(new(BasePackageLabel, $"{d.Id}/{d.Version}"));
        if (selection.IsUpstream) labels.Add(new(UpstreamLabel, $"{baseRef.Registry}/{baseRef.Repository}@{baseDigest}"));
        config.SetLabels(labels);
    }

    /// <summary>
    /// An image's ancestors, nearest first: the base image itself (with the index it was taken from),
    /// then the lineage its package recorded for that platform.
    /// </summary>
    public static List<LineageEntry> Lineage(BakeRequest request, Digest baseDigest, Digest? baseIndexDigest = null, Platform? platform = null) =>
        Lineage(request.BaseImage, baseDigest, baseIndexDigest, platform);

    public static List<LineageEntry> Lineage(BaseImageSelection selection, Digest baseDigest, Digest? baseIndexDigest = null, Platform? platform = null)
    {
        var d = selection.Descriptor;
        var reference = selection.Reference;
        var self = new LineageEntry
        {
            Repository = $"{reference.Registry}/{reference.Repository}",
            Digest = baseDigest.ToString(),
            Index = baseIndexDigest?.ToString(),
            PackageId = d?.Id,
            PackageVersion = d?.Version,
        };
        return [self, .. d?.LineageFor(platform) ?? []];
    }

    /// <summary>An index's ancestors, nearest first: the base as its package pins it (its index), then the package's lineage.</summary>
    public static List<LineageEntry> IndexLineage(BakeRequest request, Digest pinnedBase)
    {
        var d = request.BaseImage.Descriptor;
        var reference = request.BaseImage.Reference;
        return [new LineageEntry
        {
            Repository = $"{reference.Registry}/{reference.Repository}",
            Digest = pinnedBase.ToString(),
            PackageId = d?.Id,
            PackageVersion = d?.Version,
        }, .. d?.Lineage ?? []];
    }

    private static void AddIfSet(List<KeyValuePair<string, string>> labels, string key, string? value)
    {
        if (!string.IsNullOrWhiteSpace(value)) labels.Add(new(key, value));
    }
}
