using System.Text;
using Bakery.Core;
using Bakery.Core.Secrets;
using Bakery.Tests.Unit.Secrets;

namespace Bakery.Tests.Unit;

/// <summary>The secret scanner's rules one at a time: what each finds, what it leaves alone, and how findings are named and redacted.</summary>
[TestClass]
public sealed class SecretScannerTests
{
    // Built from parts so this file holds no literal secret for other scanners to trip on.
    private static string K(params string[] parts) => string.Concat(parts);

    private static readonly CorpusRandom R = new(31);

    private static List<SecretFinding> Scan(params (string Path, string Text)[] files) =>
        new SecretScanner(SecretAllowlist.Empty).ScanLayer(new MemoryStream(SecretCorpus.Layer(files.Select(f => (f.Path, Encoding.UTF8.GetBytes(f.Text))))));

    private static List<SecretFinding> ScanBytes(params (string Path, byte[] Content)[] files) =>
        new SecretScanner(SecretAllowlist.Empty).ScanLayer(new MemoryStream(SecretCorpus.Layer(files)));

    [TestMethod]
    public void Every_secret_on_a_minified_line_is_its_own_finding_with_its_own_hash()
    {
        var secrets = Enumerable.Range(0, 6).Select(_ => R.Password()).ToList();
        var line = "{" + string.Join(",", secrets.Select((s, i) => $"\"svc{i}\":{{\"password\":\"{s}\"}}")) + "}";
        var findings = Scan(("app/settings.min.json", line));
        Assert.HasCount(6, findings, string.Join("\n", findings));
        Assert.IsTrue(findings.All(f => f.Line == 1));
        CollectionAssert.AreEquivalent(secrets.Select(s => SecretRedaction.Hash(s)).ToList(), findings.Select(f => f.Hash).ToList());
    }

    [TestMethod]
    public void Redaction_is_length_and_a_short_hash_never_characters()
    {
        var secret = K("ghp_", R.Alnum(36));
        var finding = Scan(("app/ci.sh", $"GH={secret}\n")).Single();
        Assert.AreEqual(40, finding.Length);
        Assert.AreEqual(SecretRedaction.Hash(secret), finding.Hash);
        Assert.AreEqual($"40 chars, sha256 {finding.Hash}", finding.Redacted);
        Assert.AreEqual($"/app/ci.sh:1 (github-token: {finding.Redacted})", finding.ToString());
        Assert.AreNotEqual(SecretRedaction.Hash(secret), SecretRedaction.Hash(secret[..^1] + "x"), "two secrets can be told apart");
    }

    [TestMethod]
    [DataRow("${DB_PASSWORD}")]
    [DataRow("$(DbPassword)")]
    [DataRow("%DB_PASSWORD%")]
    [DataRow("#{DbPassword}#")]
    [DataRow("#{DbPassword}")]
    [DataRow("__DbPassword__")]
    [DataRow("{{ db_password }}")]
    [DataRow("{{db.password}}")]
    [DataRow("<your-password>")]
    [DataRow("<PASSWORD>")]
    [DataRow("@Microsoft.KeyVault(SecretUri=https://kv.vault.azure.net/secrets/db/)")]
    [DataRow("REPLACE_ME")]
    [DataRow("REPLACE_WITH_DB_PASSWORD")]
    [DataRow("changeme")]
    [DataRow("********")]
    [DataRow("xxxxxxxx")]
    [DataRow("${{ secrets.DB_PASSWORD }}")]
    [DataRow("$DB_PASSWORD")]
    [DataRow("")]
    public void A_placeholder_is_no_secret_under_any_rule(string placeholder)
    {
        var auth = Convert.ToBase64String(Encoding.UTF8.GetBytes("deploy:" + placeholder));
        var findings = Scan(
            ("app/appsettings.json", $$"""{ "Db": { "Password": "{{placeholder}}" }, "Api": { "ClientSecret": "{{placeholder}}", "ApiKey": "{{placeholder}}" } }"""),
            ("app/.env", $"DB_PASSWORD={placeholder}\nAPI_TOKEN={placeholder}\n"),
            ("app/conn.json", $$"""{ "ConnectionStrings": { "Db": "Server=db;User Id=sa;Password={{placeholder}};Encrypt=true", "Sb": "Endpoint=sb://x.servicebus.windows.net/;SharedAccessKeyName=Root;SharedAccessKey={{placeholder}}" } }"""),
            ("app/db.yaml", $"url: postgres://app:{placeholder}@db:5432/app\npassword: \"{placeholder}\"\n"),
            ("app/NuGet.config", $"<configuration><packageSourceCredentials><feed><add key=\"ClearTextPassword\" value=\"{placeholder}\" /></feed></packageSourceCredentials></configuration>\n"),
            ("app/web.config", $"<appSettings><add key=\"SmtpPassword\" value=\"{placeholder}\" /></appSettings>\n"),
            ("app/docker/config.json", $$"""{ "auths": { "r": { "auth": "{{auth}}" } } }"""),
            ("app/run.sh", $"curl -u deploy:{placeholder} https://x.internal/\ncurl -H \"Authorization: Bearer {placeholder}\" https://x.internal/\n"));
        Assert.IsEmpty(findings, string.Join("\n", findings));
    }

