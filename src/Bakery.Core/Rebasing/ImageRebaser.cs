using System.Diagnostics;
using Bakery.Core.Baking;
using Bakery.Core.Descriptors;
using Bakery.Core.Lifecycle;
using Bakery.Core.Tags;
using Bakery.Oci.Layers;
using Bakery.Oci.Model;
using Bakery.Oci.Registry;

namespace Bakery.Core.Rebasing;

/// <summary>
/// Moves an image's own layers onto a new base without building it again: reads the image apart
/// (<see cref="BakedImage"/>), checks that the move is safe (platform, line, settings, runtime),
/// composes the new config and manifest with the bake's own <see cref="ImageComposer"/>, runs the
/// bake's gates, pushes by digest (the layers are mounted or already there: only the config and the
/// manifest are new) and only then tags with the tag policy. A multi-platform image is rebased per
/// platform into a new index. A rebased base image gets its successor package when a folder feed is given.
/// Refusals and failures are BakeryExceptions with their BAKE code; nothing is tagged then.
/// </summary>
public sealed class ImageRebaser(RegistryClientOptions options, IBakeLog log)
{
    private sealed record PlatformPlan(BakedImage Baked, PinnedImage Onto, BaseImageSelection Selection, ImageComposer.Composed Composed)
    {
        public bool Unchanged => Composed.Digest == Baked.Image.Digest;
    }

