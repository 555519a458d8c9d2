using Bakery.Core.Security;
using Bakery.Core.Reports;
using Bakery.Core.Baking;
using System.Text.Json;
using Bakery.Oci.Registry;
using Bakery.Tests.Infrastructure;

namespace Bakery.Tests.Integration;

/// <summary>The SBOM every bake writes, and the vulnerability gate against a small OSV fixture database.</summary>
[TestClass]
[TestCategory("Integration")]
public sealed class SecurityBakeTests
{
    private static RegistryProcess s_registry = null!;
    private static TestImages.PushedImage s_image = null!;
    private static BakeryWorkspace s_workspace = null!;
    private static string s_database = null!;

    private const string DpkgStatus = """
        Package: libssl3
        Status: install ok installed
        Architecture: amd64
        Source: openssl
        Version: 3.0.11-1~deb12u2

        Package: zlib1g
        Status: install ok installed
        Architecture: amd64
        Source: zlib
        Version: 1:1.2.13.dfsg-1

        """;

    [ClassInitialize]
    public static async Task Initialize(TestContext _)
    {
        s_registry = SharedRegistry.Instance;
        s_workspace = new BakeryWorkspace("security", pushTo: s_registry.Address);
        var image = s_image = await TestImages.PushBaseAsync(s_registry.Address, "security/base", "security", extraFiles: new Dictionary<string, string>
        {
            ["var/lib/dpkg/status"] = DpkgStatus,
            ["var/lib/dpkg/info/libssl3:amd64.list"] = "/usr/lib/x86_64-linux-gnu/libssl.so.3\n",
        });
        s_workspace.AddBasePackage(BasePackageWriter.Descriptor("Tests.Security.Base", "1.0.0", image, expires: DateTimeOffset.UtcNow.AddYears(1)));
        s_database = Path.Combine(s_workspace.Root, "osv");
        Directory.CreateDirectory(s_database);
        var modified = DateTimeOffset.UtcNow.AddDays(-1).ToString("yyyy-MM-dd'T'HH:mm:ss'Z'");
        File.WriteAllText(Path.Combine(s_database, "DSA-9001.json"), $$"""
            {"id":"DSA-9001","summary":"openssl: crafted certificate crashes the TLS stack","modified":"{{modified}}","database_specific":{"severity":"high"},
             "affected":[{"package":{"ecosystem":"Debian:12","name":"openssl"},"ranges":[{"type":"ECOSYSTEM","events":[{"introduced":"0"},{"fixed":"3.0.13-1~deb12u1"}]}]}]}
            """);
        File.WriteAllText(Path.Combine(s_database, "DSA-9002.json"), $$"""
            {"id":"DSA-9002","summary":"zlib: minor issue","modified":"{{modified}}","database_specific":{"severity":"low"},
             "affected":[{"package":{"ecosystem":"Debian:12","name":"zlib"},"ranges":[{"type":"ECOSYSTEM","events":[{"introduced":"0"},{"fixed":"1:1.2.13.dfsg-1+deb12u1"}]}]}]}
            """);
    }

    [ClassCleanup]
    public static void Cleanup()
    {
        s_workspace?.Dispose();
    }

    [TestMethod]
    public async Task Every_bake_writes_a_CycloneDX_SBOM_with_the_layer_each_package_came_from()
    {
        var dir = s_workspace.CreateProject("sbomapp", BakeryWorkspace.BaseReference("Tests.Security.Base", "1.0.0"));
        var result = s_workspace.Bake(dir, "BakeryBuildId=1");
        Assert.AreEqual(0, result.ExitCode, result.Output);
        StringAssert.Contains(result.Output, "SBOM: 2 Debian");

        using var sbom = JsonDocument.Parse(File.ReadAllText(Path.Combine(dir, "obj", "Release", "net10.0", "bakery", "sbom.cdx.json")));
        Assert.AreEqual("CycloneDX", sbom.RootElement.GetProperty("bomFormat").GetString());
        Assert.AreEqual("1.5", sbom.RootElement.GetProperty("specVersion").GetString());
        var ssl = sbom.RootElement.GetProperty("components").EnumerateArray().Single(c => c.GetProperty("name").GetString() == "libssl3");
        Assert.AreEqual("pkg:deb/debian/libssl3@3.0.11-1~deb12u2", ssl.GetProperty("purl").GetString());
        using var client = new RegistryClient(s_registry.Address);
        var baseLayer = (await client.GetManifestAsync("security/base", "1.0")).Parse().Layers![0].Digest;
        Assert.AreEqual(baseLayer, ssl.GetProperty("properties").EnumerateArray().Single(p => p.GetProperty("name").GetString() == "bakery:layer").GetProperty("value").GetString());
    }

