using System.CommandLine;
using Bakery.Core.Baking;
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
        var platform = PlatformImages.Option();
        var json = ToolContext.JsonOption();
        var command = new Command("scan", "Inventory an image (CycloneDX SBOM, one per platform of an index) and match it against an offline advisory database.")
            { image, database, failOn, allowlist, sbomOut, platform, reports, json };
        command.SetAction((result, ct) => ToolContext.RunAsync(async () =>
        {
            var threshold = VulnerabilityGate.ParseThreshold(result.GetValue(failOn));
            var accepted = VulnerabilityAllowlist.Load(result.GetValue(allowlist));
            var quiet = result.GetValue(json);
            var advisories = result.GetValue(database) is { } databasePath ? AdvisoryDatabase.Load(databasePath) : null;
            var inputs = await ImageInput.LoadPlatformsAsync(result.GetValue(image)!, PlatformImages.Parse(result.GetValue(platform)), ct);
            try
            {
                var scanned = new List<(ImageInput Input, IReadOnlyList<SbomComponent> Components, GateResult? Gate)>();
                foreach (var input in inputs)
                {
                    var target = input.Image;
                    var components = Sbom.Inventory(input.LoadFilesystem(quiet), target.Layers.Select(l => l.Digest).ToList());
                    if (result.GetValue(sbomOut) is { } sbomPath)
                        await File.WriteAllTextAsync(inputs.Count > 1 ? PlatformFile(sbomPath, input.Platform!) : sbomPath,
                            Sbom.ToCycloneDx(components, target.Name, target.ManifestDigest?.ToString() ?? target.ConfigDigest.ToString(), DateTimeOffset.UnixEpoch), ct);
                    GateResult? gate = null;
                    if (advisories is not null)
                    {
                        gate = VulnerabilityGate.Evaluate(advisories.Match(components), threshold, accepted, DateTimeOffset.UtcNow);
                        if (!quiet) foreach (var warning in gate.Warnings) Console.Error.WriteLine($"warning {warning.Code}: {warning.Message}");
                    }
                    if (result.GetValue(reports) is { } directory)
                        BakeReportWriter.Write(input.Report([], gate, components.Count), directory, inputs.Count > 1 ? $"bakery-scan.{PlatformList.FileSafe(input.Platform!)}" : "bakery-scan");
                    scanned.Add((input, components, gate));
                }

                if (quiet)
                {
                    object Json((ImageInput Input, IReadOnlyList<SbomComponent> Components, GateResult? Gate) s) => new
                    {
                        image = s.Input.Image.Display, platform = s.Input.Platform?.ToString(), components = s.Components, blocking = s.Gate?.Blocking, below = s.Gate?.Below,
                        allowed = s.Gate?.Allowed.Select(a => new { a.Finding, a.Reason }), warnings = s.Gate?.Warnings.Select(w => $"{w.Code}: {w.Message}"),
                    };
                    ToolContext.WriteJson(inputs.Count == 1 ? Json(scanned[0]) : new { image = result.GetValue(image), platforms = scanned.Select(Json) });
                }
                else
                    foreach (var (input, components, gate) in scanned) Print(input, components, gate, result.GetValue(database));
                return scanned.Any(s => s.Gate is { Blocking.Count: > 0 }) ? ExitCodes.NotInGoodStanding : ExitCodes.Ok;
            }
            finally
            {
                foreach (var input in inputs) input.Dispose();
            }
        }));
        return command;
    }

    /// <summary>out.cdx.json → out.linux-arm64.cdx.json, as a bake names its per-platform SBOMs.</summary>
    private static string PlatformFile(string path, Oci.Model.Platform platform)
    {
        var name = Path.GetFileName(path);
        var dot = name.IndexOf('.', StringComparison.Ordinal);
        var platformName = dot < 0 ? $"{name}.{PlatformList.FileSafe(platform)}" : $"{name[..dot]}.{PlatformList.FileSafe(platform)}{name[dot..]}";
        return Path.Combine(Path.GetDirectoryName(Path.GetFullPath(path))!, platformName);
    }

    private static void Print(ImageInput input, IReadOnlyList<SbomComponent> components, GateResult? gate, string? database)
    {
        var platform = input.Platform is { } p ? $" ({p})" : "";
        Console.WriteLine($"{input.Image.Display}{platform}: {components.Count(c => c.Ecosystem == "Debian")} Debian, {components.Count(c => c.Ecosystem == "NuGet")} NuGet package(s), " +
            string.Join(", ", components.Where(c => c.Ecosystem == "dotnet").Select(c => $"{c.Name} {c.Version}")));
        if (gate is { Blocking.Count: 0, Below.Count: 0, Allowed.Count: 0 })
            Console.WriteLine($"No advisory in {database} matches this image.");
        else if (gate is not null)
        {
            Console.WriteLine();
            var rows = gate.Blocking.Select(f => (f, "FAIL")).Concat(gate.Below.Select(f => (f, "warn"))).Concat(gate.Allowed.Select(a => (a.Finding, "allowed")));
            Table.Write(["advisory", "severity", "package", "installed", "fixed in", "verdict"], rows.Select(r => (IReadOnlyList<string>)
                [r.Item1.AdvisoryId, r.Item1.Severity.ToString(), r.Item1.Package, r.Item1.InstalledVersion, r.Item1.FixedVersion ?? "(no fix)", r.Item2]));
        }
    }
}
