using Bakery.Oci.Model;

namespace Bakery.Core.Baking;

/// <summary>
/// Verifies one image of a bake (one platform's, in a multi-platform bake) before anything is tagged:
/// user, built-in policies, secrets, file checks and the vulnerability gate before any push, load or
/// write; then <c>deliver</c> stages the image (pushed by digest, loaded untagged, a temporary archive)
/// and runs the command tests on it there, in a container of its platform. The outcome is remembered for
/// this digest and these inputs, so a rebake of the same image does not verify it again. What was
/// found before a failure stays in <see cref="Progress"/> for the failed bake's report.
/// </summary>
internal sealed class BakeVerification(IBakeLog log)
{
    /// <summary>What one image's verification found so far.</summary>
    public sealed class Progress
    {
        public List<Verification.CheckResult> Checks { get; } = [];
        public List<Secrets.SecretFinding> Secrets { get; set; } = [];
        public BakeGates.SecurityAssessment Assessment { get; set; } = new(0, [], []);
        public IReadOnlyList<BakeryDiagnostic> LayerWarnings { get; set; } = [];

        public VerifiedOutcome Partial => new(Checks, Secrets.Where(f => f.AllowedBecause is not null).ToList(), Assessment.Components, Assessment.Findings);
    }

    /// <param name="deliver">Stages the image and runs the command tests it is given (null: none to run) on it before any name points at it.</param>
    public async Task<VerifiedOutcome> VerifyAndDeliverAsync(BakeSession session, ImageComposer.Composed final, Progress progress,
        Func<Destinations.CommandTests?, Task> deliver, CancellationToken ct)
    {
        var request = session.Request;
        var image = session.Describe(final.Digest);
        var pullable = $"{session.Image}@{final.Digest}";
        var outcomes = new VerifiedOutcomes(Path.Combine(request.WorkDirectory, "verified"));
        var outcomeKey = VerifiedOutcomes.Key(final.Digest, request);
        var outcome = outcomes.TryGet(outcomeKey, request.SbomPath);
        var verifier = new Verification.ImageVerifier(log);
        var gates = new BakeGates(log);
        var checks = progress.Checks;
        var platform = session.IsPartOfIndex ? session.Platform.ToString() : null;
        IEnumerable<Verification.CheckResult> OnPlatform(IEnumerable<Verification.CheckResult> results) =>
            platform is null ? results : results.Select(c => c with { Platform = platform });
        var config = ImageConfig.Parse(final.ConfigBytes);

        gates.CheckUser(config, request, image);
        checks.AddRange(OnPlatform(Verification.BuiltInPolicies.Evaluate(config, request.BaseImage.Reference, request.RequiredLabels)));
        Verification.ImageVerifier.ThrowOnFailures(checks, image);
        if (outcome is null)
        {
            progress.Secrets = gates.ScanSecrets(request, [.. session.Added], final.ConfigBytes, session.BaseConfig, image);
            BakeGates.ThrowOnSecrets(progress.Secrets, image);
            var layerFiles = await session.LayerFilesAsync();
            var filesystem = Verification.ImageFilesystem.Load(ImageLayers.Describe(layerFiles, session), Path.Combine(request.WorkDirectory, "fs-index"), image);
            progress.LayerWarnings = ImageLayers.ReportHazards(log, filesystem, image, session.BaseManifest.Layers?.Count ?? 0);
            if (!request.Verification.IsEmpty)
            {
                checks.AddRange(OnPlatform(verifier.RunFileChecks(request.Verification, filesystem, config)));
                Verification.ImageVerifier.ThrowOnFailures(checks, image);
            }
            progress.Assessment = gates.AssessSecurity(request, filesystem, layerFiles, pullable);
            if (progress.Assessment.Blocking.Count > 0)
                throw Messages.BAKE306(image, progress.Assessment.Blocking.Count, request.FailOnSeverity, Security.VulnerabilityGate.Describe(progress.Assessment.Blocking)).Exception();
            outcome = new VerifiedOutcome([.. checks], progress.Secrets.Where(f => f.AllowedBecause is not null).ToList(), progress.Assessment.Components, progress.Assessment.Findings);
        }
        else log.Info($"Verification, secret scan and SBOM reused: {image} passed them with these inputs before");
        Destinations.CommandTests? commandTests = !outcome.FromCache && !request.Verification.IsEmpty && request.Verification.HasCommandTests
            ? async target =>
            {
                checks.AddRange(OnPlatform(await verifier.RunCommandTestsAsync(request.Verification, target, ct, session.Platform)));
                outcome = outcome! with { Checks = [.. checks] };
                Verification.ImageVerifier.ThrowOnFailures(outcome.Checks, image);
            }
            : null;
        await deliver(commandTests);
        if (!outcome.FromCache) outcomes.Save(outcomeKey, outcome, request.SbomPath);
        return outcome;
    }
}