    [TestMethod]
    public async Task High_finding_fails_with_BAKE306_and_an_allowlist_entry_lets_it_pass_until_it_expires()
    {
        var dir = s_workspace.CreateProject("vulnapp", BakeryWorkspace.BaseReference("Tests.Security.Base", "1.0.0"));
        var failing = s_workspace.Bake(dir, "BakeryBuildId=1", $"BakeryAdvisoryDatabase={s_database}");
        Assert.AreNotEqual(0, failing.ExitCode, failing.Output);
        StringAssert.Contains(failing.Output, "error BAKE306");
        StringAssert.Contains(failing.Output, "DSA-9001 (High) in libssl3 3.0.11-1~deb12u2, fixed in 3.0.13-1~deb12u1");
        StringAssert.Contains(failing.Output, "warning BAKE308");
        StringAssert.Contains(failing.Output, "DSA-9002");
        using (var client = new RegistryClient(s_registry.Address))
            Assert.IsEmpty(await client.ListTagsAsync("tests/vulnapp"));
        var report = BakeReportWriter.Read(Path.Combine(dir, "obj", "Release", "net10.0", "bakery", "bakery-report.json"));
        Assert.AreEqual(BakeOutcome.Failed, report.Outcome, "a failed bake still writes its report");
        Assert.IsEmpty(report.Tags);
        Assert.AreEqual("DSA-9001", report.BlockingVulnerabilities.Single().AdvisoryId);
        StringAssert.StartsWith(report.Failure, "BAKE306");
        StringAssert.Contains(File.ReadAllText(Path.Combine(dir, "obj", "Release", "net10.0", "bakery", "bakery-junit.xml")), "<failure message=\"fixed in 3.0.13-1~deb12u1\"");

        var criticalOnly = s_workspace.Bake(dir, "BakeryBuildId=2", $"BakeryAdvisoryDatabase={s_database}", "BakeryFailOnSeverity=Critical");
        Assert.AreEqual(0, criticalOnly.ExitCode, criticalOnly.Output);

        var allowlist = Path.Combine(dir, "vulns.allow");
        File.WriteAllText(allowlist, $"DSA-9001 libssl3 {DateTimeOffset.UtcNow.AddDays(30):yyyy-MM-dd} the service terminates TLS at the ingress\n");
        var allowed = s_workspace.Bake(dir, "BakeryBuildId=3", $"BakeryAdvisoryDatabase={s_database}", $"BakeryVulnerabilityAllowlist={allowlist}");
        Assert.AreEqual(0, allowed.ExitCode, allowed.Output);
        StringAssert.Contains(allowed.Output, "terminates TLS at the ingress");

        File.WriteAllText(allowlist, $"DSA-9001 libssl3 {DateTimeOffset.UtcNow.AddDays(-1):yyyy-MM-dd} the service terminates TLS at the ingress\n");
        var expired = s_workspace.Bake(dir, "BakeryBuildId=4", $"BakeryAdvisoryDatabase={s_database}", $"BakeryVulnerabilityAllowlist={allowlist}");
        Assert.AreNotEqual(0, expired.ExitCode, expired.Output);
        StringAssert.Contains(expired.Output, "no longer applies");
    }

