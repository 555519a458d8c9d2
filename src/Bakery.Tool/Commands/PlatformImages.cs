using System.CommandLine;
using Bakery.Core;
using Bakery.Core.Baking;
using Bakery.Oci.Model;
using Bakery.Oci.Registry;

namespace Bakery.Tool.Commands;

/// <summary>
/// The platform images a command works on: every image of an index (or the one <c>--platform</c>
/// names; one it lacks is BAKE344), or the single image a manifest or archive is.
/// </summary>
internal static class PlatformImages
{
    public static Option<string?> Option() => new("--platform")
    {
        Description = "The platform to check in an image index (linux/arm64 or linux-arm64); default: every platform.",
    };

    /// <summary>The platform <paramref name="text"/> names; a text that is no platform is bad input.</summary>
    public static Platform? Parse(string? text)
    {
        if (string.IsNullOrWhiteSpace(text)) return null;
        return PlatformList.One(text.Trim())
            ?? throw new ToolException(ExitCodes.BadInput, $"--platform '{text}' is not a platform: write one such as linux/amd64 or linux/arm64 (or a RID such as linux-arm64).");
    }

    /// <summary>The index's image entries (artifacts, attestations and unknown platforms left out).</summary>
    public static IReadOnlyList<OciDescriptor> Entries(ImageManifest index) => index.ImageEntries.Where(m => m.Platform is not null).ToList();

    /// <summary>
    /// The platforms to load from <paramref name="reference"/>: null for a single image (after checking it
    /// is the one <paramref name="wanted"/> names), else the index's platforms, or only <paramref name="wanted"/>.
    /// </summary>
    public static async Task<IReadOnlyList<Platform>?> SelectAsync(RegistryClient client, ImageReference reference, Platform? wanted, CancellationToken ct)
    {
        var top = await client.GetManifestAsync(reference.Repository, reference.Reference, ct);
        var manifest = top.Parse();
        if (!manifest.IsIndex(top.MediaType)) return null;
        var platforms = Entries(manifest).Select(m => m.Platform!).ToList();
        if (wanted is null) return platforms;
        var match = manifest.ManifestFor(wanted);
        if (match?.Platform is null || !platforms.Contains(match.Platform))
            throw Messages.BAKE344(reference, wanted, string.Join(", ", platforms)).Exception();
        return [match.Platform];
    }

    /// <summary>BAKE344 when a single image is not of the platform asked for.</summary>
    public static void EnsureIs(string image, Platform? own, Platform? wanted)
    {
        if (wanted is null) return;
        if (own is null || !own.Matches(wanted))
            throw Messages.BAKE344(image, wanted, own?.ToString() ?? "an image without a platform").Exception();
    }
}