    [TestMethod]
    public void A_low_entropy_password_is_still_a_secret()
    {
        var findings = Scan(("app/appsettings.json", """{ "Smtp": { "Password": "hunter22" } }"""), ("app/.env", "DB_PASS=abc123\n"));
        Assert.HasCount(2, findings, string.Join("\n", findings));
    }

    [TestMethod]
    public void Published_documentation_values_are_no_secrets()
    {
        var findings = Scan(
            ("app/README.md", "aws_access_key_id = AKIAIOSFODNN7EXAMPLE\naws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY\n"),
            ("app/appsettings.json", """{ "Storage": "DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey=Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==;" }"""),
            ("app/token.txt", K("Authorization: Bearer eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.", "eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6IkpvaG4gRG9lIiwiaWF0IjoxNTE2MjM5MDIyfQ.SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c\n")),
            ("app/pay.env", K("STRIPE_SECRET_KEY=sk_test_", "4eC39HqLyjWDarjtT1zdp7dc\n")),
            ("app/hooks.json", """{ "Slack": "https://hooks.slack.com/services/T00000000/B00000000/XXXXXXXXXXXXXXXXXXXXXXXX" }"""));
        Assert.IsEmpty(findings, string.Join("\n", findings));
    }

    [TestMethod]
    [DataRow("utf-8")]
    [DataRow("utf-8 bom")]
    [DataRow("utf-16le bom")]
    [DataRow("utf-16be bom")]
    [DataRow("utf-16le")]
    public void Text_is_read_in_every_encoding(string encoding)
    {
        var pw = R.Password();
        var findings = ScanBytes(("app/web.config", SecretCorpus.Encode($"<configuration>\n  <appSettings>\n    <add key=\"DbPassword\" value=\"{pw}\" />\n  </appSettings>\n</configuration>\n", encoding)));
        Assert.AreEqual(SecretRedaction.Hash(pw), findings.Single().Hash);
        Assert.AreEqual(3, findings.Single().Line);
    }

    [TestMethod]
    public void Binary_files_are_skipped_but_key_material_is_found_by_content_and_name()
    {
        var binary = new byte[4096];
        new Random(3).NextBytes(binary);
        Encoding.ASCII.GetBytes(K("password=", "Q3EGRL6XZUFBVJ2K")).CopyTo(binary, 100);
        var publicSnk = new byte[160];
        publicSnk[0] = 0x06; publicSnk[1] = 0x02; "RSA1"u8.CopyTo(publicSnk.AsSpan(8));
        var findings = ScanBytes(
            ("app/lib.so", binary),
            ("app/store.p12", [0x30, 0x82, 0x01, 0x00, .. binary[..200]]),
            ("app/certs/trust.bin", [0xFE, 0xED, 0xFE, 0xED, .. binary[..100]]),
            ("app/Public.snk", publicSnk),
            ("home/app/.ssh/id_rsa.pub", Encoding.ASCII.GetBytes("ssh-rsa AAAAB3NzaC1yc2E app@host\n")),
            ("home/app/.ssh/id_rsa", Encoding.ASCII.GetBytes("not really a key\n")));
        CollectionAssert.AreEquivalent(new[] { "/app/store.p12 keystore-file", "/app/certs/trust.bin keystore-file", "/home/app/.ssh/id_rsa private-key-file" },
            findings.Select(f => $"{f.File} {f.Rule}").ToList());
        Assert.IsTrue(findings.All(f => f.Redacted.Contains("bytes")));
    }

    [TestMethod]
    public void Public_keys_and_certificates_are_no_secrets()
    {
        var r = new CorpusRandom(8);
        var findings = Scan(("app/certs/ca.pem", CorpusRandom.Pem("CERTIFICATE", r.Bytes(800)) + CorpusRandom.Pem("PUBLIC KEY", r.Bytes(294)) + CorpusRandom.Pem("RSA PUBLIC KEY", r.Bytes(270))),
            ("app/lib/crypto.js", "const HEADER = \"-----BEGIN RSA PRIVATE KEY-----\";\nconst FOOTER = \"-----END RSA PRIVATE KEY-----\";\n"));
        Assert.IsEmpty(findings, string.Join("\n", findings));
    }

