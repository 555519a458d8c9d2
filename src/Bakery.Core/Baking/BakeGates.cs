using Bakery.Oci.Layers;
using Bakery.Oci.Model;

namespace Bakery.Core.Baking;

/// <summary>
/// The gates a bake passes before anything is tagged, besides the structure tests: no secrets in the
/// added layers (BAKE302), no root user without a reason (BAKE304), and the SBOM with the
/// vulnerability gate (BAKE306 is thrown by the caller, which reports what was found).
/// </summary>
internal sealed class BakeGates(IBakeLog log)
{
    /// <summary>The SBOM of the whole image, and the vulnerability gate when an advisory database is configured.</summary>
    public sealed record SecurityAssessment(int Components, IReadOnlyList<Security.VulnerabilityFinding> Findings, IReadOnlyList<Security.VulnerabilityFinding> Blocking);

    public SecurityAssessment AssessSecurity(BakeRequest request, Verification.ImageFilesystem fs,
        List<(string Digest, string Path)> layers, string image)
    {
        var components = Security.Sbom.Inventory(fs, layers.Select(l => l.Digest).ToList());
        if (request.SbomPath is { } sbomPath)
        {
            Directory.CreateDirectory(Path.GetDirectoryName(sbomPath)!);
            File.WriteAllText(sbomPath, Security.Sbom.ToCycloneDx(components, image[..image.IndexOf('@')], image[(image.IndexOf('@') + 1)..], request.Created));
        }
        log.Info($"SBOM: {components.Count(c => c.Ecosystem == "Debian")} Debian, {components.Count(c => c.Ecosystem == "NuGet")} NuGet package(s), " +
            $"{string.Join(", ", components.Where(c => c.Ecosystem == "dotnet").Select(c => $"{c.Name} {c.Version}"))}");
        if (request.AdvisoryDatabase is not { } databasePath) return new SecurityAssessment(components.Count, [], []);

        var database = Security.AdvisoryDatabase.Load(databasePath);
        if (database.NewestModified is { } newest && request.Now - newest > TimeSpan.FromDays(request.AdvisoryMaxAgeDays))
            log.Warning(BakeryDiagnostic.Warning("BAKE309", databasePath, (int)(request.Now - newest).TotalDays, newest.ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture)));
        var findings = database.Match(components).ToList();
        var gate = Security.VulnerabilityGate.Evaluate(findings, request.FailOnSeverity, request.VulnerabilityAllowlist, request.Now);
        foreach (var warning in gate.Warnings) log.Warning(warning);
        foreach (var (finding, reason) in gate.Allowed) log.Info($"Allowed {finding.AdvisoryId} in {finding.Package}: {reason}");
        if (gate.Blocking.Count == 0)
            log.Info($"Vulnerability gate: {database.Count} advisories, {findings.Count} finding(s), none at or above {request.FailOnSeverity}");
        return new SecurityAssessment(components.Count, findings.Except(gate.Blocking).ToList(), gate.Blocking);
    }

    /// <summary>The layers this bake added are scanned; inherited layers were scanned by their own bakes.</summary>
    public List<Verification.SecretFinding> ScanSecrets(BakeRequest request, List<(string Name, LayerBlob Blob)> added, string image)
    {
        var scanner = new Verification.SecretScanner(request.SecretAllowlist);
        var findings = new List<Verification.SecretFinding>();
        var clean = Path.Combine(request.WorkDirectory, "secret-scan");
        foreach (var (_, blob) in added)
        {
            // A layer already scanned without any finding (it is content-addressed) need not be read again.
            var marker = Path.Combine(clean, blob.Digest.Hex);
            if (File.Exists(marker)) continue;
            try
            {
                using var stream = File.OpenRead(blob.Path);
                var found = scanner.ScanLayer(stream);
                findings.AddRange(found);
                if (found.Count > 0) continue;
            }
            catch (UnsafeLayerException e)
            {
                throw Verification.LayerErrors.Refused(image, blob.Digest.ToString(), e);
            }
            Directory.CreateDirectory(clean);
            File.WriteAllText(marker, "");
        }
        var blocking = findings.Where(f => f.AllowedBecause is null).ToList();
        if (blocking.Count > 0)
            throw BakeryException.Create("BAKE302", image, blocking.Count,
                string.Join("; ", blocking.Take(10).Select(f => $"{f.Path}{(f.Line > 0 ? $":{f.Line}" : "")} ({f.Rule}: {f.Redacted})")) + (blocking.Count > 10 ? $"; and {blocking.Count - 10} more" : ""));
        foreach (var allowed in findings) log.Info($"Allowed secret finding {allowed.Path}:{allowed.Line} ({allowed.Rule}): {allowed.AllowedBecause}");
        log.Detail($"Secret scan: {scanner.BytesScanned:N0} bytes in {added.Count} layer(s), no findings");
        return findings;
    }

    public void CheckUser(ImageConfig config, BakeRequest request, string image)
    {
        var user = config.User ?? "";
        var name = user.Split(':')[0];
        if (name is not ("" or "root" or "0")) return;
        if (string.IsNullOrWhiteSpace(request.AllowRootReason)) throw BakeryException.Create("BAKE304", image, user);
        log.Warning(new BakeryDiagnostic("BAKE304", false, $"{image} runs as root, allowed because: {request.AllowRootReason}"));
    }
}
