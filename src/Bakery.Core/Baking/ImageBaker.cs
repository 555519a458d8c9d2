using Bakery.Core.Lifecycle;
using Bakery.Oci.Model;
using Bakery.Oci.Registry;

namespace Bakery.Core.Baking;

/// <summary>
/// The bake pipeline after the app is published: fetch the pinned base, add the local layers, RUN
/// steps and the app as deterministic layers, verify, and deliver to the destination (push blobs and
/// the manifest by digest and only then the tags; or load into the local engine; or write an
/// archive). A bake stopped by verification or a gate carries its report in the exception.
/// </summary>
public sealed class ImageBaker(RegistryClientOptions registryOptions, IBakeLog log)
{
    private IReadOnlyList<BakeryDiagnostic> _layerWarnings = [];

    public async Task<BakeResult> BakeAsync(BakeRequest request, LifecycleState lifecycle, CancellationToken ct = default)
    {
        using var session = await BakeSession.OpenAsync(request, registryOptions, log, ct);
        foreach (var step in request.Steps)
        {
            if (step is LocalLayer layer) await session.AddLayerAsync(layer);
            else await session.AddRunAsync((RunStep)step);
        }
        if (request.AppDirectory is { } appDirectory) session.AddApp(appDirectory, request.AppDestination);

        var final = session.Compose();
        log.Info($"Image {session.Image}@{final.Digest} ({session.Added.Count} new layer(s) on {session.BaseManifest.Layers?.Count ?? 0} base layer(s))");
        var moved = TagGuard.Check(session.Image, final.Digest, await session.Destination.TaggedAsync(request.Tags, ct), request.AllowTagOverwrite, log);
        var (outcome, delivered) = await VerifyAndDeliverAsync(session, final, request, lifecycle, ct);
        return Report(session, final, request, lifecycle, request.Tags, outcome, [], delivered.SbomDigest) with { MovedTags = moved, Destination = delivered.Report, Signing = delivered.Signing };
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
        var (jsonPath, _) = Reports.BakeReportWriter.Write(result, reportDirectory);
        foreach (var skipped in result.Checks.Where(c => c.Skipped)) log.Detail($"skipped {skipped.File} › {skipped.Name}: {skipped.Failure}");
        return (result, jsonPath);
    }

