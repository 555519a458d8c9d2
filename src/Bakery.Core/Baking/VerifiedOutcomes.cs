using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using Bakery.Oci.Model;

namespace Bakery.Core.Baking;

/// <summary>What verification, the secret scan, the SBOM and the vulnerability gate concluded about one image.</summary>
public sealed record VerifiedOutcome(IReadOnlyList<Verification.CheckResult> Checks, IReadOnlyList<Secrets.SecretFinding> AllowedSecrets,
    int SbomComponents, IReadOnlyList<Security.VulnerabilityFinding> Vulnerabilities)
{
    [JsonIgnore] public bool FromCache { get; init; }
}

/// <summary>
/// Outcomes of passed verifications, keyed by the image digest and every input that could change
/// the verdict (policy files, allowlists, advisory database, thresholds, the day). An image is
/// content-addressed, so the same key always gives the same verdict.
/// </summary>
internal sealed class VerifiedOutcomes(string directory)
{
    // Source-generated contracts: a rebake reads an outcome in every build, and the reflection serializer's first use
    // costs tens of milliseconds. SourceGeneratedJsonTests checks that the generated reader keeps every default.
    private static readonly JsonSerializerOptions Json = new() { Converters = { new JsonStringEnumConverter() }, TypeInfoResolver = OutcomeJson.Default };

    public static string Key(Digest digest, BakeRequest request)
    {
        var text = new StringBuilder().Append(digest).Append('\n')
            .Append(request.Verification.Fingerprint()).Append('\n')
            .Append(Hash(request.SecretAllowlist.Fingerprint)).Append('|').Append(Secrets.SecretScanner.RulesVersion).Append('\n')
            .Append(Hash(request.VulnerabilityAllowlist.Fingerprint)).Append('\n')
            .Append(request.FailOnSeverity).Append('|').Append(request.AdvisoryMaxAgeDays).Append('|').Append(request.AllowRootReason).Append('\n')
            .Append(string.Join(',', request.RequiredLabels.Select(l => $"{l.Name}@{l.SetBy}"))).Append('\n')
            .Append(request.Now.UtcDateTime.ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture)).Append('\n')
            .Append(DatabaseFingerprint(request.AdvisoryDatabase));
        return Hash(text.ToString());
    }

    public VerifiedOutcome? TryGet(string key, string? sbomPath)
    {
        var path = Path.Combine(directory, key + ".json");
        var sbom = Path.Combine(directory, key + ".cdx.json");
        if (!File.Exists(path) || !File.Exists(sbom)) return null;
        VerifiedOutcome? outcome;
        try
        {
            outcome = JsonSerializer.Deserialize<VerifiedOutcome>(File.ReadAllText(path), Json);
        }
        catch (JsonException)
        {
            return null; // a damaged cache entry is a miss: the image is verified again and the entry rewritten
        }
        if (outcome is null) return null;
        if (sbomPath is not null)
        {
            Directory.CreateDirectory(Path.GetDirectoryName(sbomPath)!);
            File.Copy(sbom, sbomPath, overwrite: true);
        }
        return outcome with { FromCache = true };
    }

    public void Save(string key, VerifiedOutcome outcome, string? sbomPath)
    {
        if (sbomPath is null || !File.Exists(sbomPath)) return;
        Directory.CreateDirectory(directory);
        File.Copy(sbomPath, Path.Combine(directory, key + ".cdx.json"), overwrite: true);
        Oci.AtomicFile.WriteAllText(Path.Combine(directory, key + ".json"), JsonSerializer.Serialize(outcome, Json));
    }

    private static string DatabaseFingerprint(string? path)
    {
        if (path is null) return "none";
        IEnumerable<FileInfo> files = Directory.Exists(path)
            ? new DirectoryInfo(path).EnumerateFiles("*", SearchOption.AllDirectories).OrderBy(f => f.FullName, StringComparer.Ordinal)
            : [new FileInfo(path)];
        return Hash(string.Join("\n", files.Select(f => $"{f.FullName}|{f.Length}|{f.LastWriteTimeUtc.Ticks}")));
    }

    private static string Hash(string text) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text)));
}

[JsonSerializable(typeof(VerifiedOutcome))]
internal sealed partial class OutcomeJson : JsonSerializerContext;
