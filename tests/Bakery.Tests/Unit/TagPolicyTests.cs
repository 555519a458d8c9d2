using Bakery.Core;
using Bakery.Core.Tags;

namespace Bakery.Tests.Unit;

[TestClass]
public sealed class TagPolicyTests
{
    private static TagRequest Request(string? buildId = "42", string[]? extra = null, bool allowLatest = false, string version = "1.2.0") => new()
    {
        ImageName = "localhost:5000/team/app",
        Version = version,
        BuildId = buildId,
        ExtraTags = extra ?? [],
        AllowLatest = allowLatest,
    };

    [TestMethod]
    public void Build_id_and_version_make_the_tags()
    {
        var decision = TagPolicy.Decide(Request());
        CollectionAssert.AreEqual(new[] { "1.2.0", "1.2.0-build.42" }, decision.Tags.ToArray());
        Assert.IsEmpty(decision.Diagnostics);
    }

    [TestMethod]
    public void Without_a_build_id_the_image_is_tagged_local_with_BAKE410()
    {
        var decision = TagPolicy.Decide(Request(buildId: null));
        CollectionAssert.AreEqual(new[] { "1.2.0-local" }, decision.Tags.ToArray());
        Assert.AreEqual("BAKE410", decision.Diagnostics.Single().Code);
    }

    [TestMethod]
    [DataRow("latest")]
    [DataRow("LATEST")]
    public void Latest_is_refused_with_BAKE401(string tag)
    {
        var error = Assert.ThrowsExactly<BakeryException>(() => TagPolicy.Decide(Request(extra: [tag])));
        Assert.AreEqual("BAKE401", error.Code);
        StringAssert.Contains(error.Message, "localhost:5000/team/app");
    }

    [TestMethod]
    public void Latest_is_kept_when_allowed()
    {
        CollectionAssert.Contains(TagPolicy.Decide(Request(extra: ["latest"], allowLatest: true)).Tags.ToList(), "latest");
    }

    [TestMethod]
    public void Invalid_extra_tag_is_BAKE404()
    {
        Assert.AreEqual("BAKE404", Assert.ThrowsExactly<BakeryException>(() => TagPolicy.Decide(Request(extra: [".hidden"]))).Code);
    }

    [TestMethod]
    public void Version_build_metadata_is_made_tag_safe()
    {
        CollectionAssert.Contains(TagPolicy.Decide(Request(version: "1.2.0+abc123", buildId: "7/1")).Tags.ToList(), "1.2.0-abc123-build.7-1");
    }

    [TestMethod]
    public void Duplicate_tags_appear_once()
    {
        Assert.HasCount(2, TagPolicy.Decide(Request(extra: ["1.2.0"])).Tags);
    }

    [TestMethod]
    public void Build_id_comes_from_BakeryBuildId_then_the_CI_variables_in_order()
    {
        var env = new Dictionary<string, string> { ["BUILD_BUILDID"] = "az-9", ["BUILD_NUMBER"] = "jenkins-3" };
        Assert.AreEqual(("x", "BakeryBuildId"), BuildIdResolver.Resolve("x", n => env.GetValueOrDefault(n)));
        Assert.AreEqual(("az-9", "BUILD_BUILDID"), BuildIdResolver.Resolve(null, n => env.GetValueOrDefault(n)));
        env["GITHUB_RUN_NUMBER"] = "12";
        Assert.AreEqual(("12", "GITHUB_RUN_NUMBER"), BuildIdResolver.Resolve(" ", n => env.GetValueOrDefault(n)));
        Assert.AreEqual(((string?)null, "none"), BuildIdResolver.Resolve(null, _ => null));
    }
}
