using System.Buffers;
using System.Text;
using System.Text.RegularExpressions;
using Bakery.Oci.Layers;

namespace Bakery.Core.Verification;

/// <summary>A secret found in a layer; <see cref="Redacted"/> is all that is ever shown of it.</summary>
public sealed record SecretFinding(string Path, int Line, string Rule, string Redacted, string? AllowedBecause = null);

/// <summary>
/// Scans the layers a bake added for secrets: private keys, cloud and CI tokens, JWTs, passwords in
/// configuration and NuGet.config, keystores. Streaming (one layer entry at a time, line by line),
/// with a cheap keyword pre-filter before any regular expression, and entropy filtering for the
/// generic password rules so placeholders do not count.
/// </summary>
public sealed partial class SecretScanner(SecretAllowlist allowlist)
{
    private const int MaxScannedFileSize = 16 << 20;

    private sealed record Rule(string Name, Regex Pattern, bool NeedsEntropy = false, Func<string, bool>? AppliesTo = null);

    private static bool IsConfig(string path)
    {
        var name = System.IO.Path.GetFileName(path).ToLowerInvariant();
        return name.StartsWith("appsettings", StringComparison.Ordinal) && name.EndsWith(".json", StringComparison.Ordinal)
            || name is ".env" or "web.config" or "app.config" || name.EndsWith(".env", StringComparison.Ordinal)
            || name.EndsWith(".properties", StringComparison.Ordinal) || name.EndsWith(".yaml", StringComparison.Ordinal) || name.EndsWith(".yml", StringComparison.Ordinal);
    }

    private static readonly Rule[] Rules =
    [
        new("private-key", PrivateKey()),
        new("aws-access-key-id", AwsKeyId()),
        new("aws-secret-access-key", AwsSecret()),
        new("github-token", GitHubToken()),
        new("gitlab-token", GitLabToken()),
        new("slack-token", SlackToken()),
        new("google-api-key", GoogleKey()),
        new("stripe-live-key", StripeKey()),
        new("azure-storage-key", AzureStorageKey()),
        new("jwt", Jwt()),
        new("nuget-cleartext-password", NuGetPassword(), AppliesTo: p => System.IO.Path.GetFileName(p).Equals("nuget.config", StringComparison.OrdinalIgnoreCase)),
        new("connection-string-password", ConnectionStringPassword(), NeedsEntropy: true, AppliesTo: IsConfig),
        new("config-secret", ConfigSecret(), NeedsEntropy: true, AppliesTo: IsConfig),
    ];

    private static readonly SearchValues<string> Keywords = SearchValues.Create(
        ["PRIVATE KEY", "AKIA", "ASIA", "aws_secret", "ghp_", "gho_", "ghu_", "ghs_", "ghr_", "github_pat_", "glpat-", "xox", "AIza", "sk_live_",
         "AccountKey", "eyJ", "ClearTextPassword", "password", "pwd", "secret", "token", "apikey", "api_key"], StringComparison.OrdinalIgnoreCase);

    private static readonly string[] KeystoreExtensions = [".pfx", ".p12", ".jks", ".keystore"];
    private static readonly string[] KeyFileNames = ["id_rsa", "id_dsa", "id_ecdsa", "id_ed25519"];

    public long BytesScanned { get; private set; }

    public List<SecretFinding> ScanLayer(Stream layer)
    {
        var findings = new List<SecretFinding>();
        SafeLayerReader.Read(layer, new LayerReadLimits { AllowDevices = true }, (entry, content) =>
        {
            if (content is null) return;
            var name = System.IO.Path.GetFileName(entry.Path);
            if (KeystoreExtensions.Any(e => name.EndsWith(e, StringComparison.OrdinalIgnoreCase)) || KeyFileNames.Contains(name))
                Add(findings, new SecretFinding("/" + entry.Path, 0, "keystore-file", $"({entry.Size} bytes)"));
            if (entry.Size > MaxScannedFileSize) return;
            ScanText(entry.Path, content, findings);
        });
        return findings;
    }

    private void ScanText(string path, Stream content, List<SecretFinding> findings)
    {
        var buffer = new byte[(int)Math.Min(content.Length, MaxScannedFileSize)];
        var read = content.ReadAtLeast(buffer, buffer.Length, throwOnEndOfStream: false);
        BytesScanned += read;
        if (buffer.AsSpan(0, Math.Min(read, 8000)).Contains((byte)0)) return; // binary
        var text = Encoding.UTF8.GetString(buffer, 0, read);
        if (text.AsSpan().IndexOfAny(Keywords) < 0) return;
        var lineNumber = 0;
        foreach (var range in text.AsSpan().Split('\n'))
        {
            lineNumber++;
            var line = text.AsSpan(range);
            if (line.IndexOfAny(Keywords) < 0) continue;
            var lineText = line.ToString();
            foreach (var rule in Rules)
            {
                if (rule.AppliesTo is { } applies && !applies(path)) continue;
                var match = rule.Pattern.Match(lineText);
                if (!match.Success) continue;
                var secret = match.Groups["secret"].Success ? match.Groups["secret"].Value : match.Value;
                if (rule.NeedsEntropy && !LooksSecret(secret)) continue;
                Add(findings, new SecretFinding("/" + path, lineNumber, rule.Name, Redact(secret)));
                break;
            }
        }
    }

    private void Add(List<SecretFinding> findings, SecretFinding finding) =>
        findings.Add(allowlist.Reason(finding.Path, finding.Rule) is { } reason ? finding with { AllowedBecause = reason } : finding);

