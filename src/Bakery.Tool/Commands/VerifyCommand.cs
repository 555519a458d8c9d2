using System.CommandLine;
using Bakery.Core.Reports;
using Bakery.Core.Verification;

using Bakery.Tool.Output;

namespace Bakery.Tool.Commands;

/// <summary>bakery verify IMAGE --policy FILE…: the checks a bake runs, against a registry image or an image archive.</summary>
internal static class VerifyCommand
{
    public static Command Create()
    {
        var image = new Argument<string>("image") { Description = ImageInput.ArgumentHelp };
        var policies = new Option<string[]>("--policy") { Description = "container-structure-test v2 files.", AllowMultipleArgumentsPerToken = true };
        var signatures = new Option<bool>("--signatures") { Description = "Verify the image's signatures (each platform's and the index's) with --key, or with its package's trust rules." };
        var keys = SigningOptions.TrustedKeys("With --signatures: the PEM public keys to trust (any of them may have signed).");
        var requireProvenance = new Option<bool>("--require-provenance") { Description = "With --signatures: each manifest must also carry SLSA provenance signed by a trusted key." };
        var commandTests = new Option<string>("--command-tests") { Description = "auto (when a Docker daemon answers), true or false.", DefaultValueFactory = _ => "auto" };
        var allowPrivileged = new Option<bool>("--allow-privileged") { Description = "Let containerRunOptions privileged and bindMounts run (BakeryAllowPrivilegedCommandTests)." };
        var reports = new Option<string?>("--report-directory") { Description = "Write bakery-verify.json, .md and JUnit XML here." };
        var json = ToolContext.JsonOption();
        var command = new Command("verify", "Run structure tests (files, contents, metadata, licenses, commands) against an image, and/or verify its signatures.") { image, policies, signatures, keys, requireProvenance, commandTests, allowPrivileged, reports, json };
        command.SetAction((result, ct) => ToolContext.RunAsync(async () =>
        {
            var hasPolicies = result.GetValue(policies) is { Length: > 0 };
            if (!result.GetValue(signatures) && (result.GetValue(keys) is { Length: > 0 } || result.GetValue(requireProvenance)))
                throw new ToolException(ExitCodes.BadInput, "--key and --require-provenance go with --signatures.");
            if (result.GetValue(signatures))
            {
                var signed = await SignatureVerification.RunAsync(result.GetValue(image)!, SigningOptions.LoadPublicKeys(result.GetValue(keys)),
                    result.GetValue(requireProvenance), result.GetValue(json) && !hasPolicies, ct);
                if (!hasPolicies || signed != ExitCodes.Ok) return signed;
            }
            else if (!hasPolicies) throw new ToolException(ExitCodes.BadInput, "give --policy FILE (structure tests), --signatures, or both.");
            var plan = VerificationPlan.Create(result.GetValue(policies)!.Select(Path.GetFullPath), null, null, result.GetValue(commandTests), result.GetValue(allowPrivileged));
            using var input = await ImageInput.LoadAsync(result.GetValue(image)!, ct);
            var target = input.Image;
            var verifier = new ImageVerifier(new ConsoleLog(quiet: result.GetValue(json)));
            var checks = verifier.RunFileChecks(plan, input.LoadFilesystem(result.GetValue(json)), target.Config).ToList();
            if (plan.HasCommandTests)
                checks.AddRange(await verifier.RunCommandTestsAsync(plan, target.ArchivePath is null ? $"{target.Name}@{target.ManifestDigest}" : target.Display, ct, target.ArchivePath));

            if (result.GetValue(reports) is { } directory) BakeReportWriter.Write(input.Report(checks), directory, "bakery-verify");
            if (result.GetValue(json)) ToolContext.WriteJson(new { image = target.Display, passed = checks.All(c => c.Passed), checks });
            else Table.Write(["file", "check", "result"], checks.Select(c => (IReadOnlyList<string>)
                [c.File, $"{c.Suite}: {c.Name}", c.Skipped ? "skipped: " + c.Failure : c.Passed ? "passed" : "FAILED: " + c.Failure]));
            return checks.All(c => c.Passed) ? ExitCodes.Ok : ExitCodes.NotInGoodStanding;
        }));
        return command;
    }
}
