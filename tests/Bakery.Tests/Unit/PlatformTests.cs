using Bakery.Oci.Model;

namespace Bakery.Tests.Unit;

[TestClass]
public sealed class PlatformTests
{
    [TestMethod]
    [DataRow("linux-x64", "linux/amd64")]
    [DataRow("linux-musl-x64", "linux/amd64")]
    [DataRow("linux-arm64", "linux/arm64")]
    [DataRow("linux-musl-arm64", "linux/arm64")]
    [DataRow("linux-arm", "linux/arm/v7")]
    [DataRow("linux-x86", "linux/386")]
    [DataRow("win-x64", "windows/amd64")]
    public void Runtime_identifiers_map_to_the_platforms_the_SDK_publishes_for(string rid, string expected) =>
        Assert.AreEqual(expected, Platform.FromRuntimeIdentifier(rid)!.ToString());

    [TestMethod]
    [DataRow("osx-arm64")]
    [DataRow("linux")]
    [DataRow("linux-sparc")]
    [DataRow("")]
    public void Runtime_identifiers_no_container_runs_have_no_platform(string rid) => Assert.IsNull(Platform.FromRuntimeIdentifier(rid));

    [TestMethod]
    public void Text_round_trips_and_nonsense_is_refused()
    {
        Assert.AreEqual(new Platform { Os = "linux", Architecture = "arm64", Variant = "v8" }, Platform.Parse("Linux/ARM64/v8"));
        Assert.AreEqual("linux/amd64", Platform.Parse("linux/amd64").ToString());
        foreach (var bad in new[] { "linux", "linux/", "/amd64", "linux/amd64/v8/x", "linux/am d64" })
            Assert.IsFalse(Platform.TryParse(bad, out _), bad);
    }

    [TestMethod]
    public void An_index_entry_with_the_exact_variant_is_preferred_and_a_missing_variant_matches()
    {
        OciDescriptor Entry(string platform, char hex) => new()
        {
            MediaType = MediaTypes.OciManifest, Digest = "sha256:" + new string(hex, 64), Size = 1, Platform = Platform.Parse(platform),
        };
        var index = new ImageManifest { MediaType = MediaTypes.OciIndex, Manifests = [Entry("linux/amd64", 'a'), Entry("linux/arm/v6", 'b'), Entry("linux/arm/v7", 'c'), Entry("linux/arm64/v8", 'd')] };
        Assert.AreEqual('c', index.ManifestFor(Platform.Parse("linux/arm/v7"))!.Digest[^1]);
        Assert.AreEqual('d', index.ManifestFor(Platform.Parse("linux/arm64"))!.Digest[^1], "arm64 with no variant takes arm64/v8");
        Assert.IsNull(index.ManifestFor(Platform.Parse("linux/s390x")));
        CollectionAssert.AreEqual(new[] { "linux/amd64", "linux/arm/v6", "linux/arm/v7", "linux/arm64/v8" }, index.Platforms.Select(p => p.ToString()).ToArray());
    }
}