    public async Task<RebaseResult> RebaseAsync(RebaseRequest request, CancellationToken ct = default)
    {
        var clock = Stopwatch.StartNew();
        var phases = new PhaseTimes(log);
        if (!ImageReference.TryParse(request.Image, out var reference, out var error))
            throw Messages.BAKE616(request.Image, error).Exception();
        using var registry = new RebaseRegistry(options, Path.Combine(request.WorkDirectory, "blobs", "sha256"));
        FetchedManifest top;
        try { top = await registry.ManifestAsync(reference!.Registry, reference.Repository, reference.Reference, ct); }
        catch (RegistryException e) { throw RegistryErrors.Specific(e, request.Image) ?? Messages.BAKE616(request.Image, e.Message).Exception(e); }
        var name = $"{reference.Registry}/{reference.Repository}";
        var display = $"{name}@{top.Digest}";
        log.Info($"Rebasing {display} onto {request.Onto.Display}");

        var topParsed = top.Parse();
        var isIndex = topParsed.IsIndex(top.MediaType);
        var entries = isIndex ? topParsed.ImageEntries : [];
        var plans = new List<PlatformPlan>();
        if (!isIndex) plans.Add(await PlanAsync(registry, request, await registry.ImageAsync(reference.Registry, reference.Repository, top, null, ct), isIndex: false, ct));
        foreach (var entry in entries)
        {
            var child = await registry.ManifestAsync(reference.Registry, reference.Repository, entry.Digest, ct);
            plans.Add(await PlanAsync(registry, request, await registry.ImageAsync(reference.Registry, reference.Repository, child, entry.Platform, ct), isIndex: true, ct));
        }
        if (plans.Count == 0) throw Messages.BAKE600(display, "it is an index without images").Exception();
        phases.Done("image, old base and new base read, composed");
        var first = plans[0];
        var result = new RebaseResult
        {
            Image = name,
            From = top.Digest.ToString(),
            OldBase = first.Baked.Base.Reference.ToString(),
            NewBase = first.Onto.Reference.ToString(),
            Platforms = plans.Select(p => p.Baked.Image.Platform.ToString()).ToList(),
            OwnLayers = first.Baked.Own.Count,
        };

        if (plans.All(p => p.Unchanged))
        {
            log.Warning(Messages.BAKE610(display, request.Onto.Display).Warning());
            return result with { Outcome = RebaseOutcome.UpToDate, Digest = top.Digest.ToString(), Seconds = clock.Elapsed.TotalSeconds };
        }

        var (indexBytes, finalDigest) = isIndex
            ? RebasedIndex.Compose(top, plans.Select(p => new RebasedIndex.Entry(p.Baked.Image.Digest, p.Composed.Digest, p.Composed.Bytes.Length, p.Onto.Flavour)).ToList())
            : (null, first.Composed.Digest);
        var version = first.Baked.Settings.Version
            ?? throw Messages.BAKE600(display, "it has no org.opencontainers.image.version label to tag the rebased image with").Exception();
        var (targetRegistry, targetRepository) = Target(request.PushTo, reference);
        var target = ImageTarget.Decide(targetRegistry, targetRepository, version, request.BuildId,
            string.Join(';', request.ExtraTags), request.AllowLatestTag, request.Environment);
        foreach (var diagnostic in target.Tags.Diagnostics) log.Warning(diagnostic);
        var tags = target.Tags.Tags;
        var targetImage = target.Image;
        log.Info($"{(request.DryRun ? "Would give" : "Rebased image")} {targetImage}@{finalDigest} ({first.Baked.Own.Count} own layer(s) on {first.Onto.Parsed.Layers?.Count ?? 0} base layer(s) of {request.Onto.Display})");
        if (request.DryRun)
        {
            // The layers too: a dry run refuses what the rebase would (unsafe layers, BAKE605, BAKE606), and leaves the new base's layers in the cache.
            var runtimes = new List<string>();
            foreach (var plan in plans)
                runtimes.AddRange((await ReadAndCheckRuntimeAsync(registry, request, plan, $"{targetImage}@{plan.Composed.Digest}", phases, ct)).Frameworks.Select(f => f.ToString()));
            return result with
            {
                Outcome = RebaseOutcome.Rebased, Digest = finalDigest.ToString(), Target = targetImage, Tags = tags, Frameworks = runtimes.Distinct().ToList(),
                Seconds = clock.Elapsed.TotalSeconds,
            };
        }

        // A successor package that could not be written is found out now, before anything is pushed or tagged.
        if (!first.Baked.IsApp && plans.Count == 1 && request.PackOutput is { } packOutput
            && request.Packages.FindPinning(first.Baked.Image.Digest.ToString()).FirstOrDefault() is { } oldPackage)
            SuccessorPackage.EnsureWritable(oldPackage, BuildIdResolver.PackageVersion(version, version, target.BuildId), packOutput, $"{targetImage}@{finalDigest}");

        var push = registry.Push(targetRegistry);
        var moved = TagGuard.Check(targetImage, finalDigest, await TaggedAsync(push, target.Repository, tags, targetImage, ct), request.AllowTagOverwrite, log);
        phases.Done("tags checked");

        long manifestBytes = 0, sbomBytes = 0;
        var statistics = new PushStatistics(0, 0, 0, 0);
        var frameworks = new List<string>();
        var reports = new List<(BakeResult Report, PlatformPlan Plan)>();
        foreach (var plan in plans)
        {
            var suffix = plans.Count > 1 ? "-" + plan.Baked.Image.Platform.ToString().Replace('/', '-') : "";
            var bakeRequest = GateRequest(request, plan, target, suffix);
            var done = await VerifyAndPushAsync(registry, request, bakeRequest, plan, push, target, suffix, phases, ct);
            statistics = statistics.Add(done.Push);
            manifestBytes += plan.Composed.Bytes.Length;
            sbomBytes += done.SbomBytes;
            frameworks.AddRange(done.Frameworks.Select(f => f.ToString()));
            reports.Add((done.Report, plan));
        }
        if (indexBytes is not null)
        {
            await PutManifestAsync(push, target.Repository, finalDigest.ToString(), indexBytes, top.MediaType, targetImage, ct);
            manifestBytes += indexBytes.Length;
        }
        foreach (var tag in tags)
        {
            await PutManifestAsync(push, target.Repository, tag, indexBytes ?? first.Composed.Bytes, indexBytes is null ? first.Onto.Flavour : top.MediaType, targetImage, ct);
            log.Info($"Tagged {targetImage}:{tag}");
        }

        phases.Done("index and tags pushed");
        string? reportPath = null;
        foreach (var (report, plan) in reports)
        {
            var suffix = plans.Count > 1 ? "-" + plan.Baked.Image.Platform.ToString().Replace('/', '-') : "";
            var (json, _) = Reports.BakeReportWriter.Write(report with { Tags = tags, MovedTags = moved }, request.ReportDirectory, "bakery-rebase" + suffix);
            reportPath ??= json;
        }

        phases.Done("reports written");
        var warnings = new List<string>();
        LocatedPackage? written = null;
        string? packageFile = null;
        if (!first.Baked.IsApp)
            (written, packageFile) = WritePackage(request, first, reports[0].Report with { Tags = tags }, target.BuildId, plans.Count, warnings);

        log.Info($"Pushed {statistics.BlobsUploaded} blob(s) ({statistics.BytesUploaded:N0} bytes) and {manifestBytes:N0} manifest bytes; " +
            $"{statistics.BlobsMounted} mounted, {statistics.BlobsSkipped} already there; SBOM {sbomBytes:N0} bytes");
        return result with
        {
            Outcome = RebaseOutcome.Rebased,
            Digest = finalDigest.ToString(),
            Target = targetImage,
            Tags = tags,
            Frameworks = frameworks.Distinct().ToList(),
            BlobBytesUploaded = statistics.BytesUploaded,
            ManifestBytesUploaded = manifestBytes,
            BlobsUploaded = statistics.BlobsUploaded,
            BlobsMounted = statistics.BlobsMounted,
            BlobsSkipped = statistics.BlobsSkipped,
            Package = written?.ToString(),
            PackageFile = packageFile,
            WrittenPackage = written,
            ReportPath = reportPath,
            Warnings = warnings,
            Seconds = clock.Elapsed.TotalSeconds,
        };
    }

