using Bakery.Oci.Layers;

namespace Bakery.Core.Verification;

/// <summary>
/// The hazards of accepted layers as warnings, one per layer and kind of hazard: BAKE325 special
/// files (device nodes, FIFOs), BAKE326 permissions (setuid, setgid, world-writable, file
/// capabilities), BAKE327 unusual tar features (extended attributes, entries after a lone zero
/// block, PAX global headers, absurd time stamps).
/// </summary>
public static class LayerHazardWarnings
{
    private const int Listed = 5;

    public static IReadOnlyList<BakeryDiagnostic> For(ImageFilesystem fs, string image, Func<int, bool>? includeLayer = null) =>
        fs.Hazards.Where(h => includeLayer?.Invoke(h.Layer) ?? true)
            .GroupBy(h => (h.Layer, h.LayerDigest, Code: CodeOf(h.Hazard.Kind)))
            .OrderBy(g => g.Key.Layer).ThenBy(g => g.Key.Code, StringComparer.Ordinal)
            .Select(g =>
            {
                var list = string.Join("; ", g.Take(Listed).Select(h => h.Hazard.ToString())) + (g.Count() > Listed ? $"; and {g.Count() - Listed} more" : "");
                var message = g.Key.Code switch
                {
                    "BAKE325" => Messages.BAKE325(image, g.Key.LayerDigest, g.Count(), list),
                    "BAKE326" => Messages.BAKE326(image, g.Key.LayerDigest, g.Count(), list),
                    _ => Messages.BAKE327(image, g.Key.LayerDigest, g.Count(), list),
                };
                return message.Warning();
            }).ToList();

    public static string CodeOf(LayerHazardKind kind) => kind switch
    {
        LayerHazardKind.SpecialFile => "BAKE325",
        LayerHazardKind.Setuid or LayerHazardKind.Setgid or LayerHazardKind.WorldWritable or LayerHazardKind.FileCapabilities => "BAKE326",
        _ => "BAKE327",
    };
}
