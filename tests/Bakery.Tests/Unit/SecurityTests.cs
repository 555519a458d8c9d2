using System.Text.Json.Nodes;
using Bakery.Core;
using Bakery.Core.Security;

namespace Bakery.Tests.Unit;

[TestClass]
public sealed class SecurityTests
{
    /// <summary>Pairs from Debian Policy 5.6.12 and dpkg's own test suite: (lower, higher).</summary>
    public static IEnumerable<object[]> OrderedPairs() => new (string, string)[]
    {
        ("1.0", "1.1"), ("1.0", "1.0.1"), ("1.0~rc1", "1.0"), ("1.0~~", "1.0~"), ("1.0~~a", "1.0~"), ("1.0~", "1.0"), ("1.0", "1.0a"),
        ("1.0a", "1.0b"), ("1.0-1", "1.0-2"), ("1.0-1", "1.0.1-1"), ("1:0.9", "2:0.1"), ("0.9", "1:0.1"), ("2.30-1", "2.31-1"),
        ("3.0.11-1~deb12u2", "3.0.13-1~deb12u1"), ("3.0.13-1~deb12u1", "3.0.13-1"), ("1.2.3-1+deb12u1", "1.2.3-1+deb12u2"),
        ("1.2.3-1", "1.2.3-1+deb12u1"), ("1.2.3-1+b1", "1.2.3-1+deb12u1"), ("9", "10"), ("1.9", "1.10"), ("1.09", "1.10"),
        ("1.0.0", "1.0.0.1"), ("1.0a", "1.0.0"), ("1.0+dfsg", "1.0+dfsg1"), ("1.0-0.1", "1.0-1"), ("2.36-9+deb12u4", "2.36-9+deb12u14"),
        ("252.30-1~deb12u2", "252.31-1~deb12u1"), ("0.0.0", "0.0.1"), ("1.0~beta1", "1.0~beta2"), ("1.0~beta2", "1.0~rc1"),
        ("1.0.0~alpha", "1.0.0"), ("7.88.1-10+deb12u5", "7.88.1-10+deb12u8"), ("2:1.0", "3:0.1"), ("1.0-a", "1.0-b"), ("1.0", "1.0-0.1"),
        ("1:1.2.13.dfsg-1", "1:1.3.dfsg-1"), ("4.9.0-1", "4.10.0-1"), ("1.0b", "1.0+"), ("1.0-1", "1.0+"), ("1.0~", "1.0a"),
        ("1.2.11.dfsg-2+deb11u2", "1.2.13.dfsg-1"),
    }.Select(p => new object[] { p.Item1, p.Item2 });

    [TestMethod]
    [DynamicData(nameof(OrderedPairs))]
    public void Dpkg_versions_order_as_dpkg_does(string lower, string higher)
    {
        Assert.IsLessThan(0, DpkgVersion.Parse(lower).CompareTo(DpkgVersion.Parse(higher)), $"{lower} < {higher}");
        Assert.IsGreaterThan(0, DpkgVersion.Parse(higher).CompareTo(DpkgVersion.Parse(lower)), $"{higher} > {lower}");
    }

    [TestMethod]
    [DataRow("1.0", "1.00")]
    [DataRow("0:1.0", "1.0")]
    [DataRow("1.0-0", "1.0-0")]
    public void Equal_dpkg_versions(string a, string b) => Assert.AreEqual(0, DpkgVersion.Parse(a).CompareTo(DpkgVersion.Parse(b)));

    [TestMethod]
    public void The_version_table_has_at_least_forty_pairs() => Assert.IsGreaterThanOrEqualTo(40, OrderedPairs().Count());

    private static AffectedPackage Affected(string ecosystem, string json) =>
        AdvisoryDatabase.ParseAdvisory(JsonNode.Parse($$"""{"id":"T-1","affected":[{"package":{"ecosystem":"{{ecosystem}}","name":"p"},{{json}}}]}""")!).Affected[0];

    [TestMethod]
    public void OSV_ranges_fixed_last_affected_and_explicit_versions()
    {
        var fixedRange = Affected("Debian:12", """ "ranges":[{"type":"ECOSYSTEM","events":[{"introduced":"0"},{"fixed":"3.0.13-1~deb12u1"}]}] """);
        Assert.IsTrue(AdvisoryDatabase.IsAffected("Debian", "3.0.11-1~deb12u2", fixedRange, out var fix));
        Assert.AreEqual("3.0.13-1~deb12u1", fix);
        Assert.IsFalse(AdvisoryDatabase.IsAffected("Debian", "3.0.13-1~deb12u1", fixedRange, out _));
        Assert.IsFalse(AdvisoryDatabase.IsAffected("Debian", "3.0.15-1~deb12u1", fixedRange, out _));

        var lastAffected = Affected("NuGet", """ "ranges":[{"type":"ECOSYSTEM","events":[{"introduced":"6.0.0"},{"last_affected":"6.0.35"}]}] """);
        Assert.IsTrue(AdvisoryDatabase.IsAffected("NuGet", "6.0.35", lastAffected, out _));
        Assert.IsFalse(AdvisoryDatabase.IsAffected("NuGet", "6.0.36", lastAffected, out _));
        Assert.IsFalse(AdvisoryDatabase.IsAffected("NuGet", "5.9.0", lastAffected, out _));

        var twoWindows = Affected("NuGet", """ "ranges":[{"type":"ECOSYSTEM","events":[{"introduced":"1.0.0"},{"fixed":"1.2.0"},{"introduced":"2.0.0"},{"fixed":"2.0.5"}]}] """);
        Assert.IsTrue(AdvisoryDatabase.IsAffected("NuGet", "2.0.1", twoWindows, out var second));
        Assert.AreEqual("2.0.5", second);
        Assert.IsFalse(AdvisoryDatabase.IsAffected("NuGet", "1.5.0", twoWindows, out _));

        var open = Affected("NuGet", """ "ranges":[{"type":"ECOSYSTEM","events":[{"introduced":"0"}]}] """);
        Assert.IsTrue(AdvisoryDatabase.IsAffected("NuGet", "99.0.0", open, out var none));
        Assert.IsNull(none, "no fix yet");

        var listed = Affected("NuGet", """ "versions":["4.1.0"] """);
        Assert.IsTrue(AdvisoryDatabase.IsAffected("NuGet", "4.1.0", listed, out _));
        Assert.IsFalse(AdvisoryDatabase.IsAffected("NuGet", "4.1.1", listed, out _));
    }

