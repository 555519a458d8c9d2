using Bakery.Core.Lifecycle;
using Bakery.Oci.Model;
using Bakery.Oci.Registry;

namespace Bakery.Core.Baking;

/// <summary>
/// The bake pipeline after the app is published. For each platform (one, or every platform of a
/// multi-platform bake, in order, sharing the registry connections): fetch the pinned base, add the
/// local layers, RUN steps and the app as deterministic layers, compose. Then, before any tag: the
/// tag guard and each image verified. One image goes to its destination (pushed by digest and only
/// then tagged; or loaded into the local engine; or written to an archive). A multi-platform bake
/// pushes each platform's image by digest (command tests run on it there), the index after all its
/// images, the SBOMs, the signatures of every image and of the index, and only then the tags; or, for
/// an OCI layout archive, runs each platform's command tests on its image and then writes the layout
/// whole. The local engine and a docker-archive hold no index (BAKE216). A bake stopped by verification or a gate carries its report in
/// the exception; nothing is tagged unless every platform passed.
/// </summary>
public sealed class ImageBaker(RegistryClientOptions registryOptions, IBakeLog log)
{
    public async Task<BakeResult> BakeAsync(BakeRequest request, LifecycleState lifecycle, CancellationToken ct = default)
    {
        var phases = new PhaseTimes(log);
        using var clients = new BakeClients(request, registryOptions, ct);
        var targets = await BakePlatforms.ResolveAsync(request, clients, log, ct);
        if (targets is not null && !Destinations.ImageDestination.HoldsIndexes(request.Destination))
            throw Messages.BAKE216(request.Destination.Name, string.Join(", ", targets.Select(t => t.Platform)),
                request.Destination.Kind == Destinations.DestinationKind.Archive ? "a docker-archive" : "the local container engine").Exception();
        var images = new List<PlatformImage>();
        try
        {
            foreach (var target in targets?.Select(t => (PlatformTarget?)t) ?? [null])
            {
                var session = await BakeSession.OpenAsync(target is null ? request : request.ForPlatform(target), clients, log, ct, partOfIndex: target is not null);
                images.Add(new PlatformImage(session, target));
            }
            phases.Done("base image read");
            // A platform whose RUN steps cannot run here stops the bake before any platform's steps run.
            if (images.Count > 1)
                foreach (var image in images) await image.Session.EnsureRunStepsCanRunAsync();
            foreach (var image in images)
            {
                await image.Session.AddStepsAsync();
                image.Final = image.Session.Compose();
            }
            phases.Done("layers added, image composed");
            var baked = BakedImage.Of(images);
            log.Info(baked.IsIndex
                ? $"Image {clients.Image}@{baked.Digest}: an index of {images.Count} platform(s) ({string.Join(", ", images.Select(i => $"{i.Session.Platform} {i.Final!.Digest.Hex[..12]}"))})"
                : $"Image {clients.Image}@{baked.Digest} ({images[0].Session.Added.Count} new layer(s) on {images[0].Session.BaseManifest.Layers?.Count ?? 0} base layer(s))");
            if (!baked.IsIndex)
            {
                var single = images[0];
                var movedTags = TagGuard.Check(clients.Image, baked.Digest, await single.Session.Destination.TaggedAsync(request.Tags, ct), request.AllowTagOverwrite, log);
                phases.Done("tags checked");
                Destinations.Delivered? delivered = null;
                await VerifyAsync(images, request, lifecycle, _ => async tests =>
                {
                    phases.Done("verified");
                    delivered = await single.Session.Destination.DeliverAsync(single.Final!, request.Tags, tests, ct);
                    phases.Done("delivered");
                }, ct);
                return Report(request, images, baked, lifecycle, request.Tags, [], delivered!.SbomDigest)
                    with { MovedTags = movedTags, Destination = delivered.Report, Signing = delivered.Signing };
            }

            if (request.Destination.Kind == Destinations.DestinationKind.Archive)
            {
                // Each platform's command tests run on its image loaded from the bake; the layout is written once all passed.
                await VerifyAsync(images, request, lifecycle, image => async tests =>
                {
                    if (tests is not null) await tests(await ((Destinations.ArchiveDestination)image.Session.Destination).TestImageAsync(image.Final!));
                }, ct);
                var written = await Destinations.ArchiveDestination.WriteIndexAsync(request, images.Select(i => (i.Session, i.Final!)).ToList(),
                    new OciDescriptor { MediaType = baked.MediaType, Digest = baked.Digest.ToString(), Size = baked.Bytes.Length }, baked.Bytes, log);
                return Report(request, images, baked, lifecycle, request.Tags, [], null) with { Destination = written };
            }

            var moved = TagGuard.Check(clients.Image, baked.Digest, await clients.TaggedAsync(request.Tags), request.AllowTagOverwrite, log);
            await VerifyAsync(images, request, lifecycle, image => async tests =>
            {
                await image.Session.PushByDigestAsync(image.Final!);
                if (tests is not null) await tests(Verification.CommandTestImage.Pull($"{image.Session.Image}@{image.Final!.Digest}"));
            }, ct);
            await clients.PutManifestAsync(baked.Digest.ToString(), baked.Bytes, baked.MediaType);
            var sbomDigest = await PushSbomsAsync(clients, images, baked, request);
            var signing = await SignAsync(clients, images, baked, request, ct);
            await clients.TagAsync(baked.Bytes, baked.MediaType, request.Tags, log);
            var destination = new Destinations.DestinationReport("registry", request.Destination.Registry!, request.Tags.Select(t => $"{clients.Image}:{t}").ToList());
            return Report(request, images, baked, lifecycle, request.Tags, [], sbomDigest) with { MovedTags = moved, Destination = destination, Signing = signing };
        }
        finally
        {
            foreach (var image in images) image.Session.Dispose();
        }
    }