    /// <summary>One platform: the image read apart, the new base for its platform, the checks that need no layers, and the composed image.</summary>
    private async Task<PlatformPlan> PlanAsync(RebaseRegistry registry, RebaseRequest request, PinnedImage image, bool isIndex, CancellationToken ct)
    {
        var baked = await BakedImage.ReadAsync(registry, image, ct);
        var onto = request.Onto;
        var ontoRef = onto.Selection.Reference;
        PinnedImage newBase;
        try
        {
            var fetched = await registry.ManifestAsync(ontoRef.Registry, ontoRef.Repository, ontoRef.Reference, ct);
            newBase = await registry.ImageAsync(ontoRef.Registry, ontoRef.Repository, fetched, image.Platform, ct);
        }
        catch (RegistryException e) when (e.Failure == RegistryFailure.NoMatchingPlatform)
        {
            throw isIndex
                ? Messages.BAKE615(baked.Display, image.Platform, onto.Display, e.Message).Exception(e)
                : Messages.BAKE604(baked.Display, image.Platform, onto.Display, "other platforms only").Exception(e);
        }
        catch (RegistryException e)
        {
            throw RegistryErrors.WhileResolvingBase(e, onto.Display, ontoRef.Reference);
        }
        if (!image.Platform.Matches(newBase.Platform) || image.Platform.Variant != newBase.Platform.Variant && image.Platform.Variant is not null && newBase.Platform.Variant is not null)
            throw Messages.BAKE604(baked.Display, image.Platform, onto.Display, newBase.Platform).Exception();

        // A rebase onto an image by digest keeps the kind of base the image had: an upstream stays an upstream.
        var selection = onto.Selection.Descriptor is null && baked.OnUpstream ? onto.Selection with { IsUpstream = true } : onto.Selection;
        if (newBase.Digest != baked.Base.Digest)
        {
            var why = BaseLine.WhyNot(baked.Lineage[0], selection, await SuccessorsAsync(request, baked, selection, ct));
            if (why is not null) throw Messages.BAKE607(baked.Display, onto.Display, baked.Base.Reference, why).Exception();
            if (SettingsRecovery.Conflict(baked.Base.Config, newBase.Config, baked.Settings) is { } what)
                throw Messages.BAKE608(baked.Display, onto.Display, what).Exception();
        }
        var composed = ImageComposer.Compose(new ComposeBase(newBase.ConfigBytes, newBase.Parsed, newBase.Digest, selection, newBase.IndexDigest),
            baked.Own.Select(o => o.Layer).ToList(), baked.Settings, newBase.Flavour);
        return new PlatformPlan(baked, newBase, selection, composed);
    }

