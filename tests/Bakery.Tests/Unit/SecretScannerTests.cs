using System.Text;
using Bakery.Core;
using Bakery.Core.Verification;
using Bakery.Tests.Infrastructure;

namespace Bakery.Tests.Unit;

/// <summary>The secret scanner against a planted corpus (every secret found) and clean configuration (false positives bounded).</summary>
[TestClass]
public sealed class SecretScannerTests
{
    // Built from parts so this file holds no literal secret for other scanners to trip on.
    private static string K(params string[] parts) => string.Concat(parts);

    public static readonly (string Path, string Content, string Rule)[] Planted =
    [
        ("app/key.pem", K("-----BEGIN ", "RSA PRIVATE KEY-----\nMIIEow\n-----END RSA PRIVATE KEY-----\n"), "private-key"),
        ("app/openssh", K("-----BEGIN ", "OPENSSH PRIVATE KEY-----\nb3Blbn\n"), "private-key"),
        ("app/aws.txt", K("id: AKIA", "Q3EGRL6XZUFBVJ2K\n"), "aws-access-key-id"),
        ("app/creds", K("aws_secret_access_key = ", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYzEXAMPLEKY\n"), "aws-secret-access-key"),
        ("app/ci.sh", K("export GH=ghp_", "1a2B3c4D5e6F7g8H9i0JkLmNoPqRsTuVwXyZ12\n"), "github-token"),
        ("app/gl.txt", K("token glpat-", "xY9_aB3cD4eF5gH6iJ7k\n"), "gitlab-token"),
        ("app/slack.json", K("{\"hook\": \"xoxb-", "1234567890-abcdefghij\"}\n"), "slack-token"),
        ("app/maps.js", K("const key = 'AIza", "SyA1b2C3d4E5f6G7h8I9j0K1l2M3n4O5p6Q';\n"), "google-api-key"),
        ("app/pay.cfg", K("stripe=sk_live_", "51HxYz2AbCdEfGhIjKlMnOpQr\n"), "stripe-live-key"),
        ("app/storage.txt", K("DefaultEndpointsProtocol=https;AccountName=x;AccountKey=", "Zm9vYmFyYmF6cXV4cXV1eGNvcmdlZ3JhdWx0Z2FycGx5d2FsZG9mcmVk;\n"), "azure-storage-key"),
        ("app/session.txt", K("Authorization: Bearer eyJ", "hbGciOiJIUzI1NiJ9.eyJ", "zdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U\n"), "jwt"),
        ("app/NuGet.config", K("<add key=\"ClearTextPassword\" value=\"", "Sup3r-S3cr3t-F33d\" />\n"), "nuget-cleartext-password"),
        ("app/appsettings.Production.json", K("{ \"Db\": { \"Password\": \"", "q8#Lm2!vZ9xR4tK\" } }\n"), "config-secret"),
        ("app/appsettings.json", K("{\"ConnectionStrings\":{\"Main\":\"Server=db;User Id=sa;Password=", "Zx81!pLq0mW7;\"}}\n"), "connection-string-password"),
        ("app/.env", K("API_TOKEN=", "f9A2kL0qZ7xW3mN8\n"), "config-secret"),
        ("app/cert.pfx", "binary-ish", "keystore-file"),
        ("home/app/.ssh/id_rsa", "key", "keystore-file"),
    ];

    private static byte[] Layer(IEnumerable<(string Path, string Content)> files) =>
        RawTar.Gzip(files.Aggregate(new RawTar(), (t, f) => t.File(f.Path, f.Content)).Build());

    [TestMethod]
    public void Every_planted_secret_is_found_and_redacted()
    {
        var findings = new SecretScanner(SecretAllowlist.Empty).ScanLayer(new MemoryStream(Layer(Planted.Select(p => (p.Path, p.Content)))));
        foreach (var (path, content, rule) in Planted)
            Assert.IsTrue(findings.Any(f => f.Path == "/" + path && f.Rule == rule), $"{path}: expected {rule}, found {string.Join(", ", findings.Where(f => f.Path == "/" + path).Select(f => f.Rule))}");
        var everything = string.Join("\n", findings.Select(f => f.ToString()));
        foreach (var secret in new[] { "Q3EGRL6XZUFBVJ2K", "1a2B3c4D5e6F7g8H9i0J", "q8#Lm2!vZ9xR4tK", "Sup3r-S3cr3t-F33d", "f9A2kL0qZ7xW3mN8" })
            Assert.DoesNotContain(secret, everything, "findings are redacted");
    }

    [TestMethod]
    public void Clean_configuration_gives_at_most_one_false_positive_per_hundred_files()
    {
        var placeholders = new[] { "${DB_PASSWORD}", "changeme", "<your-password>", "", "%SECRET%", "secret", "xxxxxxxx", "{{ vault.db }}", "Password123", "$(Token)" };
        var files = Enumerable.Range(0, 100).Select(i => ($"app/cfg{i}/appsettings.json", $$"""
            {
              "Logging": { "LogLevel": { "Default": "Information" } },
              "ConnectionStrings": { "Main": "Server=db{{i}};Database=orders;Integrated Security=true;Password={{placeholders[i % placeholders.Length]}}" },
              "Auth": { "TokenLifetime": "00:{{i % 60:00}}:00", "Password": "{{placeholders[(i + 3) % placeholders.Length]}}", "ClientId": "orders-api-{{i}}" },
              "Features": { "SecretsPath": "/run/secrets/db", "ApiKeyHeader": "X-Api-Key" },
              "Build": "{{Guid.NewGuid()}}"
            }
            """)).ToList();
        var findings = new SecretScanner(SecretAllowlist.Empty).ScanLayer(new MemoryStream(Layer(files)));
        Assert.IsLessThanOrEqualTo(1, findings.Count, string.Join("\n", findings));
    }

    [TestMethod]
    public void Binary_files_and_unrelated_text_are_not_findings()
    {
        var binary = new string('\0', 100) + K("AKIA", "Q3EGRL6XZUFBVJ2K");
        var findings = new SecretScanner(SecretAllowlist.Empty).ScanLayer(new MemoryStream(Layer([("app/lib.so", binary), ("app/readme.md", "Rotate your token and password every 90 days.")])));
        Assert.IsEmpty(findings);
    }

    [TestMethod]
    public void Allowlisted_findings_carry_their_reason_and_an_entry_without_one_is_refused()
    {
        var dir = Directory.CreateTempSubdirectory("bakery-allow-").FullName;
        try
        {
            var file = Path.Combine(dir, "allow.txt");
            File.WriteAllText(file, "# test fixtures\n/app/fixtures/** jwt sample token from the OAuth spec, not a credential\n");
            var allowlist = SecretAllowlist.Load(file);
            var jwt = Planted.Single(p => p.Rule == "jwt").Content;
            var findings = new SecretScanner(allowlist).ScanLayer(new MemoryStream(Layer([("app/fixtures/a/token.txt", jwt), ("app/real.txt", jwt)])));
            Assert.AreEqual("sample token from the OAuth spec, not a credential", findings.Single(f => f.Path == "/app/fixtures/a/token.txt").AllowedBecause);
            Assert.IsNull(findings.Single(f => f.Path == "/app/real.txt").AllowedBecause);

            File.WriteAllText(file, "/app/** jwt\n");
            Assert.AreEqual("BAKE502", Assert.ThrowsExactly<BakeryException>(() => SecretAllowlist.Load(file)).Code);
        }
        finally { Directory.Delete(dir, recursive: true); }
    }

    [TestMethod]
    [DataRow("changeme", false)]
    [DataRow("${DB_PASSWORD}", false)]
    [DataRow("aaaaaaaaaa", false)]
    [DataRow("q8#Lm2!vZ9xR4tK", true)]
    public void Entropy_filter_separates_placeholders_from_secrets(string value, bool secret) =>
        Assert.AreEqual(secret, SecretScanner.LooksSecret(value));

    [TestMethod]
    public void Redaction_shows_a_prefix_and_the_length_only() =>
        Assert.AreEqual("ghp_…(40 chars)", SecretScanner.Redact("ghp_" + new string('a', 36)));
}