    /// <summary>Bakes and writes the report (JSON, Markdown, JUnit) to <paramref name="reportDirectory"/>; a failed bake writes its report too.</summary>
    public async Task<(BakeResult Result, string ReportPath)> BakeAndReportAsync(BakeRequest request, LifecycleState lifecycle, string reportDirectory, CancellationToken ct = default)
    {
        BakeResult result;
        try
        {
            result = await BakeAsync(request, lifecycle, ct);
        }
        catch (BakeryException e) when (e.FailedBake is { } failed)
        {
            var (failedReport, _) = Reports.BakeReportWriter.Write(failed, reportDirectory);
            log.Info($"nothing was tagged, loaded or written; report of the failed bake: {failedReport}");
            throw;
        }
        var written = new PhaseTimes(log);
        var (jsonPath, _) = Reports.BakeReportWriter.Write(result, reportDirectory);
        written.Done("reports written");
        foreach (var skipped in result.Checks.Where(c => c.Skipped)) log.Detail($"skipped {skipped.File} › {skipped.Name}: {skipped.Failure}");
        return (result, jsonPath);
    }

    /// <summary>
    /// Every platform's image in turn, each verified and then staged by <paramref name="deliver"/> (which
    /// runs its command tests); the first failure stops the bake with the report of everything checked so far.
    /// </summary>
    private async Task VerifyAsync(List<PlatformImage> images, BakeRequest request, LifecycleState lifecycle,
        Func<PlatformImage, Func<Destinations.CommandTests?, Task>> deliver, CancellationToken ct)
    {
        var verification = new BakeVerification(log);
        foreach (var image in images)
        {
            try
            {
                image.Outcome = await verification.VerifyAndDeliverAsync(image.Session, image.Final!, image.Progress, deliver(image), ct);
            }
            catch (BakeryException e) when (e.FailedBake is null)
            {
                // Nothing is tagged; the report of what was checked is still worth having.
                var baked = BakedImage.Of(images);
                var blocking = image.Progress.Assessment.Blocking;
                throw new BakeryException(e.Code, e.Message, e.InnerException)
                {
                    FailedBake = Report(request, images, baked, lifecycle, [], blocking, null) with
                    {
                        Outcome = BakeOutcome.Failed,
                        Failure = $"{e.Code}: {e.Message}",
                        Secrets = image.Progress.Secrets.Where(f => f.AllowedBecause is null).ToList(),
                    },
                };
            }
        }
    }

