using System.CommandLine;
using Bakery.Core.Security;
using Bakery.Core.Verification;
using Bakery.Oci.Model;
using Bakery.Oci.Registry;

namespace Bakery.Tool.Commands;

/// <summary>bakery scan IMAGE: the SBOM and, with a database, the vulnerability assessment a bake runs, for any image in a registry.</summary>
internal static class ScanCommand
{
    public static Command Create()
    {
        var image = new Argument<string>("image") { Description = "registry/repository@sha256:…, registry/repository:tag, or PackageId/Version." };
        var database = new Option<string?>("--database") { Description = "Folder or zip of OSV JSON advisories (Debian:12, NuGet)." };
        var failOn = new Option<string>("--fail-on") { Description = "Severity that fails the scan: Low, Medium, High, Critical.", DefaultValueFactory = _ => "High" };
        var allowlist = new Option<string?>("--allowlist") { Description = "Accepted advisories: ADVISORY-ID package-or-* YYYY-MM-DD reason." };
        var sbomOut = new Option<string?>("--sbom") { Description = "Write the CycloneDX SBOM to this file." };
        var json = ToolContext.JsonOption();
        var command = new Command("scan", "Inventory an image (CycloneDX SBOM) and match it against an offline advisory database.") { image, database, failOn, allowlist, sbomOut, json };
        command.SetAction((result, ct) => ToolContext.RunAsync(async () =>
        {
            var (reference, _) = await ToolContext.ResolveAsync(result.GetValue(image)!, ct);
            var threshold = VulnerabilityGate.ParseThreshold(result.GetValue(failOn));
            var accepted = VulnerabilityAllowlist.Load(result.GetValue(allowlist));
            var cache = Path.Combine(Path.GetTempPath(), "bakery-verify-cache");
            Directory.CreateDirectory(Path.Combine(cache, "blobs"));
            using var client = new RegistryClient(reference.Registry, ToolContext.RegistryOptions());
            var manifest = (await client.GetManifestAsync(reference.Repository, reference.Digest!.ToString()!, ct)).Parse();
            var layers = new List<(string Digest, string Path)>();
            foreach (var layer in manifest.Layers ?? [])
            {
                var path = Path.Combine(cache, "blobs", layer.ParsedDigest.Hex);
                if (!File.Exists(path)) await client.DownloadBlobAsync(reference.Repository, layer.ParsedDigest, path, ct);
                layers.Add((layer.Digest, path));
            }
            var components = Sbom.Inventory(ImageFilesystem.Load(layers, Path.Combine(cache, "fs-index")), layers.Select(l => l.Digest).ToList());
            if (result.GetValue(sbomOut) is { } sbomPath)
                await File.WriteAllTextAsync(sbomPath, Sbom.ToCycloneDx(components, $"{reference.Registry}/{reference.Repository}", reference.Digest.ToString()!, DateTimeOffset.UnixEpoch), ct);

            GateResult? gate = null;
            if (result.GetValue(database) is { } databasePath)
                gate = VulnerabilityGate.Evaluate(AdvisoryDatabase.Load(databasePath).Match(components), threshold, accepted, DateTimeOffset.UtcNow);

            if (result.GetValue(json))
                ToolContext.WriteJson(new { image = reference.ToString(), components, blocking = gate?.Blocking, below = gate?.Below, allowed = gate?.Allowed.Select(a => new { a.Finding, a.Reason }) });
            else
            {
                Console.WriteLine($"{reference}: {components.Count(c => c.Ecosystem == "Debian")} Debian, {components.Count(c => c.Ecosystem == "NuGet")} NuGet package(s), " +
                    string.Join(", ", components.Where(c => c.Ecosystem == "dotnet").Select(c => $"{c.Name} {c.Version}")));
                if (gate is not null)
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
