using Bakery.Oci.Model;

namespace Bakery.Core.Baking;

/// <summary>
/// Platform lists as projects write them: <c>BakeryPlatforms</c> (<c>linux/amd64;linux/arm64</c>),
/// <c>ContainerRuntimeIdentifiers</c> (<c>linux-x64;linux-arm64</c>) and the <c>Platform</c> metadata
/// of BakeryLayer/BakeryRun items. Either form is accepted everywhere, separated by ';' or ','.
/// </summary>
public static class PlatformList
{
    /// <summary>Each entry as a platform; null when one is neither a platform nor a RID a container runs (<paramref name="problem"/> says which).</summary>
    public static IReadOnlyList<Platform>? TryParse(string? text, out string? problem)
    {
        problem = null;
        var platforms = new List<Platform>();
        foreach (var entry in Split(text))
        {
            var platform = One(entry);
            if (platform is null)
            {
                problem = $"'{entry}' is neither a platform (os/architecture[/variant], e.g. linux/arm64) nor a runtime identifier a container runs (e.g. linux-arm64)";
                return null;
            }
            if (platforms.Any(p => p.Matches(platform) && p.Variant == platform.Variant))
            {
                problem = $"{platform} is named twice ('{entry}')";
                return null;
            }
            platforms.Add(platform);
        }
        return platforms;
    }

    /// <summary>BakeryPlatforms / ContainerRuntimeIdentifiers: BAKE211 naming the property when an entry is not usable.</summary>
    public static IReadOnlyList<Platform> Parse(string property, string? text) =>
        TryParse(text, out var problem) ?? throw Messages.BAKE211(property, text, problem).Exception();

    /// <summary>A platform text (linux/arm64) or a RID (linux-arm64).</summary>
    public static Platform? One(string text) =>
        text.Contains('/') ? (Platform.TryParse(text, out var platform) ? platform : null) : Platform.FromRuntimeIdentifier(text);

    public static IEnumerable<string> Split(string? text) =>
        (text ?? "").Split([';', ','], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);

    /// <summary>"linux/amd64" → "linux-amd64", for file names.</summary>
    public static string FileSafe(Platform platform) => platform.ToString().Replace('/', '-');
}