    [TestMethod]
    public void Members_of_nested_archives_are_named_outer_bang_inner_with_the_inner_line()
    {
        var pw = R.Password();
        var inner = SecretCorpus.Zip(("conf/app.ini", Encoding.UTF8.GetBytes($"[db]\nhost = x\npassword = {pw}\n")));
        var findings = ScanBytes(("app/lib/plugin.nupkg", SecretCorpus.Zip(("lib/inner.jar", inner), ("readme.txt", "hello"u8.ToArray()))));
        var finding = findings.Single();
        Assert.AreEqual("/app/lib/plugin.nupkg!lib/inner.jar!conf/app.ini", finding.File);
        Assert.AreEqual(3, finding.Line);
    }

    [TestMethod]
    public void Archives_past_the_depth_or_bomb_limits_are_reported_unscanned_not_read()
    {
        var pw = R.Password();
        var deep = Encoding.UTF8.GetBytes($"password={pw}\n");
        for (var i = 0; i < 5; i++) deep = SecretCorpus.Zip(($"level{i}.zip", deep));
        var bomb = SecretCorpus.Zip(("zeros.bin", new byte[64 << 20]));
        var scanner = new SecretScanner(SecretAllowlist.Empty);
        var findings = scanner.ScanLayer(new MemoryStream(SecretCorpus.Layer([("app/deep.zip", deep), ("app/bomb.zip", bomb), ("app/broken.zip", [.. "PK"u8, 3, 4, .. new byte[40]])])));
        Assert.IsEmpty(findings);
        Assert.IsTrue(scanner.Unscanned.Any(u => u.File.StartsWith("/app/deep.zip!", StringComparison.Ordinal) && u.Reason.Contains("nested")), string.Join("\n", scanner.Unscanned));
        Assert.IsTrue(scanner.Unscanned.Any(u => u.File.StartsWith("/app/bomb.zip", StringComparison.Ordinal) && u.Reason.Contains("bomb")), string.Join("\n", scanner.Unscanned));
        Assert.IsTrue(scanner.Unscanned.Any(u => u.File == "/app/broken.zip"), string.Join("\n", scanner.Unscanned));
    }

    [TestMethod]
    public void The_image_config_is_scanned_field_by_field_and_inherited_entries_are_skipped()
    {
        var pw = R.Password();
        var token = R.Alnum(40);
        var inherited = R.Password();
        var config = $$"""
            {
              "config": {
                "Env": ["PATH=/usr/bin", "DB_PASSWORD={{pw}}", "ConnectionStrings__Db=Server=db;Password={{pw}}x;", "BASE_PASSWORD={{inherited}}"],
                "Labels": { "org.opencontainers.image.source": "https://github.com/corp/app", "com.corp.deploy-token": "{{token}}" },
                "Entrypoint": ["dotnet", "App.dll"],
                "Cmd": ["--password", "{{pw}}y"]
              },
              "history": [ { "created_by": "base" }, { "created_by": "/bin/sh -c export API_SECRET={{token}}z" } ]
            }
            """;
        var baseConfig = $$"""{ "config": { "Env": ["PATH=/usr/bin", "BASE_PASSWORD={{inherited}}"] }, "history": [ { "created_by": "base" } ] }""";
        var findings = new SecretScanner(SecretAllowlist.Empty).ScanImageConfig(Encoding.UTF8.GetBytes(config), Encoding.UTF8.GetBytes(baseConfig));
        CollectionAssert.AreEquivalent(
            new[] { "config:Env[DB_PASSWORD] config-secret", "config:Env[ConnectionStrings__Db] connection-string-password", "config:Labels[com.corp.deploy-token] config-secret",
                    "config:Cmd config-secret", "config:history[1].created_by config-secret" },
            findings.Select(f => $"{f.File} {f.Rule}").ToList(), string.Join("\n", findings));
        Assert.IsTrue(findings.All(f => f.Line == 0 && f.Location == f.File));
    }

