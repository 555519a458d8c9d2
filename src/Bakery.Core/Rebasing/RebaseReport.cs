using Bakery.Core.Baking;
using Bakery.Oci.Layers;

namespace Bakery.Core.Rebasing;

/// <summary>A rebased image's report, in the bake report's format (JSON, Markdown, JUnit), so CI reads both alike.</summary>
internal static class RebaseReport
{
    public static BakeResult Create(BakeRequest request, ImageComposer.Composed composed, PinnedImage onto, List<LayerFile> layers, IReadOnlyList<OwnLayer> ownSteps, GateOutcome gates,
        IReadOnlyList<string> tags, PushStatistics push, string? sbomDigest)
    {
        var baseCount = onto.Parsed.Layers?.Count ?? 0;
        var descriptor = request.BaseImage.Descriptor;
        var own = layers.Skip(baseCount).ToList();
        return new BakeResult
        {
            Image = $"{request.TargetRegistry}/{request.TargetRepository}",
            Digest = composed.Digest.ToString(),
            MediaType = onto.Flavour,
            ConfigDigest = composed.ConfigDigest.ToString(),
            Tags = tags,
            BaseImage = onto.Name,
            BaseDigest = onto.Digest.ToString(),
            BasePackage = descriptor is null ? null : $"{descriptor.Id} {descriptor.Version}",
            Lineage = ImageComposer.Lineage(request.BaseImage, onto.Digest, onto.IndexDigest, onto.Platform),
            BaseExpiresOn = descriptor?.Lifecycle.ExpiresOn,
            Layers = (onto.Parsed.Layers ?? []).Select(l => new LayerReport("base", l.Digest, l.Size, "base"))
                .Concat(own.Select((l, i) => new LayerReport(i < ownSteps.Count ? Name(ownSteps[i].Step) : $"layer {baseCount + i + 1}", l.Digest, l.Size ?? new FileInfo(l.Path).Length, "bake"))).ToList(),
            Push = push,
            Platform = onto.Platform,
            BuildId = request.BuildId,
            Checks = gates.Outcome.Checks,
            AllowedSecrets = gates.Outcome.AllowedSecrets.Where(s => s.AllowedBecause is not null).ToList(),
            SbomComponents = gates.Outcome.SbomComponents,
            SbomDigest = sbomDigest,
            Vulnerabilities = gates.Outcome.Vulnerabilities,
            LayerWarnings = gates.LayerWarnings,
        };
    }

    /// <summary>The step a layer's history line names, as the bake's report named it.</summary>
    private static string Name(BakedStep step) => step.Kind switch { BakeStepKind.App => "app", BakeStepKind.Run => $"run {step.Name}", _ => $"layer {step.Name}" };
}
