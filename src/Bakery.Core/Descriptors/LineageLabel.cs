using System.Text.Json;

namespace Bakery.Core.Descriptors;

/// <summary>
/// The <c>dev.bakery.lineage</c> image label: every ancestor of an image, nearest first, as JSON, so a
/// reader with only the registry can walk an image's line. Written by every bake; read by inspect,
/// remediation and rebase.
/// </summary>
public static class LineageLabel
{
    public const string Name = "dev.bakery.lineage";

    public static string Write(IReadOnlyList<LineageEntry> lineage) => JsonSerializer.Serialize(lineage, LineageJson.Default.IReadOnlyListLineageEntry);

    /// <summary>The lineage an image's labels record; empty when the label is absent or is not a lineage.</summary>
    public static IReadOnlyList<LineageEntry> Read(IReadOnlyDictionary<string, string> labels)
    {
        if (!labels.TryGetValue(Name, out var text)) return [];
        try
        {
            var entries = JsonSerializer.Deserialize(text, LineageJson.Default.ListLineageEntry) ?? [];
            return entries.Where(e => Oci.Model.Digest.TryParse(e.Digest, out _) && e.Repository.Length > 0).ToList();
        }
        catch (JsonException)
        {
            return [];
        }
    }

    public static bool IsPresent(IReadOnlyDictionary<string, string> labels) => labels.ContainsKey(Name);
}
