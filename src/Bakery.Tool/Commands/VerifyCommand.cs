using System.CommandLine;
using Bakery.Core.Baking;
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
        var platform = PlatformImages.Option();
        var json = ToolContext.JsonOption();
        var command = new Command("verify", "Run structure tests (files, contents, metadata, licenses, commands) against an image, every platform of an index, and/or verify its signatures.")
            { image, policies, signatures, keys, requireProvenance, commandTests, allowPrivileged, platform, reports, json };
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
            var quiet = result.GetValue(json);
            var inputs = await ImageInput.LoadPlatformsAsync(result.GetValue(image)!, PlatformImages.Parse(result.GetValue(platform)), ct);
            try
            {
                var verifier = new ImageVerifier(new ConsoleLog(quiet));
                var perPlatform = new List<(ImageInput Input, List<CheckResult> Checks)>();
                foreach (var input in inputs)
                {
                    var target = input.Image;
                    if (inputs.Count > 1 && !quiet) Console.Error.WriteLine($"Verifying {input.Platform} ({target.Display})");
                    var checks = verifier.RunFileChecks(plan, input.LoadFilesystem(quiet), target.Config).ToList();
                    if (plan.HasCommandTests)
                        checks.AddRange(await verifier.RunCommandTestsAsync(plan, target.ArchivePath is null ? $"{target.Name}@{target.ManifestDigest}" : target.Display, ct,
                            target.ArchivePath, target.ArchivePath is null ? input.Platform : null));
                    perPlatform.Add((input, checks));
                }
                var passed = perPlatform.All(p => p.Checks.All(c => c.Passed));

                if (result.GetValue(reports) is { } directory)
                    foreach (var (input, checks) in perPlatform)
                        BakeReportWriter.Write(input.Report(checks), directory, inputs.Count > 1 ? $"bakery-verify.{PlatformList.FileSafe(input.Platform!)}" : "bakery-verify");
                if (quiet)
                {
                    if (inputs.Count == 1) ToolContext.WriteJson(new { image = inputs[0].Image.Display, platform = inputs[0].Platform?.ToString(), passed, checks = perPlatform[0].Checks });
                    else ToolContext.WriteJson(new
                    {
                        image = result.GetValue(image),
                        passed,
                        platforms = perPlatform.Select(p => new { platform = p.Input.Platform?.ToString(), image = p.Input.Image.Display, passed = p.Checks.All(c => c.Passed), checks = p.Checks }),
                    });
                }
                else if (inputs.Count == 1) Table.Write(["file", "check", "result"], perPlatform[0].Checks.Select(Row));
                else Table.Write(["platform", "file", "check", "result"], perPlatform.SelectMany(p => p.Checks.Select(c => (IReadOnlyList<string>)[p.Input.Platform?.ToString() ?? "", .. Row(c)])));
                return passed ? ExitCodes.Ok : ExitCodes.NotInGoodStanding;
            }
            finally
            {
                foreach (var input in inputs) input.Dispose();
            }
        }));
        return command;
    }

    private static IReadOnlyList<string> Row(CheckResult c) =>
        [c.File, $"{c.Suite}: {c.Name}", c.Skipped ? "skipped: " + c.Failure : c.Passed ? "passed" : "FAILED: " + c.Failure];
}
