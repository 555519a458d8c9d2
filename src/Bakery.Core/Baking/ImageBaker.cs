using Bakery.Core.Lifecycle;
using Bakery.Oci.Layers;
using Bakery.Oci.Model;
using Bakery.Oci.Registry;

namespace Bakery.Core.Baking;

/// <summary>
/// The bake pipeline after the app is published: fetch the pinned base, add local layers and the app
/// as deterministic layers, write the config and manifest, then push blobs, the manifest by digest,
/// and only then the tags.
/// </summary>
public sealed class ImageBaker(RegistryClientOptions registryOptions, IBakeLog log)
{
    public async Task<BakeResult> BakeAsync(BakeRequest request, LifecycleState lifecycle, CancellationToken ct = default)
    {
        var baseRef = request.BaseImage.Reference;
        var image = $"{request.TargetRegistry}/{request.TargetRepository}";
        var blobDirectory = Path.Combine(request.WorkDirectory, "blobs", "sha256");

        using var baseClient = new RegistryClient(baseRef.Registry, registryOptions);
        var sameRegistry = string.Equals(baseRef.Registry, request.TargetRegistry, StringComparison.OrdinalIgnoreCase);
        using var ownTarget = sameRegistry ? null : new RegistryClient(request.TargetRegistry, registryOptions);
        var target = ownTarget ?? baseClient;

        log.Info($"Base image {baseRef}");
        var (baseManifest, baseDigest, baseConfigBytes) = await FetchBaseAsync(baseClient, request, ct);
        var flavour = baseManifest.MediaType == MediaTypes.DockerManifest ? MediaTypes.DockerManifest : MediaTypes.OciManifest;

        var config = ImageConfig.Parse(baseConfigBytes);
        if (request.BaseImage.IsUpstream)
        {
            var facts = UpstreamValidator.Inspect(baseRef.ToString(), baseManifest, config);
            if (!facts.IsValid) throw BakeryException.Create("BAKE210", baseRef, string.Join("; ", facts.Problems));
            log.Info($"Upstream {facts.Platform}, created {facts.Created}, {facts.LayerCount} layer(s), {facts.CompressedSize:N0} bytes compressed, history of {facts.HistoryLength}");
        }
        var platform = new Platform { Os = config.Os ?? request.Platform.Os, Architecture = config.Architecture ?? request.Platform.Architecture };

        var layerOptions = new LayerOptions { ModificationTime = request.Created };
        var writer = new DeterministicLayerWriter(blobDirectory, layerOptions);
        var index = new LayerIndex(Path.Combine(request.WorkDirectory, "layer-index"), blobDirectory);
        var added = new List<(string Name, LayerBlob Blob)>();
        var push = new PushStatistics(0, 0, 0, 0);
        var pusher = new BlobPusher(log);
        ImageComposer.Composed Compose() => ImageComposer.Compose(baseConfigBytes, baseManifest, added, request, flavour, baseDigest);
        async Task PushBlobs(ImageComposer.Composed composed) =>
            push = push.Add(await pusher.PushAsync(request, baseClient, target, sameRegistry, baseManifest, added, blobDirectory, composed.ConfigBytes, composed.ConfigDigest, image, ct));

        Running.DockerRunStepExecutor? runner = null;
        try
        {
            foreach (var step in request.Steps)
            {
                if (step is LocalLayer layer)
                {
                    var sources = await ImageLayers.ResolveOwnersAsync(layer, baseClient, baseRef.Repository, baseManifest, added, blobDirectory, request.WorkDirectory, ct);
                    added.Add(($"layer {layer.Name}", ImageLayers.WriteLayer(log, writer, index, layerOptions, layer.Name, sources)));
                    continue;
                }
                var run = (Running.RunStep)step;
                var key = Running.RunStepCache.Key(baseDigest, added.Select(a => a.Blob.DiffId), run);
                var blob = index.TryGet(key);
                if (blob is null)
                {
                    runner ??= new Running.DockerRunStepExecutor(log);
                    await runner.EnsureAvailableAsync(ct);
                    var soFar = Compose();
                    await PushBlobs(soFar);
                    await PutManifest(target, request.TargetRepository, soFar.Digest.ToString(), soFar.Bytes, flavour, image, ct);
                    var staging = Path.Combine(request.WorkDirectory, "run-staging", key[..16]);
                    try
                    {
                        var entries = await runner.RunAsync($"{request.TargetRegistry}/{request.TargetRepository}@{soFar.Digest}", run, staging, ct);
                        blob = writer.Write(entries);
                    }
                    finally
                    {
                        if (Directory.Exists(staging)) Directory.Delete(staging, recursive: true);
                    }
                    index.Save(key, blob);
                }
                else log.Info($"RUN {run.Display} (cached: {blob.Digest.Hex[..12]})");
                added.Add(($"run {run.Display}", blob));
            }
        }
        finally
        {
            runner?.Dispose();
        }

        if (request.AppDirectory is { } appDirectory)
            added.Add(("app", ImageLayers.WriteLayer(log, writer, index, layerOptions, "app", [new LayerSource(appDirectory, request.AppDestination)])));

        var final = Compose();
        var digest = final.Digest;
        log.Info($"Image {image}@{digest} ({added.Count} new layer(s) on {baseManifest.Layers?.Count ?? 0} base layer(s))");

        // Verify before anything is tagged: secrets, user and file checks before any push, command tests on the image pushed by digest.
        // The outcome is remembered for this digest and these inputs: a rebake of the same image does not verify it again.
        var outcomes = new VerifiedOutcomes(Path.Combine(request.WorkDirectory, "verified"));
        var outcomeKey = VerifiedOutcomes.Key(digest, request);
        var outcome = outcomes.TryGet(outcomeKey, request.SbomPath);
        var verifier = new Verification.ImageVerifier(log);
        var checks = new List<Verification.CheckResult>();
        var gates = new BakeGates(log);
        var assessment = new BakeGates.SecurityAssessment(0, [], []);
        var descriptor = request.BaseImage.Descriptor;
        BakeResult Report(IReadOnlyList<string> tags, VerifiedOutcome done, IReadOnlyList<Security.VulnerabilityFinding> blocking, string? sbomDigest) => new()
        {
            Image = image,
            Digest = digest.ToString(),
            MediaType = flavour,
            ConfigDigest = final.ConfigDigest.ToString(),
            Tags = tags,
            BaseImage = $"{baseRef.Registry}/{baseRef.Repository}",
            BaseDigest = baseDigest.ToString(),
            BasePackage = descriptor is null ? null : $"{descriptor.Id} {descriptor.Version}",
            Lineage = ImageComposer.Lineage(request, baseDigest),
            Lifecycle = lifecycle,
            BaseExpiresOn = descriptor?.Lifecycle.ExpiresOn,
            Layers = (baseManifest.Layers ?? []).Select(l => new LayerReport("base", l.Digest, l.Size, "base"))
                .Concat(added.Select(a => new LayerReport(a.Name, a.Blob.Digest.ToString(), a.Blob.Size, "bake"))).ToList(),
            Push = push,
            Platform = platform.ToString(),
            BuildId = request.BuildId,
            Checks = done.Checks,
            AllowedSecrets = done.AllowedSecrets,
            SbomComponents = done.SbomComponents,
            SbomDigest = sbomDigest,
            Vulnerabilities = done.Vulnerabilities,
            BlockingVulnerabilities = blocking,
        };
        try
        {
            gates.CheckUser(ImageConfig.Parse(final.ConfigBytes), request, $"{image}@{digest}");
            checks.AddRange(Verification.BuiltInPolicies.Evaluate(ImageConfig.Parse(final.ConfigBytes), baseRef, request.RequiredLabels));
            Verification.ImageVerifier.ThrowOnFailures(checks, $"{image}@{digest}");
            if (outcome is null)
            {
                var allowedSecrets = gates.ScanSecrets(request, added, $"{image}@{digest}");
                var layerFiles = await ImageLayers.LayerFilesAsync(baseClient, request.BaseImage.Reference.Repository, baseManifest, added, blobDirectory, ct);
                var filesystem = Verification.ImageFilesystem.Load(layerFiles, Path.Combine(request.WorkDirectory, "fs-index"));
                if (!request.Verification.IsEmpty)
                {
                    checks.AddRange(verifier.RunFileChecks(request.Verification, filesystem, ImageConfig.Parse(final.ConfigBytes)));
                    Verification.ImageVerifier.ThrowOnFailures(checks, $"{image}@{digest}");
                }
                assessment = gates.AssessSecurity(request, filesystem, layerFiles, $"{image}@{digest}");
                if (assessment.Blocking.Count > 0)
                    throw BakeryException.Create("BAKE306", $"{image}@{digest}", assessment.Blocking.Count, request.FailOnSeverity, Security.VulnerabilityGate.Describe(assessment.Blocking));
                outcome = new VerifiedOutcome(checks, allowedSecrets, assessment.Components, assessment.Findings);
            }
            else log.Info($"Verification, secret scan and SBOM reused: {image}@{digest} passed them with these inputs before");
            await PushBlobs(final);
            await PutManifest(target, request.TargetRepository, digest.ToString(), final.Bytes, flavour, image, ct);
            if (!outcome.FromCache && !request.Verification.IsEmpty && request.Verification.HasCommandTests)
            {
                checks.AddRange(await verifier.RunCommandTestsAsync(request.Verification, $"{request.TargetRegistry}/{request.TargetRepository}@{digest}", ct));
                outcome = outcome with { Checks = [.. checks] };
                Verification.ImageVerifier.ThrowOnFailures(outcome.Checks, $"{image}@{digest}");
            }
        }
        catch (BakeryException e) when (e.FailedBake is null)
        {
            // Nothing is tagged; the report of what was checked is still worth having.
            var partial = new VerifiedOutcome(checks, [], assessment.Components, assessment.Findings);
            throw new BakeryException(e.Code, e.Message, e.InnerException)
            {
                FailedBake = Report([], partial, assessment.Blocking, null) with { Outcome = BakeOutcome.Failed, Failure = $"{e.Code}: {e.Message}" },
            };
        }
        if (!outcome.FromCache) outcomes.Save(outcomeKey, outcome, request.SbomPath);
        string? sbomDigest = null;
        if (request.SbomPath is { } sbomFile && File.Exists(sbomFile))
        {
            // The SBOM travels with the image: an artifact that refers to it (referrers API or tag fallback).
            var subject = new OciDescriptor { MediaType = flavour, Digest = digest.ToString(), Size = final.Bytes.Length };
            try
            {
                await target.PushReferrerAsync(request.TargetRepository, subject, Security.Sbom.ArtifactType,
                    new SortedDictionary<string, string>(StringComparer.Ordinal) { ["org.opencontainers.image.created"] = request.Created.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", System.Globalization.CultureInfo.InvariantCulture) },
                    ct, (sbomFile, Security.Sbom.ArtifactType));
                sbomDigest = Digest.Compute(File.ReadAllBytes(sbomFile)).ToString();
            }
            catch (RegistryException e) { throw RegistryErrors.WhilePushing(e, image); }
        }
        foreach (var tag in request.Tags)
        {
            await PutManifest(target, request.TargetRepository, tag, final.Bytes, flavour, image, ct);
            log.Info($"Tagged {image}:{tag}");
        }
        return Report(request.Tags, outcome, [], sbomDigest);
    }

    private static async Task PutManifest(RegistryClient target, string repository, string reference, byte[] bytes, string mediaType, string image, CancellationToken ct)
    {
        try { await target.PutManifestAsync(repository, reference, bytes, mediaType, ct); }
        catch (RegistryException e) { throw RegistryErrors.WhilePushing(e, image); }
    }

    private async Task<(ImageManifest Manifest, Digest Digest, byte[] Config)> FetchBaseAsync(RegistryClient client, BakeRequest request, CancellationToken ct)
    {
        var baseRef = request.BaseImage.Reference;
        var pinned = baseRef.Digest?.ToString() ?? baseRef.Reference;
        try
        {
            var fetched = await client.GetManifestAsync(baseRef.Repository, baseRef.Reference, ct);
            var manifest = fetched.Parse();
            var digest = fetched.Digest;
            if (MediaTypes.IsIndex(fetched.MediaType) || manifest.Manifests is not null)
            {
                var wanted = request.Platform;
                var match = manifest.Manifests?.FirstOrDefault(m => m.Platform is { } p && p.Os == wanted.Os && p.Architecture == wanted.Architecture)
                    ?? throw BakeryException.Create("BAKE206", baseRef, wanted,
                        string.Join(", ", manifest.Manifests?.Select(m => m.Platform?.ToString() ?? "unknown") ?? []));
                var child = await client.GetManifestAsync(baseRef.Repository, match.Digest, ct);
                manifest = child.Parse();
                digest = child.Digest;
            }
            if (manifest.Config is null || !MediaTypes.IsManifest(manifest.MediaType ?? fetched.MediaType))
                throw BakeryException.Create("BAKE208", baseRef, $"its manifest has media type '{manifest.MediaType ?? fetched.MediaType}', which is not an image manifest");
            var config = await client.GetBlobAsync(baseRef.Repository, manifest.Config.ParsedDigest, ct);
            return (manifest with { MediaType = manifest.MediaType ?? fetched.MediaType }, digest, config);
        }
        catch (RegistryException e)
        {
            throw RegistryErrors.WhileResolvingBase(e, baseRef.ToString(), pinned);
        }
    }


}