    /// <summary>
    /// Verifies before anything is delivered: user, built-in policies, secrets, file checks and the
    /// vulnerability gate before any push, load or write; command tests on the image where the
    /// destination staged it (pushed by digest, loaded untagged, a temporary archive), before any name
    /// points at it. The outcome is remembered for this digest and these inputs, so a rebake of the same
    /// image does not verify it again.
    /// </summary>
    private async Task<(VerifiedOutcome Outcome, Destinations.Delivered Delivered)> VerifyAndDeliverAsync(BakeSession session, ImageComposer.Composed final,
        BakeRequest request, LifecycleState lifecycle, CancellationToken ct)
    {
        var image = $"{session.Image}@{final.Digest}";
        var outcomes = new VerifiedOutcomes(Path.Combine(request.WorkDirectory, "verified"));
        var outcomeKey = VerifiedOutcomes.Key(final.Digest, request);
        var outcome = outcomes.TryGet(outcomeKey, request.SbomPath);
        var verifier = new Verification.ImageVerifier(log);
        var gates = new BakeGates(log);
        var checks = new List<Verification.CheckResult>();
        var assessment = new BakeGates.SecurityAssessment(0, [], []);
        var config = ImageConfig.Parse(final.ConfigBytes);
        List<Secrets.SecretFinding> secrets = [];
        Destinations.Delivered delivered;
        try
        {
            gates.CheckUser(config, request, image);
            checks.AddRange(Verification.BuiltInPolicies.Evaluate(config, request.BaseImage.Reference, request.RequiredLabels));
            Verification.ImageVerifier.ThrowOnFailures(checks, image);
            if (outcome is null)
            {
                secrets = gates.ScanSecrets(request, [.. session.Added], final.ConfigBytes, session.BaseConfig, image);
                BakeGates.ThrowOnSecrets(secrets, image);
                var allowedSecrets = secrets;
                var layerFiles = await session.LayerFilesAsync();
                var filesystem = Verification.ImageFilesystem.Load(ImageLayers.Describe(layerFiles, session), Path.Combine(request.WorkDirectory, "fs-index"), image);
                _layerWarnings = ImageLayers.ReportHazards(log, filesystem, image, session.BaseManifest.Layers?.Count ?? 0);
                if (!request.Verification.IsEmpty)
                {
                    checks.AddRange(verifier.RunFileChecks(request.Verification, filesystem, config));
                    Verification.ImageVerifier.ThrowOnFailures(checks, image);
                }
                assessment = gates.AssessSecurity(request, filesystem, layerFiles, image);
                if (assessment.Blocking.Count > 0)
                    throw Messages.BAKE306(image, assessment.Blocking.Count, request.FailOnSeverity, Security.VulnerabilityGate.Describe(assessment.Blocking)).Exception();
                outcome = new VerifiedOutcome(checks, allowedSecrets, assessment.Components, assessment.Findings);
            }
            else log.Info($"Verification, secret scan and SBOM reused: {image} passed them with these inputs before");
            Destinations.CommandTests? commandTests = !outcome.FromCache && !request.Verification.IsEmpty && request.Verification.HasCommandTests
                ? async target =>
                {
                    checks.AddRange(await verifier.RunCommandTestsAsync(request.Verification, target, ct));
                    outcome = outcome! with { Checks = [.. checks] };
                    Verification.ImageVerifier.ThrowOnFailures(outcome.Checks, image);
                }
                : null;
            delivered = await session.Destination.DeliverAsync(final, request.Tags, commandTests, ct);
        }
        catch (BakeryException e) when (e.FailedBake is null)
        {
            // Nothing is tagged; the report of what was checked is still worth having.
            var partial = new VerifiedOutcome(checks, secrets.Where(f => f.AllowedBecause is not null).ToList(), assessment.Components, assessment.Findings);
            throw new BakeryException(e.Code, e.Message, e.InnerException)
            {
                FailedBake = Report(session, final, request, lifecycle, [], partial, assessment.Blocking, null) with
                {
                    Outcome = BakeOutcome.Failed, Failure = $"{e.Code}: {e.Message}", Secrets = secrets.Where(f => f.AllowedBecause is null).ToList(),
                },
            };
        }
        if (!outcome.FromCache) outcomes.Save(outcomeKey, outcome, request.SbomPath);
        return (outcome, delivered);
    }

    private BakeResult Report(BakeSession session, ImageComposer.Composed final, BakeRequest request, LifecycleState lifecycle,
        IReadOnlyList<string> tags, VerifiedOutcome done, IReadOnlyList<Security.VulnerabilityFinding> blocking, string? sbomDigest)
    {
        var baseRef = request.BaseImage.Reference;
        var descriptor = request.BaseImage.Descriptor;
        return new BakeResult
        {
            Image = session.Image,
            Digest = final.Digest.ToString(),
            MediaType = session.Flavour,
            ConfigDigest = final.ConfigDigest.ToString(),
            Tags = tags,
            BaseImage = $"{baseRef.Registry}/{baseRef.Repository}",
            BaseDigest = session.BaseDigest.ToString(),
            BasePackage = descriptor is null ? null : $"{descriptor.Id} {descriptor.Version}",
            Lineage = ImageComposer.Lineage(request, session.BaseDigest),
            Lifecycle = lifecycle,
            BaseExpiresOn = descriptor?.Lifecycle.ExpiresOn,
            Layers = (session.BaseManifest.Layers ?? []).Select(l => new LayerReport("base", l.Digest, l.Size, "base"))
                .Concat(session.Added.Select(a => new LayerReport(a.Name, a.Blob.Digest.ToString(), a.Blob.Size, "bake"))).ToList(),
            Push = session.Pushed,
            Platform = session.Platform,
            BuildId = request.BuildId,
            Checks = done.Checks,
            AllowedSecrets = done.AllowedSecrets,
            SbomComponents = done.SbomComponents,
            SbomDigest = sbomDigest,
            Vulnerabilities = done.Vulnerabilities,
            BlockingVulnerabilities = blocking,
            LayerWarnings = _layerWarnings,
        };
    }
}
