using Bakery.Core.Descriptors;
using Bakery.Core.Rebasing;
using Bakery.Oci.Model;
using NuGet.Versioning;

namespace Bakery.Tests.Unit;

/// <summary>The rules a rebase decides by, without I/O: the .NET host's framework resolution, and which base continues an image's line.</summary>
[TestClass]
public sealed class RebaseRulesTests
{
    private static IReadOnlyList<NuGetVersion> Versions(params string[] versions) => versions.Select(NuGetVersion.Parse).ToList();

    private static string Config(string version, string? rollForward = null, string name = "Microsoft.NETCore.App") =>
        $$"""{ "runtimeOptions": { "tfm": "net10.0", {{(rollForward is null ? "" : $"\"rollForward\": \"{rollForward}\", ")}}"framework": { "name": "{{name}}", "version": "{{version}}" } } }""";

    // The host's documented roll-forward (docs: "Framework-dependent apps roll forward"): the requested version is the floor.
    [TestMethod]
    [DataRow("10.0.0", null, new[] { "10.0.3", "10.0.5" }, "10.0.5", DisplayName = "Minor (default): the newest patch of the requested minor")]
    [DataRow("10.0.0", null, new[] { "10.1.2", "10.2.0" }, "10.1.2", DisplayName = "Minor: the lowest higher minor when the requested one is missing")]
    [DataRow("10.0.0", null, new[] { "11.0.0" }, null, DisplayName = "Minor: never another major")]
    [DataRow("10.0.0", "LatestMinor", new[] { "10.0.5", "10.1.0" }, "10.1.0", DisplayName = "LatestMinor: the newest minor")]
    [DataRow("10.0.0", "LatestPatch", new[] { "10.1.0" }, null, DisplayName = "LatestPatch: only patches")]
    [DataRow("10.0.0", "Major", new[] { "11.0.4", "12.0.0" }, "11.0.4", DisplayName = "Major: the lowest higher major")]
    [DataRow("10.0.2", "Disable", new[] { "10.0.2", "10.0.3" }, "10.0.2", DisplayName = "Disable: exactly the version")]
    [DataRow("10.0.4", null, new[] { "10.0.3" }, null, DisplayName = "An older patch does not satisfy")]
    [DataRow("10.0.0", null, new[] { "10.0.1-rc.1", "10.0.0" }, "10.0.0", DisplayName = "A release reference prefers releases")]
    public void Frameworks_resolve_as_the_dotnet_host_resolves_them(string requested, string? rollForward, string[] installed, string? expected)
    {
        var reference = RuntimeFrameworks.Read(Config(requested, rollForward), "/app/app.runtimeconfig.json", null).Single();
        Assert.AreEqual(expected, RuntimeFrameworks.Resolve(reference, Versions(installed))?.ToNormalizedString());
    }

    [TestMethod]
    public void DOTNET_ROLL_FORWARD_in_the_image_wins_and_a_self_contained_app_needs_no_framework()
    {
        var reference = RuntimeFrameworks.Read(Config("10.0.0", "Minor"), "/app/app.runtimeconfig.json", "LatestMinor").Single();
        Assert.AreEqual("10.1.0", RuntimeFrameworks.Resolve(reference, Versions("10.0.5", "10.1.0"))!.ToNormalizedString());
        Assert.IsEmpty(RuntimeFrameworks.Read("""{ "runtimeOptions": { "includedFrameworks": [ { "name": "Microsoft.NETCore.App", "version": "10.0.0" } ] } }""", "f", null));
        Assert.IsEmpty(RuntimeFrameworks.Read("not json", "f", null), "a file that is no runtimeconfig names no framework");
        var two = RuntimeFrameworks.Read("""{ "runtimeOptions": { "frameworks": [ { "name": "Microsoft.NETCore.App", "version": "10.0.0" }, { "name": "Microsoft.AspNetCore.App", "version": "10.0.0", "rollForward": "LatestPatch" } ] } }""", "f", null);
        CollectionAssert.AreEqual(new[] { "Microsoft.NETCore.App", "Microsoft.AspNetCore.App" }, two.Select(r => r.Name).ToArray());
        Assert.AreEqual("LatestPatch", two[1].RollForward.ToString());
    }

    private static LineageEntry Old(string? packageId) => new() { Repository = "registry.example/global/runtime", Digest = "sha256:" + new string('a', 64), PackageId = packageId, PackageVersion = packageId is null ? null : "1.0.0.1" };

    private static BaseImageSelection Package(string id, string repository = "global/runtime") => new(
        ImageReference.Parse($"registry.example/{repository}@sha256:{new string('b', 64)}"),
        new BaseImageDescriptor { Id = id, Version = "1.0.0.2" });

    [TestMethod]
    public void The_line_is_the_same_package_or_its_named_successor()
    {
        Assert.IsNull(BaseLine.WhyNot(Old("Contoso.Runtime"), Package("Contoso.Runtime"), []), "another version of the same package");
        Assert.IsNull(BaseLine.WhyNot(Old("Contoso.Runtime"), Package("Contoso.Runtime.Noble", "global/noble"), ["Contoso.Runtime.Noble 2.0.0"]), "the successor the lifecycle names");
        StringAssert.Contains(BaseLine.WhyNot(Old("Contoso.Runtime"), Package("Other.Base"), []), "which names no successor");
        StringAssert.Contains(BaseLine.WhyNot(Old("Contoso.Runtime"), Package("Other.Base"), ["Contoso.Runtime.Noble/2.0.0"]), "whose successor is Contoso.Runtime.Noble");
        var byDigest = new BaseImageSelection(ImageReference.Parse($"registry.example/global/runtime@sha256:{new string('c', 64)}"), null);
        StringAssert.Contains(BaseLine.WhyNot(Old("Contoso.Runtime"), byDigest, []), "is not pinned by a version of it");
        Assert.IsNull(BaseLine.WhyNot(Old(null), byDigest, []), "an image on an upstream stays on its repository");
        StringAssert.Contains(BaseLine.WhyNot(Old(null), new BaseImageSelection(ImageReference.Parse($"registry.example/other/os@sha256:{new string('c', 64)}"), null), []), "another repository");
        Assert.AreEqual("Contoso.Runtime", BaseLine.SuccessorId(" Contoso.Runtime@sha256:x"));
    }

    [TestMethod]
    public void A_fleet_counts_refusals_as_needing_a_rebuild_and_the_rest_as_failures()
    {
        foreach (var code in new[] { "BAKE600", "BAKE601", "BAKE602", "BAKE603", "BAKE604", "BAKE605", "BAKE606", "BAKE607", "BAKE608", "BAKE611", "BAKE615" })
            Assert.IsTrue(FleetRebase.IsRefusal(code), code);
        foreach (var code in new[] { "BAKE301", "BAKE306", "BAKE403", "BAKE609", "BAKE613", "BAKE616" })
            Assert.IsFalse(FleetRebase.IsRefusal(code), code);
    }
}
