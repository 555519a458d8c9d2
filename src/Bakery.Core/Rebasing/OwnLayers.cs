using Bakery.Core.Baking;
using Bakery.Oci.Model;

namespace Bakery.Core.Rebasing;

/// <summary>A layer an image added on top of its base, as its bake recorded it.</summary>
internal sealed record OwnLayer(AddedLayer Layer, BakedStep Step, OciDescriptor Descriptor);

/// <summary>
/// Tells an image's own layers from its base's: the image's layers, diff ids and history must start
/// with exactly the base's (BAKE601); everything above is the image's own, and each of those must be
/// a layer a bake wrote, gzip with one history line <c>bakery: … (n entries)</c> at the image's creation
/// time (BAKE603). A RUN step's layer is refused (BAKE602): its content depends on the base it ran on.
/// </summary>
internal static class OwnLayers
{
    public static IReadOnlyList<OwnLayer> Split(string image, ImageManifest manifest, ImageConfig config, string baseName, ImageManifest baseManifest, ImageConfig baseConfig)
    {
        var layers = manifest.Layers ?? [];
        var baseLayers = baseManifest.Layers ?? [];
        var diffIds = config.DiffIds;
        var baseDiffIds = baseConfig.DiffIds;
        var history = config.HistoryCreatedBy;
        var empty = config.HistoryEmptyLayers ?? [];
        var baseHistory = baseConfig.HistoryCreatedBy;
        var baseEmpty = baseConfig.HistoryEmptyLayers ?? [];

        string? problem = null;
        if (layers.Count < baseLayers.Count) problem = $"it has {layers.Count} layer(s), its base {baseLayers.Count}";
        else if (Enumerable.Range(0, baseLayers.Count).FirstOrDefault(i => layers[i].Digest != baseLayers[i].Digest, -1) is var layer and >= 0)
            problem = $"layer {layer + 1} is {Short(layers[layer].Digest)} where the base has {Short(baseLayers[layer].Digest)}";
        else if (diffIds.Count != layers.Count) problem = $"its config lists {diffIds.Count} diff id(s) for {layers.Count} layer(s)";
        else if (baseDiffIds.Count != baseLayers.Count || !diffIds.Take(baseDiffIds.Count).SequenceEqual(baseDiffIds, StringComparer.Ordinal))
            problem = "its diff ids do not start with the base's";
        else if (history.Count < baseHistory.Count || !history.Take(baseHistory.Count).SequenceEqual(baseHistory, StringComparer.Ordinal)
            || !empty.Take(baseEmpty.Count).SequenceEqual(baseEmpty))
            problem = "its history does not start with the base's";
        if (problem is not null) throw Messages.BAKE601(image, baseName, problem).Exception();

        var ownCount = layers.Count - baseLayers.Count;
        var ownHistory = history.Count - baseHistory.Count;
        var steps = new List<OwnLayer>();
        for (var i = 0; i < Math.Max(ownCount, ownHistory); i++)
        {
            var at = baseLayers.Count + i;
            var entry = baseHistory.Count + i;
            var index = i + 1;
            if (i >= ownCount || i >= ownHistory)
                throw Messages.BAKE603(image, index, i < ownCount ? Short(layers[at].Digest) : "none",
                    $"does not match its history: {ownCount} own layer(s), {ownHistory} own history entr(ies)").Exception();
            var createdBy = history[entry];
            if (entry < empty.Count && empty[entry])
                throw Messages.BAKE603(image, index, Short(layers[at].Digest), $"has a history entry that made no layer ('{Oci.Layers.LayerNames.Escape(createdBy, 200)}')").Exception();
            var step = ImageHistory.Read(createdBy)
                ?? throw Messages.BAKE603(image, index, Short(layers[at].Digest), $"was not written by a bake (its history says '{Oci.Layers.LayerNames.Escape(createdBy, 200)}')").Exception();
            steps.Add(new OwnLayer(new AddedLayer(Digest.Parse(diffIds[at]), layers[at].ParsedDigest, layers[at].Size, createdBy), step, layers[at]));
        }

        var runs = steps.Where(s => s.Step.Kind == BakeStepKind.Run).ToList();
        if (runs.Count > 0) throw Messages.BAKE602(image, runs.Count, string.Join(", ", runs.Select(r => $"RUN {r.Step.Name}"))).Exception();

        var created = config.Created;
        var times = config.HistoryCreated;
        for (var i = 0; i < steps.Count; i++)
        {
            var descriptor = steps[i].Descriptor;
            if (descriptor.MediaType is not (MediaTypes.OciLayerGzip or MediaTypes.DockerLayerGzip))
                throw Messages.BAKE603(image, i + 1, Short(descriptor.Digest), $"is {descriptor.MediaType}, and a bake writes gzip layers").Exception();
            var when = times[baseHistory.Count + i];
            if (when != created)
                throw Messages.BAKE603(image, i + 1, Short(descriptor.Digest), $"was made at {when ?? "an unknown time"}, and a bake dates every layer it adds with the image ({created})").Exception();
        }
        return steps;
    }

    private static string Short(string digest) => digest.Length > 19 ? digest[..19] : digest;
}