    [TestMethod]
    public void A_base_image_that_requires_assessment_and_a_threshold_binds_every_descendant()
    {
        s_workspace.AddBasePackage(BasePackageWriter.Descriptor("Tests.Security.Strict", "1.0.0", s_image, expires: DateTimeOffset.UtcNow.AddYears(1)) with
        {
            Security = new SecurityRequirements { RequireAssessment = true, FailOnSeverity = Severity.Medium, AdvisoryMaxAgeDays = 3, SetBy = "Tests.Security.Global" },
        });
        var dir = s_workspace.CreateProject("strictapp", BakeryWorkspace.BaseReference("Tests.Security.Strict", "1.0.0"));

        var noDatabase = s_workspace.Bake(dir, "BakeryBuildId=1");
        Assert.AreNotEqual(0, noDatabase.ExitCode, noDatabase.Output);
        StringAssert.Contains(noDatabase.Output, "error BAKE311");
        StringAssert.Contains(noDatabase.Output, "Tests.Security.Global");

        var looser = s_workspace.Bake(dir, "BakeryBuildId=2", $"BakeryAdvisoryDatabase={s_database}", "BakeryFailOnSeverity=Critical",
            "BakeryAdvisoryMaxAgeDays=30", $"BakeryNow={DateTimeOffset.UtcNow.AddDays(5):yyyy-MM-dd}");
        Assert.AreNotEqual(0, looser.ExitCode, looser.Output);
        StringAssert.Contains(looser.Output, "warning BAKE312: BakeryFailOnSeverity=Critical is looser than the base image allows; Medium is used");
        StringAssert.Contains(looser.Output, "warning BAKE309", "the inherited 3-day limit makes a 6-day-old database stale");
        StringAssert.Contains(looser.Output, "error BAKE306", "the High finding fails under the inherited Medium threshold");
    }

    [TestMethod]
    public void Stale_advisory_database_warns_with_its_age()
    {
        var dir = s_workspace.CreateProject("staleapp", BakeryWorkspace.BaseReference("Tests.Security.Base", "1.0.0"));
        var result = s_workspace.Bake(dir, "BakeryBuildId=1", $"BakeryAdvisoryDatabase={s_database}", "BakeryFailOnSeverity=Critical",
            $"BakeryNow={DateTimeOffset.UtcNow.AddDays(20):yyyy-MM-dd}", "BakeryAdvisoryMaxAgeDays=7");
        Assert.AreEqual(0, result.ExitCode, result.Output);
        StringAssert.Contains(result.Output, "warning BAKE309");
    }

    [TestMethod]
    public void Bakery_scan_assesses_any_image_with_the_same_database_and_exit_codes()
    {
        ProcessResult Scan(params string[] args) => ProcessRunner.Run("dotnet", [Path.Combine(AppContext.BaseDirectory, "Bakery.Tool.dll"), "scan", s_image.Reference, .. args], s_workspace.Root);
        var sbom = Path.Combine(s_workspace.Root, "scan.cdx.json");
        var failing = Scan("--database", s_database, "--sbom", sbom, "--json");
        Assert.AreEqual(3, failing.ExitCode, failing.Output);
        using (var doc = JsonDocument.Parse(failing.Output))
        {
            Assert.AreEqual("DSA-9001", doc.RootElement.GetProperty("blocking")[0].GetProperty("advisoryId").GetString());
            Assert.AreEqual(2, doc.RootElement.GetProperty("components").GetArrayLength());
        }
        StringAssert.Contains(File.ReadAllText(sbom), "pkg:deb/debian/zlib1g@1%3A1.2.13.dfsg-1");

        var table = Scan("--database", s_database, "--fail-on", "Critical");
        Assert.AreEqual(0, table.ExitCode, table.Output);
        StringAssert.Contains(table.Output, "DSA-9001");
        Assert.AreEqual(0, Scan().ExitCode, "without a database it only inventories");

        var allowlist = Path.Combine(s_workspace.Root, "scan-allowlist.txt");
        File.WriteAllText(allowlist, $"DSA-9001 * {DateTimeOffset.UtcNow.AddDays(30):yyyy-MM-dd} patched by the base image's vendor, see CHG-42\n");
        var allowed = Scan("--database", s_database, "--allowlist", allowlist, "--json");
        Assert.AreEqual(0, allowed.ExitCode, allowed.Output);
        using var accepted = JsonDocument.Parse(allowed.Output);
        Assert.AreEqual(0, accepted.RootElement.GetProperty("blocking").GetArrayLength());
        StringAssert.Contains(accepted.RootElement.GetProperty("allowed")[0].GetProperty("reason").GetString(), "CHG-42");
    }
}
