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
        var policies = new Option<string[]>("--policy") { Description = "container-structure-test v2 files.", Required = true, AllowMultipleArgumentsPerToken = true };
        var commandTests = new Option<string>("--command-tests") { Description = "auto (when a Docker daemon answers), true or false.", DefaultValueFactory = _ => "auto" };
        var allowPrivileged = new Option<bool>("--allow-privileged") { Description = "Let containerRunOptions privileged and bindMounts run (BakeryAllowPrivilegedCommandTests)." };
        var reports = new Option<string?>("--report-directory") { Description = "Write bakery-verify.json, .md and JUnit XML here." };
        var json = ToolContext.JsonOption();
        var command = new Command("verify", "Run structure tests (files, contents, metadata, licenses, commands) against an image.") { image, policies, commandTests, allowPrivileged, reports, json };
        command.SetAction((result, ct) => ToolContext.RunAsync(async () =>
        {
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