    /// <summary>One SBOM per image, as a referrer of it; for an index also one of the index (every platform's inventory). Returns the top one's digest.</summary>
    private async Task<string?> PushSbomsAsync(BakeClients clients, List<PlatformImage> images, BakedImage baked, BakeRequest request)
    {
        foreach (var image in images)
            if (image.Session.Request.SbomPath is { } file && File.Exists(file))
                image.SbomDigest = await clients.PushSbomAsync(image.Session.Descriptor(image.Final!), file);
        if (!baked.IsIndex) return images[0].SbomDigest;
        if (request.SbomPath is not { } indexSbom) return null;
        var parts = images.Where(i => i.Session.Request.SbomPath is { } f && File.Exists(f))
            .Select(i => (i.Session.Platform, i.Final!.Digest.ToString(), File.ReadAllText(i.Session.Request.SbomPath!))).ToList();
        Directory.CreateDirectory(Path.GetDirectoryName(indexSbom)!);
        await File.WriteAllTextAsync(indexSbom, Security.Sbom.IndexCycloneDx(clients.Image, baked.Digest.ToString(), request.Created, parts));
        return await clients.PushSbomAsync(new OciDescriptor { MediaType = baked.MediaType, Digest = baked.Digest.ToString(), Size = baked.Bytes.Length }, indexSbom);
    }

    /// <summary>
    /// With signing: every platform's image (its provenance names its own lineage, its SBOM attached) and
    /// then the index (the index's lineage and SBOM), after the push by digest and before the tags.
    /// </summary>
    private async Task<Signing.SigningReport?> SignAsync(BakeClients clients, List<PlatformImage> images, BakedImage baked, BakeRequest request, CancellationToken ct)
    {
        if (request.Signing is not { } setup) return null;
        var signed = new List<Signing.SignedManifest>();
        foreach (var image in images)
        {
            var s = image.Session;
            signed.Add(await Signing.BakeSigning.SignManifestAsync(s.Request, clients.Target, clients.Image, s.Descriptor(image.Final!), s.Platform,
                ImageComposer.Lineage(s.Request, s.BaseDigest, s.BaseIndexDigest, s.Platform), s.Request.SbomPath, log, ct));
        }
        var first = images[0].Session;
        var index = new OciDescriptor { MediaType = baked.MediaType, Digest = baked.Digest.ToString(), Size = baked.Bytes.Length };
        signed.Add(await Signing.BakeSigning.SignManifestAsync(request, clients.Target, clients.Image, index, null,
            ImageComposer.IndexLineage(request, first.BaseIndexDigest ?? first.BaseDigest), request.SbomPath, log, ct));
        return Signing.SigningReport.Of(setup, signed);
    }

