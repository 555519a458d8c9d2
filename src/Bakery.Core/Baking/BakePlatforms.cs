using Bakery.Oci.Model;

namespace Bakery.Core.Baking;

/// <summary>
/// Which platforms a bake makes, decided before anything is built: those asked for (BakeryPlatforms,
/// ContainerRuntimeIdentifiers), each of which the base must have (BAKE206 names what it has); or, for a
/// base-image project that does not say, every platform of its base — only those its BakeryLayer and
/// BakeryRun <c>Platform</c> metadata name, when any does. Null: one image, as a single-platform bake makes.
/// </summary>
internal static class BakePlatforms
{
    public static async Task<IReadOnlyList<PlatformTarget>?> ResolveAsync(BakeRequest request, BakeClients clients, IBakeLog log, CancellationToken ct)
    {
        if (request.Platforms is null) return null;
        var blobs = Path.Combine(request.WorkDirectory, "blobs", "sha256");
        var available = await BaseImageFetch.PlatformsAsync(clients.Base, request, blobs, ct);
        if (available is null)
        {
            // A single-platform base: its own platform is the only one it can give.
            var own = ImageConfig.Parse((await BaseImageFetch.FetchAsync(clients.Base, request with { Platform = null }, blobs, ct)).Config).Platform
                ?? Platform.LinuxAmd64;
            available = [own];
            if (request.Platforms.Count == 0) return null;
        }

        IReadOnlyList<PlatformTarget> targets;
        if (request.Platforms.Count > 0) targets = request.Platforms;
        else
        {
            var named = StepPlatforms.Named(request.Steps);
            var chosen = named.Count == 0 ? available : available.Where(a => named.Any(n => n.Matches(a))).ToList();
            if (chosen.Count == 0)
                throw Messages.BAKE206(request.BaseImage.Reference, string.Join(", ", named), string.Join(", ", available)).Exception();
            targets = chosen.Select(p => new PlatformTarget(p)).ToList();
        }
        foreach (var target in targets)
            if (!available.Any(a => a.Matches(target.Platform)))
                throw Messages.BAKE206(request.BaseImage.Reference, target.Platform, string.Join(", ", available)).Exception();
        log.Info($"Platforms: {string.Join(", ", targets.Select(t => t.Platform))} (one image each, pushed as an index)");
        return targets;
    }
}
