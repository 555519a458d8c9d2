using Bakery.Oci.Layers;
using Bakery.Oci.Model;

namespace Bakery.Core.Baking;

/// <summary>
/// Writes the image's config (the base's, with the project's settings, Bakery's labels and one
/// history entry per added layer) and its manifest: same inputs, same bytes, same digest.
/// </summary>
internal static class ImageComposer
{
    internal sealed record Composed(byte[] Bytes, Digest Digest, byte[] ConfigBytes, Digest ConfigDigest);

    /// <summary>The config and manifest for the base plus the layers added so far.</summary>
    public static Composed Compose(byte[] baseConfigBytes, ImageManifest baseManifest, List<(string Name, LayerBlob Blob)> added,
        BakeRequest request, string flavour, Digest baseDigest)
    {
        var config = ImageConfig.Parse(baseConfigBytes);
        ApplySettings(config, request, request.BaseImage.Reference, baseDigest);
        foreach (var (name, blob) in added)
            config.AddLayer(blob.DiffId, $"bakery: {name} ({blob.EntryCount} entries)", request.Created);
        var configBytes = config.ToBytes();
        var configDigest = Digest.Compute(configBytes);
        var layerType = MediaTypes.LayerFor(flavour);
        var manifest = new ImageManifest
        {
            SchemaVersion = 2,
            MediaType = flavour,
            Config = new OciDescriptor { MediaType = MediaTypes.ConfigFor(flavour), Digest = configDigest.ToString(), Size = configBytes.Length },
            Layers = (baseManifest.Layers ?? []).Select(l => l with { MediaType = MediaTypes.LayerIn(l.MediaType, flavour) }).Concat(added.Select(a => new OciDescriptor
            {
                MediaType = layerType,
                Digest = a.Blob.Digest.ToString(),
                Size = a.Blob.Size,
            })).ToList(),
        };
        var bytes = manifest.ToBytes();
        return new Composed(bytes, Digest.Compute(bytes), configBytes, configDigest);
    }

    private static void ApplySettings(ImageConfig config, BakeRequest request, ImageReference baseRef, Digest baseDigest)
    {
        var c = request.Container;
        config.SetCreated(request.Created);
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
            new("org.opencontainers.image.created", request.Created.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", System.Globalization.CultureInfo.InvariantCulture)),
            new(Descriptors.LineageLabel.Name, Descriptors.LineageLabel.Write(Lineage(request, baseDigest))),
        };
        AddIfSet(labels, "org.opencontainers.image.version", request.Version);
        AddIfSet(labels, "org.opencontainers.image.revision", request.Revision);
        AddIfSet(labels, "org.opencontainers.image.source", request.Source);
        if (request.BaseImage.Descriptor is { } d) labels.Add(new("dev.bakery.base.package", $"{d.Id}/{d.Version}"));
        if (request.BaseImage.IsUpstream) labels.Add(new("dev.bakery.origin.upstream", $"{baseRef.Registry}/{baseRef.Repository}@{baseDigest}"));
        config.SetLabels(labels);
    }

    /// <summary>Ancestors, nearest first: the base itself, then the lineage its package recorded.</summary>
    public static List<Descriptors.LineageEntry> Lineage(BakeRequest request, Digest baseDigest)
    {
        var d = request.BaseImage.Descriptor;
        var reference = request.BaseImage.Reference;
        var self = new Descriptors.LineageEntry
        {
            Repository = $"{reference.Registry}/{reference.Repository}",
            Digest = baseDigest.ToString(),
            PackageId = d?.Id,
            PackageVersion = d?.Version,
        };
        return [self, .. d?.Lineage ?? []];
    }

    private static void AddIfSet(List<KeyValuePair<string, string>> labels, string key, string? value)
    {
        if (!string.IsNullOrWhiteSpace(value)) labels.Add(new(key, value));
    }
}
