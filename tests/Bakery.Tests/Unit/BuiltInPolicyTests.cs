using System.Text;
using Bakery.Core.Verification;
using Bakery.Oci.Model;

namespace Bakery.Tests.Unit;

[TestClass]
public sealed class BuiltInPolicyTests
{
    private static ImageConfig Config(string labels) =>
        ImageConfig.Parse(Encoding.UTF8.GetBytes("{\"architecture\":\"amd64\",\"os\":\"linux\",\"config\":{\"Labels\":{" + labels + "}},\"rootfs\":{\"type\":\"layers\",\"diff_ids\":[]}}"));

    private static readonly ImageReference Pinned = ImageReference.Parse("localhost:5000/base@sha256:" + new string('a', 64));

    [TestMethod]
    public void Pinned_base_and_present_labels_pass()
    {
        var results = BuiltInPolicies.Evaluate(Config("\"team\":\"web\""), Pinned, [new RequiredLabel("team")]);
        Assert.HasCount(2, results);
        Assert.IsTrue(results.All(r => r.Passed && r.Suite == "policy" && r.File == BuiltInPolicies.File));
    }

    [TestMethod]
    public void Missing_or_empty_labels_fail_and_keep_who_required_them()
    {
        var results = BuiltInPolicies.Evaluate(Config("\"team\":\" \""), Pinned, [new RequiredLabel("team", "Contoso.Global"), new RequiredLabel("service")]);
        var team = results.Single(r => r.Name == "label team");
        Assert.IsFalse(team.Passed);
        Assert.AreEqual("Contoso.Global", team.InheritedFrom);
        StringAssert.Contains(team.Failure, "<ContainerLabel Include=\"team\"");
        Assert.IsNull(results.Single(r => r.Name == "label service").InheritedFrom);
    }

    [TestMethod]
    public void A_base_reference_without_a_digest_fails_the_pin_policy()
    {
        var result = BuiltInPolicies.Evaluate(Config(""), ImageReference.Parse("localhost:5000/base:1.0"), []).Single();
        Assert.IsFalse(result.Passed);
        StringAssert.Contains(result.Failure, "has no digest");
    }

    [TestMethod]
    public void Merging_for_a_package_keeps_each_label_once_with_the_nearest_setter()
    {
        var merged = BuiltInPolicies.Merge(["team", " ", "owner"], "Contoso.Local", [new RequiredLabel("owner", "Contoso.Global"), new RequiredLabel("vendor", "Contoso.Global")]);
        CollectionAssert.AreEqual(new[] { "team@Contoso.Local", "owner@Contoso.Local", "vendor@Contoso.Global" }, merged.Select(l => $"{l.Name}@{l.SetBy}").ToArray());
    }
}
