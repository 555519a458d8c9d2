using Bakery.Core.Baking;
using Bakery.Core.Descriptors;
using Bakery.Core.Remediation;
using Bakery.Oci.Registry;

namespace Bakery.Core.Rebasing;

/// <summary>One image of a fleet rebase: what it was built on and what happened to it.</summary>
public sealed record FleetRebaseEntry(string Image, string Digest, IReadOnlyList<string> Tags, int Depth, string Onto, RebaseResult Result);

/// <summary>
/// Rebases every image a registry scan found on a replaced base, level by level: the images on the
/// fixed package first (team bases, apps straight on it), then the images on the base images just
/// rebased, onto the packages those rebases wrote, and so on. Images of one level run a bounded number
/// at a time; one image's refusal or failure does not stop the others, and images whose base could
/// not be rebased wait for its rebuild. Only current images are taken: per repository, the digests a
/// version tag (not only a build tag) names.
/// </summary>
public sealed class FleetRebase(RegistryClientOptions options, IBakeLog log)
{
    /// <param name="template">The settings every rebase shares; Image, Onto, ReportDirectory and (when unset) PackOutput are set per image.</param>
    public async Task<IReadOnlyList<FleetRebaseEntry>> RunAsync(FixedBase fixedBase, RebaseBase fixedPackage, IReadOnlyList<RegistryDescendant> images,
        RebaseRequest template, int parallel, CancellationToken ct)
    {
        var current = images.Where(i => i.Tags.Any(t => !Tags.ImageTarget.IsBuildTag(t))).ToList();
        var results = new List<FleetRebaseEntry>();
        // The old digest of every base image rebased so far, with the package its rebase wrote (null: it was not rebased, and why).
        var rebasedBases = new Dictionary<string, (RebaseBase? Onto, RebaseResult Result)>(StringComparer.Ordinal);
        foreach (var level in current.GroupBy(i => i.Depth).OrderBy(g => g.Key))
        {
            using var gate = new SemaphoreSlim(Math.Max(1, parallel));
            var done = await Task.WhenAll(level.OrderBy(i => i.Image, StringComparer.Ordinal).Select(async image =>
            {
                await gate.WaitAsync(ct);
                try { return await RebaseOneAsync(image, fixedBase, fixedPackage, rebasedBases, template, ct); }
                finally { gate.Release(); }
            }));
            foreach (var entry in done)
            {
                results.Add(entry);
                rebasedBases[entry.Digest] = (entry.Result.WrittenPackage is { } written ? RebaseBase.FromPackage(written) : null, entry.Result);
            }
        }
        return results;
    }

    private async Task<FleetRebaseEntry> RebaseOneAsync(RegistryDescendant image, FixedBase fixedBase, RebaseBase fixedPackage,
        IReadOnlyDictionary<string, (RebaseBase? Onto, RebaseResult Result)> rebasedBases, RebaseRequest template, CancellationToken ct)
    {
        var reference = $"{image.Image}@{image.Digest}";
        RebaseBase? onto = fixedPackage;
        string? waitingFor = null;
        if (image.Depth > 1)
        {
            onto = null;
            var baseDigest = image.Base is { } b && b.Contains('@') ? b[(b.IndexOf('@') + 1)..] : "";
            var baseName = image.Base is { } n && n.Contains('@') ? n[..n.IndexOf('@')] : "(unknown)";
            if (rebasedBases.TryGetValue(baseDigest, out var parent))
            {
                onto = parent.Onto;
                if (onto is null)
                    waitingFor = parent.Result.Outcome == RebaseOutcome.Rebased
                        ? $"its base {baseName} was rebased, but no package of it was written ({string.Join(" ", parent.Result.Warnings)})"
                        : $"its base {baseName} was not rebased ({parent.Result.Code}: {parent.Result.Reason})";
            }
            else waitingFor = $"its base {baseName} is not among the current images rebased here";
        }
        var label = onto?.Display ?? fixedBase.ToString();
        if (onto is null)
            return new FleetRebaseEntry(image.Image, image.Digest, image.Tags, image.Depth, label, new RebaseResult
            {
                Image = image.Image, From = image.Digest, Outcome = RebaseOutcome.NeedsRebuild, Reason = $"waits for its base: {waitingFor}; rebuild it after its base",
            });
        var request = template with
        {
            Image = reference,
            Onto = onto,
            ReportDirectory = Path.Combine(template.ReportDirectory, Sanitize(image.Image) + "-" + image.Digest[7..19]),
            PackOutput = template.PackOutput ?? OwnFeed(template.Packages, image.Digest),
        };
        var result = await TryRebaseAsync(new ImageRebaser(options, log), request, ct);
        log.Info($"{image.Image} ({string.Join(", ", image.Tags)}): {Describe(result)}");
        return new FleetRebaseEntry(image.Image, image.Digest, image.Tags, image.Depth, label, result);
    }

    /// <summary>A rebase whose refusal or failure is a result rather than an exception: what a fleet reports per image.</summary>
    public static async Task<RebaseResult> TryRebaseAsync(ImageRebaser rebaser, RebaseRequest request, CancellationToken ct)
    {
        try
        {
            return await rebaser.RebaseAsync(request, ct);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            var error = BakeryErrors.From(e);
            return new RebaseResult
            {
                Image = request.Image.Contains('@') ? request.Image[..request.Image.IndexOf('@')] : request.Image,
                From = request.Image.Contains('@') ? request.Image[(request.Image.IndexOf('@') + 1)..] : "",
                Outcome = IsRefusal(error.Code) ? RebaseOutcome.NeedsRebuild : RebaseOutcome.Failed,
                Code = error.Code,
                Reason = error.Message,
                ReportPath = error.FailedBake is null ? null : Path.Combine(request.ReportDirectory, "bakery-rebase.json"),
            };
        }
    }

    /// <summary>The refusals: a rebase would not give what a rebuild gives, so the image needs its build (BAKE600–608, BAKE611, BAKE615).</summary>
    public static bool IsRefusal(string code) => code is "BAKE600" or "BAKE601" or "BAKE602" or "BAKE603" or "BAKE604" or "BAKE605"
        or "BAKE606" or "BAKE607" or "BAKE608" or "BAKE611" or "BAKE615";

    public static string Describe(RebaseResult r) => r.Outcome switch
    {
        RebaseOutcome.Rebased => $"rebased to {r.Digest}{(r.Package is null ? "" : $", package {r.Package}")}",
        RebaseOutcome.UpToDate => "already on the fix",
        RebaseOutcome.NeedsRebuild => $"needs a rebuild: {(r.Code is null ? "" : r.Code + ": ")}{r.Reason}",
        _ => $"failed: {r.Code}: {r.Reason}",
    };

    /// <summary>The folder feed that holds the package of a base image, where its successor goes.</summary>
    private static string? OwnFeed(PackageLocator packages, string digest) =>
        packages.FindPinning(digest).FirstOrDefault() is { Nupkg: { Length: > 0 } nupkg } ? Path.GetDirectoryName(nupkg) : null;

    private static string Sanitize(string image) => new(image.Select(c => char.IsAsciiLetterOrDigit(c) || c is '.' or '-' ? c : '_').ToArray());
}