    /// <summary>The successors the old base's package and its registry lifecycle records name (read only when the package id changes).</summary>
    private async Task<IReadOnlyList<string>> SuccessorsAsync(RebaseRequest request, BakedImage baked, BaseImageSelection onto, CancellationToken ct)
    {
        var nearest = baked.Lineage[0];
        if (nearest.PackageId is not { } id || onto.Descriptor is null || onto.Descriptor.Id.Equals(id, StringComparison.OrdinalIgnoreCase)) return [];
        var successors = new List<string>();
        if (nearest.PackageVersion is { } v && NuGet.Versioning.NuGetVersion.TryParse(v, out var version)
            && request.Packages.Find(id, version)?.Descriptor.Lifecycle.Successor is { } named)
            successors.Add(named);
        try
        {
            var records = await new RegistryLifecycle(options).HistoryAsync(baked.Base.Reference, ct);
            successors.AddRange(records.Select(r => r.Successor).OfType<string>());
        }
        catch (RegistryException e)
        {
            log.Detail($"The lifecycle records of {baked.Base.Reference} cannot be read ({e.Message}); only its package's successor counts");
        }
        return successors;
    }

    private sealed record PushedPlatform(BakeResult Report, PushStatistics Push, long SbomBytes, IReadOnlyList<FrameworkMove> Frameworks);

    /// <summary>The layers as files, the runtime check, the gates (pushing by digest before command tests), the SBOM referrer.</summary>
    private async Task<PushedPlatform> VerifyAndPushAsync(RebaseRegistry registry, RebaseRequest request, BakeRequest bake, PlatformPlan plan,
        RegistryClient push, ImageTarget target, string suffix, PhaseTimes phases, CancellationToken ct)
    {
        var baked = plan.Baked;
        var image = $"{target.Image}@{plan.Composed.Digest}";
        var lifecycle = await new BaseImageLifecycleCheck { CheckRegistry = true }.JudgeAsync(plan.Selection, request.Now, options, ct);
        foreach (var diagnostic in lifecycle.Diagnostics.Where(d => !d.IsError)) log.Warning(diagnostic);
        if (lifecycle.Diagnostics.FirstOrDefault(d => d.IsError) is { } blocking) throw new BakeryException(blocking.Code, blocking.Message);
        phases.Done("lifecycle check");

        var (layers, filesystem, frameworks) = await ReadAndCheckRuntimeAsync(registry, request, plan, image, phases, ct);

        var statistics = new PushStatistics(0, 0, 0, 0);
        async Task PushByDigest()
        {
            // The own layers are in the image's repository: mounted into another target repository on the same registry, never sent again.
            if (string.Equals(baked.Image.Registry, target.Registry, StringComparison.OrdinalIgnoreCase) && baked.Image.Repository != target.Repository)
                foreach (var own in baked.Own)
                    if (!await push.BlobExistsAsync(target.Repository, own.Layer.Digest, ct))
                        await push.TryMountBlobAsync(target.Repository, own.Layer.Digest, baked.Image.Repository, ct);
            var added = baked.Own.Select(o => ($"layer {o.Step.Name}",
                new LayerBlob(o.Layer.Digest, o.Layer.DiffId, o.Layer.Size, DeterministicLayerWriter.BlobPath(registry.BlobDirectory, o.Layer.Digest), o.Step.EntryCount))).ToList();
            var sameRegistry = string.Equals(plan.Onto.Registry, target.Registry, StringComparison.OrdinalIgnoreCase);
            statistics = await new BlobPusher(log).PushAsync(bake, registry.Pull(plan.Onto.Registry), push, sameRegistry, plan.Onto.Parsed, added,
                registry.BlobDirectory, plan.Composed.ConfigBytes, plan.Composed.ConfigDigest, target.Image, ct);
            await PutManifestAsync(push, target.Repository, plan.Composed.Digest.ToString(), plan.Composed.Bytes, plan.Onto.Flavour, target.Image, ct);
            phases.Done("pushed by digest");
        }
        GateOutcome gates;
        try
        {
            gates = await new RebaseGates(log, phases).VerifyAsync(bake, plan.Composed, plan.Onto, filesystem, layers, baked.Own, image, PushByDigest, ct);
        }
        catch (BakeryException e) when (e.FailedBake is { } failed)
        {
            Reports.BakeReportWriter.Write(failed, request.ReportDirectory, "bakery-rebase" + suffix);
            log.Info($"nothing was tagged; report of the failed rebase: {Path.Combine(request.ReportDirectory, "bakery-rebase" + suffix + ".json")}");
            throw;
        }

        string? sbomDigest = null;
        var sbomStart = push.BlobBytesUploaded;
        if (bake.SbomPath is { } sbom && File.Exists(sbom))
        {
            var subject = new OciDescriptor { MediaType = plan.Onto.Flavour, Digest = plan.Composed.Digest.ToString(), Size = plan.Composed.Bytes.Length };
            var created = bake.Created.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", System.Globalization.CultureInfo.InvariantCulture);
            try
            {
                await push.PushReferrerAsync(target.Repository, subject, Security.Sbom.ArtifactType,
                    new SortedDictionary<string, string>(StringComparer.Ordinal) { ["org.opencontainers.image.created"] = created }, ct, (sbom, Security.Sbom.ArtifactType));
            }
            catch (RegistryException e) { throw RegistryErrors.WhilePushing(e, target.Image); }
            sbomDigest = Digest.Compute(File.ReadAllBytes(sbom)).ToString();
        }
        phases.Done("SBOM referrer pushed");
        var report = RebaseReport.Create(bake, plan.Composed, plan.Onto, layers, baked.Own, gates, [], statistics, sbomDigest);
        return new PushedPlatform(report, statistics, push.BlobBytesUploaded - sbomStart, frameworks);
    }

