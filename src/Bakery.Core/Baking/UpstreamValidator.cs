using Bakery.Oci.Model;

namespace Bakery.Core.Baking;

/// <summary>What a global bakery wants to know about an upstream candidate before baking on it.</summary>
public sealed record UpstreamFacts(string Reference, Platform? Platform, string? Created, int LayerCount, long CompressedSize,
    int HistoryLength, IReadOnlyDictionary<string, string> Labels, IReadOnlyList<string> Problems)
{
    public bool IsValid => Problems.Count == 0;
}

/// <summary>
/// Checks that an upstream image describes itself: an OS and architecture, a creation date, and a
/// history whose layer-making entries match its layers one for one (and diff ids likewise).
/// </summary>
public static class UpstreamValidator
{
    public static UpstreamFacts Inspect(string reference, ImageManifest manifest, ImageConfig config)
    {
        var problems = new List<string>();
        var layers = manifest.Layers ?? [];
        if (string.IsNullOrEmpty(config.Os) || string.IsNullOrEmpty(config.Architecture))
            problems.Add("its configuration names no OS or architecture");
        if (string.IsNullOrEmpty(config.Created) || !DateTimeOffset.TryParse(config.Created, out _))
            problems.Add("its configuration has no creation date");
        var history = config.HistoryEmptyLayers;
        if (history is null || history.Count == 0)
            problems.Add("its configuration has no history");
        else
        {
            var layerEntries = history.Count(empty => !empty);
            if (layerEntries != layers.Count)
                problems.Add($"its history records {layerEntries} layer(s) but the manifest has {layers.Count}");
        }
        if (config.DiffIds.Count != layers.Count)
            problems.Add($"its rootfs lists {config.DiffIds.Count} diff id(s) for {layers.Count} layer(s)");
        var platform = config.Platform;
        return new UpstreamFacts(reference, platform, config.Created, layers.Count, layers.Sum(l => l.Size), history?.Count ?? 0, config.Labels, problems);
    }
}