    private static BakeResult Report(BakeRequest request, List<PlatformImage> images, BakedImage baked, LifecycleState lifecycle,
        IReadOnlyList<string> tags, IReadOnlyList<Security.VulnerabilityFinding> blocking, string? sbomDigest)
    {
        var baseRef = request.BaseImage.Reference;
        var descriptor = request.BaseImage.Descriptor;
        var first = images[0];
        var done = images.Select(i => i.Outcome ?? i.Progress.Partial).ToList();
        var platforms = baked.IsIndex ? images.Select((i, n) => PlatformReport(i, done[n])).ToList() : [];
        var pinnedBase = first.Session.BaseIndexDigest ?? first.Session.BaseDigest;
        return new BakeResult
        {
            Image = first.Session.Image,
            Digest = baked.Digest.ToString(),
            MediaType = baked.MediaType,
            ConfigDigest = baked.IsIndex ? "" : first.Final!.ConfigDigest.ToString(),
            Tags = tags,
            BaseImage = $"{baseRef.Registry}/{baseRef.Repository}",
            BaseDigest = (baked.IsIndex ? pinnedBase : first.Session.BaseDigest).ToString(),
            BasePackage = descriptor is null ? null : $"{descriptor.Id} {descriptor.Version}",
            Lineage = baked.IsIndex ? ImageComposer.IndexLineage(request, pinnedBase)
                : ImageComposer.Lineage(request, first.Session.BaseDigest, first.Session.BaseIndexDigest, first.Session.Platform),
            Lifecycle = lifecycle,
            BaseExpiresOn = descriptor?.Lifecycle.ExpiresOn,
            Layers = baked.IsIndex ? [] : Layers(first.Session),
            Push = images.Aggregate(new PushStatistics(0, 0, 0, 0), (sum, i) => sum.Add(i.Session.Pushed)),
            Platform = baked.IsIndex ? null : first.Session.Platform,
            Platforms = platforms,
            BuildId = request.BuildId,
            Checks = done.SelectMany(d => d.Checks).ToList(),
            AllowedSecrets = done.SelectMany(d => d.AllowedSecrets).ToList(),
            SbomComponents = done.Sum(d => d.SbomComponents),
            SbomDigest = sbomDigest,
            Vulnerabilities = done.SelectMany(d => d.Vulnerabilities).Distinct().ToList(),
            BlockingVulnerabilities = blocking,
            LayerWarnings = images.SelectMany(i => i.Progress.LayerWarnings).ToList(),
        };
    }

    private static PlatformResult PlatformReport(PlatformImage image, VerifiedOutcome done)
    {
        var s = image.Session;
        return new PlatformResult
        {
            Platform = s.Platform,
            RuntimeIdentifier = image.Target?.RuntimeIdentifier,
            Digest = image.Final!.Digest.ToString(),
            MediaType = s.Flavour,
            ConfigDigest = image.Final.ConfigDigest.ToString(),
            BaseDigest = s.BaseDigest.ToString(),
            Lineage = ImageComposer.Lineage(s.Request, s.BaseDigest, s.BaseIndexDigest, s.Platform),
            Layers = Layers(s),
            Push = s.Pushed,
            SbomComponents = done.SbomComponents,
            SbomDigest = image.SbomDigest,
            ChecksPassed = done.Checks.Count(c => c.Passed && !c.Skipped),
            ChecksSkipped = done.Checks.Count(c => c.Skipped),
        };
    }

    private static List<LayerReport> Layers(BakeSession session) =>
        (session.BaseManifest.Layers ?? []).Select(l => new LayerReport("base", l.Digest, l.Size, "base"))
            .Concat(session.Added.Select(a => new LayerReport(a.Name, a.Blob.Digest.ToString(), a.Blob.Size, "bake"))).ToList();

    /// <summary>One platform's image in the bake: its session, composed image, verification and SBOM.</summary>
    private sealed class PlatformImage(BakeSession session, PlatformTarget? target)
    {
        public BakeSession Session { get; } = session;
        public PlatformTarget? Target { get; } = target;
        public ImageComposer.Composed? Final { get; set; }
        public BakeVerification.Progress Progress { get; } = new();
        public VerifiedOutcome? Outcome { get; set; }
        public string? SbomDigest { get; set; }
    }

    /// <summary>What the tags will name: the one image's manifest, or the index of every platform's image.</summary>
    private sealed record BakedImage(byte[] Bytes, Digest Digest, string MediaType, bool IsIndex)
    {
        public static BakedImage Of(List<PlatformImage> images)
        {
            if (images is [{ Target: null } single])
                return new BakedImage(single.Final!.Bytes, single.Final.Digest, single.Session.Flavour, false);
            var index = ImageIndex.Write(images.Where(i => i.Final is not null).Select(i => new ImageIndex.Entry(
                i.Session.Platform, i.Session.Flavour, i.Final!.Digest, i.Final.Bytes.Length)).ToList());
            return new BakedImage(index.Bytes, index.Digest, index.MediaType, true);
        }
    }
}