    /// <summary>The image's layers as files (the new base's downloaded once into the blob folder), its merged view, and the runtime check on it.</summary>
    private async Task<(List<LayerFile> Layers, Verification.ImageFilesystem Filesystem, IReadOnlyList<FrameworkMove> Frameworks)> ReadAndCheckRuntimeAsync(
        RebaseRegistry registry, RebaseRequest request, PlatformPlan plan, string image, PhaseTimes phases, CancellationToken ct)
    {
        var baked = plan.Baked;
        List<LayerFile> layers;
        try
        {
            layers = await registry.LayerFilesAsync(plan.Onto, ct);
            foreach (var own in baked.Own)
            {
                var path = DeterministicLayerWriter.BlobPath(registry.BlobDirectory, own.Layer.Digest);
                if (!File.Exists(path)) await registry.Pull(baked.Image.Registry).DownloadBlobAsync(baked.Image.Repository, own.Layer.Digest, path, ct);
                layers.Add(new LayerFile(own.Layer.Digest.ToString(), path, own.Descriptor.MediaType, own.Layer.Size, own.Layer.DiffId.ToString()));
            }
        }
        catch (RegistryException e)
        {
            throw RegistryErrors.WhileResolvingBase(e, image, "");
        }
        phases.Done("layer files");
        var indexCache = Path.Combine(request.WorkDirectory, "fs-index");
        var baseCount = plan.Onto.Parsed.Layers?.Count ?? 0;
        var filesystem = Verification.ImageFilesystem.Load(layers, indexCache, image);
        phases.Done("layer indexes");
        var frameworks = RuntimeCheck.Check(baked.Display, request.Onto.Display, filesystem, baseCount,
            () => OldBaseFilesystem(registry, baked, indexCache, ct), ImageConfig.Parse(plan.Composed.ConfigBytes).Environment, baked.Base.Config.Environment);
        foreach (var move in frameworks) log.Info($"Runtime: {move}");
        phases.Done("runtime check");
        return (layers, filesystem, frameworks);
    }

    private static Verification.ImageFilesystem OldBaseFilesystem(RebaseRegistry registry, BakedImage baked, string indexCache, CancellationToken ct)
    {
        try
        {
            var files = registry.LayerFilesAsync(baked.Base, ct).GetAwaiter().GetResult();
            return Verification.ImageFilesystem.Load(files, indexCache, baked.Base.Reference.ToString());
        }
        catch (RegistryException e)
        {
            throw Messages.BAKE613(baked.Base.Reference, baked.Display, e.Message).Exception(e);
        }
    }

