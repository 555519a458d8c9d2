using Bakery.Core.Descriptors;
using NuGet.Versioning;

namespace Bakery.Tests.Unit;

/// <summary>BAKE110 only for a newer version the project's own range allows.</summary>
[TestClass]
public sealed class NewerVersionsTests
{
    private static readonly NuGetVersion[] Feed = new[] { "10.0.3.1", "10.0.3.7", "10.0.4.2", "10.1.0.1", "11.0.0.1" }.Select(NuGetVersion.Parse).ToArray();

    [TestMethod]
    [DataRow("10.0.*", "10.0.4.2", DisplayName = "floating patch stays in 10.0")]
    [DataRow("10.0.3.*", "10.0.3.7", DisplayName = "floating build stays in 10.0.3")]
    [DataRow("10.*", "10.1.0.1", DisplayName = "floating minor stays in 10")]
    [DataRow("[10.0.3.1, 10.1)", "10.0.4.2", DisplayName = "an interval")]
    [DataRow("10.0.3.1", "11.0.0.1", DisplayName = "a plain version means that or later")]
    [DataRow("[10.0.3.1]", null, DisplayName = "an exact pin allows nothing newer")]
    [DataRow(null, "11.0.0.1", DisplayName = "no range: any newer")]
    public void The_newest_allowed_version_respects_the_range(string? range, string? expected)
    {
        var found = NewerVersions.Find(Feed, NuGetVersion.Parse("10.0.3.1"), range);
        Assert.AreEqual(expected, found.NewestAllowed?.ToNormalizedString());
        Assert.AreEqual("11.0.0.1", found.Newest!.ToNormalizedString());
    }

    [TestMethod]
    public void Nothing_newer_gives_nothing()
    {
        var found = NewerVersions.Find(Feed, NuGetVersion.Parse("11.0.0.1"), "11.*");
        Assert.IsNull(found.NewestAllowed);
        Assert.IsNull(found.Newest);
    }

    [TestMethod]
    public void Bakery_tags_become_versions_and_other_tags_are_ignored() =>
        CollectionAssert.AreEquivalent(new[] { "10.0.3", "10.0.3.42", "10.0.4" },
            NewerVersions.FromTags(["10.0.3", "10.0.3-build.42", "10.0.4", "10.0.4-build.x", "latest", "10.0.5-rc.1", "sha256-abc"]).Select(v => v.ToNormalizedString()).ToArray());
}