    [TestMethod]
    public void Database_matches_by_ecosystem_and_source_package_and_skips_withdrawn_advisories()
    {
        var dir = Directory.CreateTempSubdirectory("bakery-osv-").FullName;
        try
        {
            File.WriteAllText(Path.Combine(dir, "DSA-1.json"), """{"id":"DSA-1","summary":"openssl issue","modified":"2026-11-20T00:00:00Z","database_specific":{"severity":"high"},"affected":[{"package":{"ecosystem":"Debian:12","name":"openssl"},"ranges":[{"type":"ECOSYSTEM","events":[{"introduced":"0"},{"fixed":"3.0.13-1~deb12u1"}]}]}]}""");
            File.WriteAllText(Path.Combine(dir, "GHSA-2.json"), """{"id":"GHSA-2","withdrawn":"2026-01-01T00:00:00Z","affected":[{"package":{"ecosystem":"NuGet","name":"Newtonsoft.Json"},"versions":["13.0.1"]}]}""");
            var db = AdvisoryDatabase.Load(dir);
            var components = new[]
            {
                new SbomComponent("Debian", "libssl3", "3.0.11-1~deb12u2", "sha256:aa", Source: "openssl"),
                new SbomComponent("NuGet", "Newtonsoft.Json", "13.0.1", "sha256:bb"),
            };
            var finding = db.Match(components).Single();
            Assert.AreEqual("DSA-1", finding.AdvisoryId);
            Assert.AreEqual("libssl3", finding.Package);
            Assert.AreEqual(Severity.High, finding.Severity);
            Assert.AreEqual(new DateTimeOffset(2026, 11, 20, 0, 0, 0, TimeSpan.Zero), db.NewestModified);
        }
        finally { Directory.Delete(dir, recursive: true); }
    }

    [TestMethod]
    public void Gate_blocks_at_the_threshold_warns_below_and_honours_allowlist_expiry()
    {
        var now = new DateTimeOffset(2026, 11, 24, 0, 0, 0, TimeSpan.Zero);
        var high = new VulnerabilityFinding("DSA-1", "libssl3", "Debian", "3.0.11", "3.0.13", Severity.High, "x", null);
        var low = high with { AdvisoryId = "DSA-2", Severity = Severity.Low };
        var gate = VulnerabilityGate.Evaluate([high, low], Severity.High, VulnerabilityAllowlist.Empty, now);
        CollectionAssert.AreEqual(new[] { high }, gate.Blocking.ToArray());
        CollectionAssert.AreEqual(new[] { low }, gate.Below.ToArray());
        Assert.AreEqual("BAKE308", gate.Warnings.Single().Code);
        Assert.IsEmpty(VulnerabilityGate.Evaluate([high], Severity.Critical, VulnerabilityAllowlist.Empty, now).Blocking);

        var dir = Directory.CreateTempSubdirectory("bakery-vallow-").FullName;
        try
        {
            var file = Path.Combine(dir, "allow.txt");
            File.WriteAllText(file, "DSA-1 libssl3 2026-12-31 not reachable: the app never uses TLS renegotiation\n");
            var allowed = VulnerabilityGate.Evaluate([high], Severity.High, VulnerabilityAllowlist.Load(file), now);
            Assert.IsEmpty(allowed.Blocking);
            StringAssert.Contains(allowed.Allowed.Single().Reason, "renegotiation");
            var later = VulnerabilityGate.Evaluate([high], Severity.High, VulnerabilityAllowlist.Load(file), new DateTimeOffset(2027, 1, 2, 0, 0, 0, TimeSpan.Zero));
            Assert.HasCount(1, later.Blocking, "an expired entry no longer applies");
            StringAssert.Contains(later.Warnings.First().Message, "expired on 2026-12-31");
            File.WriteAllText(file, "DSA-1 libssl3 whenever\n");
            Assert.AreEqual("BAKE502", Assert.ThrowsExactly<BakeryException>(() => VulnerabilityAllowlist.Load(file)).Code);
        }
        finally { Directory.Delete(dir, recursive: true); }
        Assert.AreEqual("BAKE502", Assert.ThrowsExactly<BakeryException>(() => VulnerabilityGate.ParseThreshold("severe")).Code);
    }

    [TestMethod]
    public void Dpkg_status_lists_installed_packages_only()
    {
        var packages = Sbom.ParseDpkgStatus("""
            Package: libssl3
            Status: install ok installed
            Architecture: amd64
            Source: openssl
            Version: 3.0.11-1~deb12u2

            Package: removed
            Status: deinstall ok config-files
            Version: 1.0

            Package: bash
            Status: install ok installed
            Version: 5.2.15-2+b7
            Description: shell
             with a continuation line
            """).ToList();
        Assert.HasCount(2, packages);
        Assert.AreEqual(("libssl3", "3.0.11-1~deb12u2", "amd64", "openssl"), packages[0]);
        Assert.AreEqual("bash", packages[1].Name);
    }
}
