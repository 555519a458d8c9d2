using Bakery.Core.Baking;
using Bakery.Core.Descriptors;
using Bakery.Oci.Model;
using Bakery.Oci.Registry;

namespace Bakery.Core.Rebasing;

/// <summary>
/// An image a bake wrote, taken apart: the base it was baked on (from its lineage label, fetched by
/// digest), its own layers above that base, and the settings its bake applied. <see cref="ReadAsync"/>
/// proves the reading exact: composed again on its own base, the parts give back the image's digest.
/// </summary>
internal sealed record BakedImage(PinnedImage Image, PinnedImage Base, BaseImageSelection BaseSelection, IReadOnlyList<LineageEntry> Lineage,
    IReadOnlyList<OwnLayer> Own, ImageSettings Settings)
{
    public string Display => $"{Image.Name}@{Image.Digest}";

    /// <summary>An app's image has an app layer; a base image's has none (and gets a package of its own).</summary>
    public bool IsApp => Own.Any(o => o.Step.Kind == BakeStepKind.App);

    public bool OnUpstream => Image.Config.Labels.ContainsKey(ImageComposer.UpstreamLabel);

    public static async Task<BakedImage> ReadAsync(RebaseRegistry registry, PinnedImage image, CancellationToken ct)
    {
        var display = $"{image.Name}@{image.Digest}";
        var labels = image.Config.Labels;
        var lineage = LineageLabel.Read(labels);
        if (lineage.Count == 0)
            throw Messages.BAKE600(display, LineageLabel.IsPresent(labels) ? $"its {LineageLabel.Name} label is not a lineage" : $"it has no {LineageLabel.Name} label").Exception();
        var nearest = lineage[0];
        var baseDigest = labels.GetValueOrDefault("org.opencontainers.image.base.digest");
        if (baseDigest != nearest.Digest)
            throw Messages.BAKE600(display, $"its org.opencontainers.image.base.digest label ({baseDigest ?? "none"}) and its lineage ({nearest.Digest}) name different bases").Exception();
        if (!ImageReference.TryParse($"{nearest.Repository}@{nearest.Digest}", out var baseRef, out var error))
            throw Messages.BAKE600(display, $"its lineage names the base '{nearest.Repository}@{nearest.Digest}', which is not an image reference ({error})").Exception();

        PinnedImage oldBase;
        try
        {
            var fetched = await registry.ManifestAsync(baseRef!.Registry, baseRef.Repository, nearest.Digest, ct);
            oldBase = await registry.ImageAsync(baseRef.Registry, baseRef.Repository, fetched, image.Platform, ct);
        }
        catch (RegistryException e)
        {
            throw RegistryErrors.Specific(e, baseRef!.ToString()) ?? Messages.BAKE613(baseRef, display, e.Message).Exception(e);
        }

        var own = OwnLayers.Split(display, image.Parsed, image.Config, baseRef.ToString(), oldBase.Parsed, oldBase.Config);
        var isApp = own.Any(o => o.Step.Kind == BakeStepKind.App);
        var settings = SettingsRecovery.Recover(image.Config, oldBase.Config, isApp);
        var selection = OldSelection(baseRef, lineage, labels.ContainsKey(ImageComposer.UpstreamLabel));
        // A platform image of a multi-platform base: its bake named the base's index in the lineage, so composing again names it too.
        var oldIndex = nearest.Index is { } named && Digest.TryParse(named, out var parsedIndex) ? parsedIndex : (Digest?)null;
        var again = ImageComposer.Compose(new ComposeBase(oldBase.ConfigBytes, oldBase.Parsed, oldBase.Digest, selection, oldIndex),
            own.Select(o => o.Layer).ToList(), settings, oldBase.Flavour);
        if (again.Digest != image.Digest)
            throw Messages.BAKE611(display, baseRef, again.Digest, image.Digest, ConfigDifference.Describe(image.ConfigBytes, again.ConfigBytes, image.Manifest.Bytes, again.Bytes)).Exception();
        return new BakedImage(image, oldBase, selection, lineage, own, settings);
    }

    /// <summary>The old base as its bake chose it, rebuilt from the lineage label: the package (id, version and its lineage), an upstream, or neither.</summary>
    private static BaseImageSelection OldSelection(ImageReference baseRef, IReadOnlyList<LineageEntry> lineage, bool upstream)
    {
        var nearest = lineage[0];
        var descriptor = nearest.PackageId is { Length: > 0 } id
            ? new BaseImageDescriptor { Id = id, Version = nearest.PackageVersion ?? "", Lineage = lineage.Skip(1).ToList() }
            : null;
        return new BaseImageSelection(baseRef, descriptor, IsUpstream: upstream && descriptor is null);
    }
}
