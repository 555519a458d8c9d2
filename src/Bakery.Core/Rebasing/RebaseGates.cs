using Bakery.Core.Baking;
using Bakery.Oci.Layers;
using Bakery.Oci.Model;

namespace Bakery.Core.Rebasing;

/// <summary>What the gates concluded about a rebased image, and the hazards of its layers for the report.</summary>
internal sealed record GateOutcome(VerifiedOutcome Outcome, IReadOnlyList<BakeryDiagnostic> LayerWarnings);

/// <summary>
/// The gates a bake passes, run on a rebased image with the same parts a bake uses and in the same
/// order: user, built-in policies (required labels of the new base's package), secrets in the
/// configuration (the own layers are unchanged, and their bake scanned them), file checks of the
/// project's and the new base's verification files, the SBOM of the whole image with the vulnerability
/// gate, all before anything is pushed; command tests on the image pushed by digest. An outcome is
/// remembered for the digest and the inputs, as a bake's is.
/// </summary>
internal sealed class RebaseGates(IBakeLog log, PhaseTimes phases)
{
    public async Task<GateOutcome> VerifyAsync(BakeRequest request, ImageComposer.Composed composed, PinnedImage onto, Verification.ImageFilesystem filesystem,
        List<LayerFile> layers, IReadOnlyList<OwnLayer> own, string image, Func<Task> pushByDigest, CancellationToken ct)
    {
        var outcomes = new VerifiedOutcomes(Path.Combine(request.WorkDirectory, "verified"));
        var key = VerifiedOutcomes.Key(composed.Digest, request);
        var outcome = outcomes.TryGet(key, request.SbomPath);
        var verifier = new Verification.ImageVerifier(log);
        var gates = new BakeGates(log);
        var checks = new List<Verification.CheckResult>();
        var assessment = new BakeGates.SecurityAssessment(0, [], []);
        var config = ImageConfig.Parse(composed.ConfigBytes);
        var warnings = ImageLayers.ReportHazards(log, filesystem, image, onto.Parsed.Layers?.Count ?? 0);
        phases.Done("layer hazards");
        List<Secrets.SecretFinding> secrets = [];
        try
        {
            gates.CheckUser(config, request, image);
            checks.AddRange(Verification.BuiltInPolicies.Evaluate(config, request.BaseImage.Reference, request.RequiredLabels));
            Verification.ImageVerifier.ThrowOnFailures(checks, image);
            if (outcome is null)
            {
                secrets = gates.ScanSecrets(request, [], composed.ConfigBytes, onto.ConfigBytes, image);
                BakeGates.ThrowOnSecrets(secrets, image);
                phases.Done("secret scan of the configuration");
                if (!request.Verification.IsEmpty)
                {
                    checks.AddRange(verifier.RunFileChecks(request.Verification, filesystem, config));
                    Verification.ImageVerifier.ThrowOnFailures(checks, image);
                    phases.Done("file checks");
                }
                assessment = gates.AssessSecurity(request, filesystem, layers.Select(l => (l.Digest, l.Path)).ToList(), image);
                phases.Done("SBOM and vulnerability assessment");
                if (assessment.Blocking.Count > 0)
                    throw Messages.BAKE306(image, assessment.Blocking.Count, request.FailOnSeverity, Security.VulnerabilityGate.Describe(assessment.Blocking)).Exception();
                outcome = new VerifiedOutcome(checks, secrets, assessment.Components, assessment.Findings);
            }
            else log.Info($"Verification, secret scan and SBOM reused: {image} passed them with these inputs before");
            await pushByDigest();
            if (!outcome.FromCache && !request.Verification.IsEmpty && request.Verification.HasCommandTests)
            {
                checks.AddRange(await verifier.RunCommandTestsAsync(request.Verification, image, ct));
                outcome = outcome with { Checks = [.. checks] };
                Verification.ImageVerifier.ThrowOnFailures(outcome.Checks, image);
                phases.Done("command tests");
            }
        }
        catch (BakeryException e) when (e.FailedBake is null)
        {
            var partial = new VerifiedOutcome(checks, secrets.Where(f => f.AllowedBecause is not null).ToList(), assessment.Components, assessment.Findings);
            throw new BakeryException(e.Code, e.Message, e.InnerException)
            {
                FailedBake = RebaseReport.Create(request, composed, onto, layers, own, new GateOutcome(partial, warnings), [], new PushStatistics(0, 0, 0, 0), null) with
                {
                    Outcome = BakeOutcome.Failed,
                    Failure = $"{e.Code}: {e.Message}",
                    Secrets = secrets.Where(f => f.AllowedBecause is null).ToList(),
                    BlockingVulnerabilities = assessment.Blocking,
                },
            };
        }
        if (!outcome.FromCache) outcomes.Save(key, outcome, request.SbomPath);
        return new GateOutcome(outcome, warnings);
    }
}