    /// <summary>Never shows a secret: its first characters, then only its length.</summary>
    public static string Redact(string secret) =>
        secret.Length <= 8 ? new string('*', secret.Length) : $"{secret[..4]}…({secret.Length} chars)";

    /// <summary>Generic password rules need a value that looks random: long enough, not a placeholder, Shannon entropy ≥ 3 bits.</summary>
    public static bool LooksSecret(string value)
    {
        var v = value.Trim().Trim('"', '\'');
        if (v.Length < 8 || v.StartsWith("${", StringComparison.Ordinal) || v.StartsWith("$(", StringComparison.Ordinal) || v.StartsWith('<') || v.StartsWith('{')
            || v.StartsWith("%", StringComparison.Ordinal) || Placeholder().IsMatch(v)) return false;
        return Entropy(v) >= 3.0;
    }

    public static double Entropy(string value) =>
        -value.GroupBy(c => c).Select(g => (double)g.Count() / value.Length).Sum(p => p * Math.Log2(p));

    [GeneratedRegex(@"-----BEGIN (?:RSA |EC |DSA |OPENSSH |ENCRYPTED |PGP )?PRIVATE KEY(?: BLOCK)?-----")] private static partial Regex PrivateKey();
    [GeneratedRegex(@"\b(?<secret>(?:AKIA|ASIA)[0-9A-Z]{16})\b")] private static partial Regex AwsKeyId();
    [GeneratedRegex(@"(?i)aws_secret_access_key\s*[:=]\s*[""']?(?<secret>[A-Za-z0-9/+=]{40})")] private static partial Regex AwsSecret();
    [GeneratedRegex(@"\b(?<secret>(?:gh[pousr]_[A-Za-z0-9]{36,}|github_pat_[A-Za-z0-9_]{50,}))")] private static partial Regex GitHubToken();
    [GeneratedRegex(@"\b(?<secret>glpat-[A-Za-z0-9_\-]{20,})")] private static partial Regex GitLabToken();
    [GeneratedRegex(@"\b(?<secret>xox[baprs]-[A-Za-z0-9-]{10,})")] private static partial Regex SlackToken();
    [GeneratedRegex(@"\b(?<secret>AIza[0-9A-Za-z_\-]{35})")] private static partial Regex GoogleKey();
    [GeneratedRegex(@"\b(?<secret>sk_live_[0-9a-zA-Z]{24,})")] private static partial Regex StripeKey();
    [GeneratedRegex(@"AccountKey=(?<secret>[A-Za-z0-9+/=]{40,})")] private static partial Regex AzureStorageKey();
    [GeneratedRegex(@"\b(?<secret>eyJ[A-Za-z0-9_-]{10,}\.eyJ[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{10,})")] private static partial Regex Jwt();
    [GeneratedRegex(@"(?i)key\s*=\s*""ClearTextPassword""\s+value\s*=\s*""(?<secret>[^""]+)""")] private static partial Regex NuGetPassword();
    [GeneratedRegex(@"(?i)\b(?:password|pwd)\s*=\s*(?<secret>[^;""'\s]+)")] private static partial Regex ConnectionStringPassword();
    [GeneratedRegex(@"(?i)[""']?(?:[a-z_]*password|[a-z_]*secret|api_?key|[a-z_]*token)[""']?\s*[:=]\s*[""']?(?<secret>[^""'\s,}]+)")] private static partial Regex ConfigSecret();
    [GeneratedRegex(@"(?i)^(?:changeme|change_me|password\d*|secret|example|placeholder|redacted|dummy|test|x+|\*+|your[_-].*|replace[_-]?me.*)$")] private static partial Regex Placeholder();
}

/// <summary>
/// Known, accepted findings: lines "path-glob rule-or-* reason" (a reason is required, '#' starts a comment).
/// </summary>
public sealed class SecretAllowlist
{
    private readonly List<(Regex Path, string Rule, string Reason)> _entries = [];

    public static readonly SecretAllowlist Empty = new();

    /// <summary>The allowlist's text, so cached verdicts depend on it.</summary>
    public string Fingerprint { get; private set; } = "";

    public static SecretAllowlist Load(string? path)
    {
        var list = new SecretAllowlist();
        if (string.IsNullOrWhiteSpace(path)) return list;
        if (!File.Exists(path)) throw BakeryException.Create("BAKE502", "BakerySecretAllowlist", path, "the file does not exist");
        list.Fingerprint = File.ReadAllText(path);
        var number = 0;
        foreach (var raw in File.ReadLines(path))
        {
            number++;
            var line = raw.Trim();
            if (line.Length == 0 || line.StartsWith('#')) continue;
            var parts = line.Split((char[]?)null, 3, StringSplitOptions.RemoveEmptyEntries);
            if (parts.Length < 3)
                throw BakeryException.Create("BAKE502", "BakerySecretAllowlist", $"{path}:{number}", "each line is 'path-glob rule reason': say why the finding is acceptable");
            var pattern = "^" + Regex.Escape(parts[0]).Replace(@"\*\*", ".*").Replace(@"\*", "[^/]*").Replace(@"\?", ".") + "$";
            list._entries.Add((new Regex(pattern), parts[1], parts[2]));
        }
        return list;
    }

    public string? Reason(string path, string rule) =>
        _entries.FirstOrDefault(e => e.Path.IsMatch(path) && (e.Rule == "*" || e.Rule == rule)).Reason;
}