    /// <summary>The request the bake's gates read: the new base and its package's verification files, security requirements and required labels, the image's settings.</summary>
    private BakeRequest GateRequest(RebaseRequest request, PlatformPlan plan, ImageTarget target, string suffix)
    {
        var settings = plan.Baked.Settings;
        var bake = new BakeRequest
        {
            BaseImage = plan.Selection,
            Destination = Baking.Destinations.ImageDestination.ToRegistry(target.Registry ?? "", target.Repository),
            Tags = target.Tags.Tags,
            AllowTagOverwrite = request.AllowTagOverwrite,
            Container = settings.Container,
            SbomPath = Path.Combine(request.ReportDirectory, $"sbom{suffix}.cdx.json"),
            Version = settings.Version,
            Created = settings.Created,
            Platform = plan.Onto.Platform,
            WorkDirectory = request.WorkDirectory,
            BuildId = target.BuildId,
            Now = request.Now,
            MaxParallelUploads = request.MaxParallelUploads,
        };
        var diagnostics = new List<BakeryDiagnostic>();
        bake = request.Gates.ApplyTo(bake, request.Onto.Package?.DescriptorPath, diagnostics);
        foreach (var diagnostic in diagnostics) log.Warning(diagnostic);
        return bake;
    }

    /// <summary>The package of a rebased base image (single-platform): the old package with the new image and version, into the folder feed given.</summary>
    private (LocatedPackage?, string?) WritePackage(RebaseRequest request, PlatformPlan plan, BakeResult report, string? buildId, int platforms, List<string> warnings)
    {
        var image = $"{report.Image}@{report.Digest}";
        void Warn(BakeryDiagnostic d) { log.Warning(d); warnings.Add($"{d.Code}: {d.Message}"); }
        if (platforms > 1)
        {
            Warn(Messages.BAKE612(image, "a multi-platform base image's package is written by 'dotnet pack'", "pack the base-image project after the rebase.").Warning());
            return (null, null);
        }
        var old = request.Packages.FindPinning(plan.Baked.Image.Digest.ToString()).FirstOrDefault();
        if (old is null)
        {
            Warn(Messages.BAKE612(image, $"no base-image package that pins {plan.Baked.Display} is in the folder feeds", "pass --source with the feed that holds its package.").Warning());
            return (null, null);
        }
        var version = BuildIdResolver.PackageVersion(plan.Baked.Settings.Version!, plan.Baked.Settings.Version!, buildId);
        if (request.PackOutput is not { } output)
        {
            Warn(Messages.BAKE612(image, $"no folder feed was given for {old.Id} {version}", "pass --pack-output with the feed its descendants restore from.").Warning());
            return (null, null);
        }
        var file = SuccessorPackage.Write(old, version, report, request.Onto.Package, request.Now, output);
        log.Info($"Packed {old.Id} {version} into {output}: it pins {image}");
        return (request.Packages.Open(file), file);
    }

    private static (string Registry, string Repository) Target(string? pushTo, ImageReference image)
    {
        if (string.IsNullOrWhiteSpace(pushTo)) return (image.Registry, image.Repository);
        var text = pushTo.Trim();
        var slash = text.IndexOf('/');
        var first = slash < 0 ? "" : text[..slash];
        return first.Contains('.') || first.Contains(':') || first == "localhost" ? (first, text[(slash + 1)..]) : (image.Registry, text);
    }

    private static async Task<IReadOnlyDictionary<string, Digest>> TaggedAsync(RegistryClient client, string repository, IEnumerable<string> tags, string image, CancellationToken ct)
    {
        var found = new Dictionary<string, Digest>(StringComparer.Ordinal);
        try
        {
            foreach (var tag in tags)
                if (await client.ManifestExistsAsync(repository, tag, ct))
                    found[tag] = (await client.GetManifestAsync(repository, tag, ct)).Digest;
        }
        catch (RegistryException e) { throw RegistryErrors.WhilePushing(e, image); }
        return found;
    }

    private static async Task PutManifestAsync(RegistryClient client, string repository, string reference, byte[] bytes, string mediaType, string image, CancellationToken ct)
    {
        try { await client.PutManifestAsync(repository, reference, bytes, mediaType, ct); }
        catch (RegistryException e) { throw RegistryErrors.WhilePushing(e, image); }
    }
}
