using Bakery.Oci.Layers;
using Bakery.Oci.Model;

namespace Bakery.Core.Baking;

/// <summary>
/// The gates a bake passes before anything is tagged, besides the structure tests: no secrets in the
/// added layers or configuration (BAKE302), no root user without a reason (BAKE304), and the SBOM with the
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
            log.Warning(Messages.BAKE309(databasePath, (int)(request.Now - newest).TotalDays, newest.ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture)).Warning());
        var findings = database.Match(components).ToList();
        var gate = Security.VulnerabilityGate.Evaluate(findings, request.FailOnSeverity, request.VulnerabilityAllowlist, request.Now);
        foreach (var warning in gate.Warnings) log.Warning(warning);
        foreach (var (finding, reason) in gate.Allowed) log.Info($"Allowed {finding.AdvisoryId} in {finding.Package}: {reason}");
        if (gate.Blocking.Count == 0)
            log.Info($"Vulnerability gate: {database.Count} advisories, {findings.Count} finding(s), none at or above {request.FailOnSeverity}");
        return new SecurityAssessment(components.Count, findings.Except(gate.Blocking).ToList(), gate.Blocking);
    }

    /// <summary>
    /// Scans the layers this bake added and the configuration entries it added (inherited layers and entries were
    /// scanned by their own bakes). Returns every finding, allowed or not; <see cref="ThrowOnSecrets"/> decides.
    /// </summary>
    public List<Secrets.SecretFinding> ScanSecrets(BakeRequest request, List<(string Name, LayerBlob Blob)> added, byte[] config, byte[] baseConfig, string image)
    {
        var scanner = new Secrets.SecretScanner(request.SecretAllowlist);
        var findings = scanner.ScanImageConfig(config, baseConfig);
        var clean = Path.Combine(request.WorkDirectory, "secret-scan", "rules-" + Secrets.SecretScanner.RulesVersion);
        foreach (var (_, blob) in added)
        {
            // A layer already scanned by these rules without any finding (it is content-addressed) need not be read again.
            var marker = Path.Combine(clean, blob.Digest.Hex);
            if (File.Exists(marker)) continue;
            var unscanned = scanner.Unscanned.Count;
            try
            {
                using var stream = File.OpenRead(blob.Path);
                var found = scanner.ScanLayer(stream);
                findings.AddRange(found);
                if (found.Count > 0 || scanner.Unscanned.Count > unscanned) continue;
            }
            catch (UnsafeLayerException e)
            {
                throw Verification.LayerErrors.Refused(image, blob.Digest.ToString(), e);
            }
            Directory.CreateDirectory(clean);
            File.WriteAllText(marker, "");
        }
        foreach (var skipped in scanner.Unscanned) log.Warning(Messages.BAKE330(skipped.File, skipped.Reason).Warning());
        foreach (var allowed in findings.Where(f => f.AllowedBecause is not null))
            log.Info($"Allowed secret finding {allowed.Location} ({allowed.Rule}): {allowed.AllowedBecause}");
        log.Detail($"Secret scan: {scanner.BytesScanned:N0} text bytes in {added.Count} layer(s) and the image configuration; " +
            $"{findings.Count} finding(s), {scanner.ValuesIgnored} placeholder or example value(s) ignored");
        return findings;
    }

    /// <summary>BAKE302 when any finding is not allowed: the message names the first ten, the report lists them all.</summary>
    public static void ThrowOnSecrets(IReadOnlyList<Secrets.SecretFinding> findings, string image)
    {
        var blocking = findings.Where(f => f.AllowedBecause is null).ToList();
        if (blocking.Count == 0) return;
        throw Messages.BAKE302(image, blocking.Count, string.Join("; ", blocking.Take(10)) + (blocking.Count > 10 ? $"; {blocking.Count - 10} more in the report" : "")).Exception();
    }

    public void CheckUser(ImageConfig config, BakeRequest request, string image)
    {
        var user = config.User ?? "";
        var name = user.Split(':')[0];
        if (name is not ("" or "root" or "0")) return;
        if (string.IsNullOrWhiteSpace(request.AllowRootReason)) throw Messages.BAKE304(image, user).Exception();
        log.Warning(Messages.BAKE304_Allowed(image, request.AllowRootReason).Warning());
    }
}
