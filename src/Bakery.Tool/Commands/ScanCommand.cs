using System.CommandLine;
using Bakery.Core.Reports;
using Bakery.Core.Security;

using Bakery.Tool.Output;

namespace Bakery.Tool.Commands;

/// <summary>bakery scan IMAGE: the SBOM and, with a database, the vulnerability assessment a bake runs, for a registry image or an image archive.</summary>
internal static class ScanCommand
{
    public static Command Create()
    {
        var image = new Argument<string>("image") { Description = ImageInput.ArgumentHelp };
        var database = new Option<string?>("--database") { Description = "Folder or zip of OSV JSON advisories (Debian:12, NuGet)." };
        var failOn = new Option<string>("--fail-on") { Description = "Severity that fails the scan: Low, Medium, High, Critical.", DefaultValueFactory = _ => "High" };
        var allowlist = new Option<string?>("--allowlist") { Description = "Accepted advisories: ADVISORY-ID package-or-* YYYY-MM-DD reason." };
        var sbomOut = new Option<string?>("--sbom") { Description = "Write the CycloneDX SBOM to this file." };
        var reports = new Option<string?>("--report-directory") { Description = "Write bakery-scan.json, .md and JUnit XML here." };
        var json = ToolContext.JsonOption();
        var command = new Command("scan", "Inventory an image (CycloneDX SBOM) and match it against an offline advisory database.") { image, database, failOn, allowlist, sbomOut, reports, json };
        command.SetAction((result, ct) => ToolContext.RunAsync(async () =>
        {
            var threshold = VulnerabilityGate.ParseThreshold(result.GetValue(failOn));
            var accepted = VulnerabilityAllowlist.Load(result.GetValue(allowlist));
            using var input = await ImageInput.LoadAsync(result.GetValue(image)!, ct);
            var target = input.Image;
            var components = Sbom.Inventory(input.LoadFilesystem(result.GetValue(json)), target.Layers.Select(l => l.Digest).ToList());
            if (result.GetValue(sbomOut) is { } sbomPath)
                await File.WriteAllTextAsync(sbomPath, Sbom.ToCycloneDx(components, target.Name, target.ManifestDigest?.ToString() ?? target.ConfigDigest.ToString(), DateTimeOffset.UnixEpoch), ct);

            GateResult? gate = null;
            if (result.GetValue(database) is { } databasePath)
            {
                var advisories = AdvisoryDatabase.Load(databasePath);
                gate = VulnerabilityGate.Evaluate(advisories.Match(components), threshold, accepted, DateTimeOffset.UtcNow);
                if (!result.GetValue(json)) foreach (var warning in gate.Warnings) Console.Error.WriteLine($"warning {warning.Code}: {warning.Message}");
            }
            if (result.GetValue(reports) is { } directory) BakeReportWriter.Write(input.Report([], gate, components.Count), directory, "bakery-scan");

            if (result.GetValue(json))
                ToolContext.WriteJson(new { image = target.Display, components, blocking = gate?.Blocking, below = gate?.Below, allowed = gate?.Allowed.Select(a => new { a.Finding, a.Reason }),
                    warnings = gate?.Warnings.Select(w => $"{w.Code}: {w.Message}") });
            else
            {
                Console.WriteLine($"{target.Display}: {components.Count(c => c.Ecosystem == "Debian")} Debian, {components.Count(c => c.Ecosystem == "NuGet")} NuGet package(s), " +
                    string.Join(", ", components.Where(c => c.Ecosystem == "dotnet").Select(c => $"{c.Name} {c.Version}")));
                if (gate is { Blocking.Count: 0, Below.Count: 0, Allowed.Count: 0 })
                    Console.WriteLine($"No advisory in {result.GetValue(database)} matches this image.");
                else if (gate is not null)
                {
                    Console.WriteLine();
                    var rows = gate.Blocking.Select(f => (f, "FAIL")).Concat(gate.Below.Select(f => (f, "warn"))).Concat(gate.Allowed.Select(a => (a.Finding, "allowed")));
                    Table.Write(["advisory", "severity", "package", "installed", "fixed in", "verdict"], rows.Select(r => (IReadOnlyList<string>)
                        [r.Item1.AdvisoryId, r.Item1.Severity.ToString(), r.Item1.Package, r.Item1.InstalledVersion, r.Item1.FixedVersion ?? "(no fix)", r.Item2]));
                }
            }
            return gate is { Blocking.Count: > 0 } ? ExitCodes.NotInGoodStanding : ExitCodes.Ok;
        }));
        return command;
    }
}