    [TestMethod]
    public void Allowlisted_findings_carry_their_reason_and_an_entry_without_one_is_refused()
    {
        var dir = Directory.CreateTempSubdirectory("bakery-allow-").FullName;
        try
        {
            var file = Path.Combine(dir, "allow.txt");
            File.WriteAllText(file, "# test fixtures\n/app/fixtures/** jwt sample token from the OAuth spec, not a credential\n/app/lib/*.zip!** * vendored sample bundle\nconfig:Env[DEMO_*] * demo credentials\n");
            var allowlist = SecretAllowlist.Load(file);
            var jwt = K("eyJhbGciOiJIUzI1NiJ9.", "eyJzdWIiOiJ4eXoiLCJleHAiOjE5MDAwMDAwMDB9.", R.Base64Url(43));
            var scanner = new SecretScanner(allowlist);
            var findings = scanner.ScanLayer(new MemoryStream(SecretCorpus.Layer([
                ("app/fixtures/a/token.txt", Encoding.UTF8.GetBytes(jwt)), ("app/real.txt", Encoding.UTF8.GetBytes(jwt)),
                ("app/lib/samples.zip", SecretCorpus.Zip(("x/token.txt", Encoding.UTF8.GetBytes(jwt))))])));
            Assert.AreEqual("sample token from the OAuth spec, not a credential", findings.Single(f => f.File == "/app/fixtures/a/token.txt").AllowedBecause);
            Assert.AreEqual("vendored sample bundle", findings.Single(f => f.File == "/app/lib/samples.zip!x/token.txt").AllowedBecause);
            Assert.IsNull(findings.Single(f => f.File == "/app/real.txt").AllowedBecause);
            var config = scanner.ScanImageConfig(Encoding.UTF8.GetBytes($$"""{"config":{"Env":["DEMO_PASSWORD={{R.Password()}}"] } }"""));
            Assert.AreEqual("demo credentials", config.Single().AllowedBecause);

            File.WriteAllText(file, "/app/** jwt\n");
            Assert.AreEqual("BAKE502", Assert.ThrowsExactly<BakeryException>(() => SecretAllowlist.Load(file)).Code);
        }
        finally { Directory.Delete(dir, recursive: true); }
    }

    [TestMethod]
    public void Large_files_are_scanned_to_the_end_across_windows_with_the_right_line_numbers()
    {
        var pw = R.Password();
        var text = new StringBuilder();
        for (var i = 0; i < 400_000; i++) text.Append("2024-05-01T12:00:00Z INFO request handled in 12 ms\n");
        text.Append($"2024-05-01T12:00:01Z DEBUG password={pw}\n");
        var finding = Scan(("var/log/app.log", text.ToString())).Single();
        Assert.AreEqual(400_001, finding.Line);
        Assert.AreEqual(SecretRedaction.Hash(pw), finding.Hash);
    }

    [TestMethod]
    public void Hostile_text_never_breaks_a_rule()
    {
        // Fragments of every syntax the rules parse, cut and shuffled: each must end in findings or nothing, never an exception.
        string[] pieces = ["password", "Password=", "\"secret\":", "token: ", "key=\"", "<add key=\"", "value=\"", "-----BEGIN ", "PRIVATE KEY-----", "PuTTY-User-Key-File-3:",
            "Private-Lines: 9", "<masterKey", "<value>", "</masterKey>", "<machineKey validationKey=\"", "://", "@", ":", "\"auth\":\"", "_auth=", "\"kty\"", "\"d\":\"",
            "curl -u ", "Authorization: Bearer ", "AKIA", "eyJ", "sig=", "ghp_", "sk_live_", "LS0tLS1CRUdJTi", "Q~", "SK", "\\\"", "\n", "\r\n", "{", "}", "[", "]", "'", "\"", " ", "=", "__", "${", "#{", "%"];
        var random = new Random(99);
        for (var round = 0; round < 400; round++)
        {
            var text = new StringBuilder();
            for (var i = random.Next(1, 60); i > 0; i--)
                text.Append(random.Next(4) == 0 ? R.Alnum(random.Next(1, 80)) : pieces[random.Next(pieces.Length)]);
            var scanner = new SecretScanner(SecretAllowlist.Empty);
            scanner.ScanText("/fuzz.txt", text.ToString());
            scanner.ScanText("/fuzz.cs", text.ToString());
            scanner.ScanLayer(new MemoryStream(SecretCorpus.Layer([("i18n/fuzz.json", Encoding.UTF8.GetBytes(text.ToString()))])));
            Assert.IsEmpty(scanner.Unscanned, text.ToString());
        }
    }

    [TestMethod]
    [DataRow("password", true)]
    [DataRow("DB_PASSWORD", true)]
    [DataRow("ConnectionStrings__Db__Password", true)]
    [DataRow("spring.datasource.password", true)]
    [DataRow("SMTP_PASS", true)]
    [DataRow("keystorePass", true)]
    [DataRow("ClientSecret", true)]
    [DataRow("SigningKey", true)]
    [DataRow("SecretKey", true)]
    [DataRow("ApiKey", true)]
    [DataRow("api-key", true)]
    [DataRow("aws_secret_access_key", true)]
    [DataRow("_authToken", true)]
    [DataRow("Jwt__Key", true)]
    [DataRow("PasswordLength", false)]
    [DataRow("TokenEndpoint", false)]
    [DataRow("SecretName", false)]
    [DataRow("PublicKeyToken", false)]
    [DataRow("PublicKey", false)]
    [DataRow("Bypass", false)]
    [DataRow("KeyVaultName", false)]
    [DataRow("Key", false)]
    [DataRow("CancellationToken", false)]
    public void Key_names_are_matched_as_people_write_them(string key, bool secret) =>
        Assert.AreEqual(secret, SecretKeyNames.Classify(key) != KeyFamily.None, key);
}
