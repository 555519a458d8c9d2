using System.CommandLine;
using Bakery.Core;
using Bakery.Core.Baking;
using Bakery.Core.Verification;
using Bakery.Oci.Model;
using Bakery.Oci.Registry;

namespace Bakery.Tool.Commands;

/// <summary>bakery verify IMAGE --policy FILE…: the checks a bake runs, against any image in a registry.</summary>
internal static class VerifyCommand
{
    public static Command Create()
    {
        var image = new Argument<string>("image") { Description = "registry/repository@sha256:…, registry/repository:tag, or PackageId/Version." };
        var policies = new Option<string[]>("--policy") { Description = "container-structure-test v2 files.", Required = true, AllowMultipleArgumentsPerToken = true };
        var commandTests = new Option<string>("--command-tests") { Description = "auto (when a Docker daemon answers), true or false.", DefaultValueFactory = _ => "auto" };
        var reports = new Option<string?>("--report-directory") { Description = "Write bakery-verify.json, .md and JUnit XML here." };
        var json = ToolContext.JsonOption();
        var command = new Command("verify", "Run structure tests (files, contents, metadata, licenses, commands) against an image.") { image, policies, commandTests, reports, json };
        command.SetAction((result, ct) => ToolContext.RunAsync(async () =>
        {
            var (reference, _) = await ToolContext.ResolveAsync(result.GetValue(image)!, ct);
            var plan = VerificationPlan.Create(result.GetValue(policies)!.Select(Path.GetFullPath), null, null, result.GetValue(commandTests));
            var cache = Path.Combine(Path.GetTempPath(), "bakery-verify-cache");
            var blobs = Path.Combine(cache, "blobs");
            Directory.CreateDirectory(blobs);

            using var client = new RegistryClient(reference.Registry, ToolContext.RegistryOptions());
            var manifest = (await client.GetManifestAsync(reference.Repository, reference.Digest!.ToString()!, ct)).Parse();
            if (manifest.Config is null) throw new ToolException(ExitCodes.BadInput, $"{reference} is not an image manifest.");
            var config = ImageConfig.Parse(await client.GetBlobAsync(reference.Repository, manifest.Config.ParsedDigest, ct));
            var layers = new List<(string, string)>();
            foreach (var layer in manifest.Layers ?? [])
            {
                var path = Path.Combine(blobs, layer.ParsedDigest.Hex);
                if (!File.Exists(path)) await client.DownloadBlobAsync(reference.Repository, layer.ParsedDigest, path, ct);
                layers.Add((layer.Digest, path));
            }
            var log = new ConsoleLog(quiet: result.GetValue(json));
            var verifier = new ImageVerifier(log);
            var checks = verifier.RunFileChecks(plan, ImageFilesystem.Load(layers, Path.Combine(cache, "fs-index")), config).ToList();
            if (plan.HasCommandTests) checks.AddRange(await verifier.RunCommandTestsAsync(plan, reference.ToString(), ct));

            if (result.GetValue(reports) is { } directory)
            {
                Directory.CreateDirectory(directory);
                var bake = new BakeResult
                {
                    Image = $"{reference.Registry}/{reference.Repository}", Digest = reference.Digest.ToString()!, MediaType = manifest.MediaType ?? "",
                    ConfigDigest = manifest.Config.Digest, Tags = [], BaseImage = "", BaseDigest = "", Layers = [], Push = new PushStatistics(0, 0, 0, 0),
                    Platform = $"{config.Os}/{config.Architecture}", Checks = checks,
                };
                await File.WriteAllTextAsync(Path.Combine(directory, "bakery-verify.json"), Core.Reports.BakeReportWriter.ToJson(bake), ct);
                await File.WriteAllTextAsync(Path.Combine(directory, "bakery-verify.md"), Core.Reports.BakeReportWriter.ToMarkdown(bake), ct);
                await File.WriteAllTextAsync(Path.Combine(directory, "bakery-verify-junit.xml"), Core.Reports.BakeReportWriter.ToJUnit(bake), ct);
            }
            if (result.GetValue(json)) ToolContext.WriteJson(new { image = reference.ToString(), passed = checks.All(c => c.Passed), checks });
            else Table.Write(["file", "check", "result"], checks.Select(c => (IReadOnlyList<string>)
                [c.File, $"{c.Suite}: {c.Name}", c.Skipped ? "skipped: " + c.Failure : c.Passed ? "passed" : "FAILED: " + c.Failure]));
            return checks.All(c => c.Passed) ? ExitCodes.Ok : ExitCodes.NotInGoodStanding;
        }));
        return command;
    }

    private sealed class ConsoleLog(bool quiet) : IBakeLog
    {
        public void Info(string message) { if (!quiet) Console.Error.WriteLine(message); }
        public void Detail(string message) { }
        public void Warning(BakeryDiagnostic diagnostic) => Console.Error.WriteLine($"warning {diagnostic.Code}: {diagnostic.Message}");
    }
}
