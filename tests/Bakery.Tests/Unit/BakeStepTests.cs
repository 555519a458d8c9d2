using Bakery.Core;
using Bakery.Core.Baking;
using Bakery.Oci.Layers;
using Bakery.Tests.Infrastructure;

namespace Bakery.Tests.Unit;

/// <summary>Step order (After), owner names from the image's account files, and owners in layer entries.</summary>
[TestClass]
public sealed class BakeStepTests
{
    private static LocalLayer Layer(string name, string? after = null) => new(name, [], after);
    private static RunStep Run(string name, string? after = null) => new($"echo {name}", null, TimeSpan.FromMinutes(1), name, after);

    private static string Order(IReadOnlyList<IBakeStep> steps) => string.Join(" ", steps.Select(s => s.StepName));

    [TestMethod]
    public void Without_After_layers_come_first_then_runs_in_declaration_order() =>
        Assert.AreEqual("tools config install trust", Order(BakeStepOrder.Arrange([Layer("tools"), Layer("config")], [Run("install"), Run("trust")])));

    [TestMethod]
    public void After_moves_a_step_behind_the_one_it_names_keeping_declaration_order_among_followers()
    {
        var steps = BakeStepOrder.Arrange(
            [Layer("debs"), Layer("home", after: "create-user"), Layer("profile", after: "create-user")],
            [Run("create-user"), Run("install", after: "debs"), Run("cleanup")]);
        Assert.AreEqual("debs install create-user home profile cleanup", Order(steps));
    }

    [TestMethod]
    public void Steps_without_After_keep_the_default_order_around_the_ones_that_have_it()
    {
        var steps = BakeStepOrder.Arrange([Layer("data", after: "create-svc"), Layer("tools")], [Run("create-svc"), Run("use-tool", after: "tools")]);
        Assert.AreEqual("tools use-tool create-svc data", Order(steps));
    }

    [TestMethod]
    public void A_chain_of_After_is_followed()
    {
        var steps = BakeStepOrder.Arrange([Layer("a", after: "r2"), Layer("b")], [Run("r1", after: "b"), Run("r2", after: "r1")]);
        Assert.AreEqual("b r1 r2 a", Order(steps));
    }

    [TestMethod]
    public void An_unknown_name_or_a_cycle_is_BAKE505()
    {
        var unknown = Assert.ThrowsExactly<BakeryException>(() => BakeStepOrder.Arrange([Layer("a", after: "nope")], []));
        Assert.AreEqual("BAKE505", unknown.Code);
        StringAssert.Contains(unknown.Message, "the steps are a");
        var cycle = Assert.ThrowsExactly<BakeryException>(() => BakeStepOrder.Arrange([Layer("a", after: "r")], [Run("r", after: "a")]));
        StringAssert.Contains(cycle.Message, "comes back to this step");
    }

    [TestMethod]
    [DataRow("app", 1654, 1654)]
    [DataRow("app:staff", 1654, 50)]
    [DataRow("1654", 1654, 1654, DisplayName = "a known uid takes its primary group")]
    [DataRow("4000", 4000, 4000, DisplayName = "an unknown uid is its own group")]
    [DataRow("0:staff", 0, 50)]
    [DataRow("app:7", 1654, 7)]
    public void Owners_resolve_against_the_images_accounts(string owner, int uid, int gid)
    {
        var accounts = ImageAccounts.Parse("root:x:0:0:root:/root:/bin/bash\n# comment\napp:x:1654:1654::/home/app:/bin/sh\n", "root:x:0:\nstaff:x:50:\napp:x:1654:\n");
        Assert.AreEqual((uid, gid), accounts.Resolve(owner, out var problem), problem);
    }

    [TestMethod]
    public void Unknown_names_say_what_to_do()
    {
        var accounts = ImageAccounts.Parse("root:x:0:0::/root:/bin/sh\n", "root:x:0:\n");
        Assert.IsNull(accounts.Resolve("svc", out var user));
        StringAssert.Contains(user, "create it in an earlier BakeryRun step");
        Assert.IsNull(accounts.Resolve("root:wheel", out var group));
        StringAssert.Contains(group, "no group 'wheel'");
        Assert.IsTrue(ImageAccounts.TryParseNumeric("10:20", out var uid, out var gid) && uid == 10 && gid == 20);
        Assert.IsFalse(ImageAccounts.TryParseNumeric("app", out _, out _));
    }

    [TestMethod]
    public void An_owner_applies_to_what_a_source_copies_not_to_the_folders_above_it()
    {
        var dir = TestPaths.NewTempDirectory("owner");
        Directory.CreateDirectory(Path.Combine(dir, "data", "sub"));
        File.WriteAllText(Path.Combine(dir, "data", "sub", "a.txt"), "a");
        File.WriteAllText(Path.Combine(dir, "plain.txt"), "p");
        var entries = LayerPlan.Expand([
            new LayerSource(Path.Combine(dir, "data"), "/srv/app/data", Uid: 1654, Gid: 1654),
            new LayerSource(Path.Combine(dir, "plain.txt"), "/srv/app/plain.txt"),
        ]).ToDictionary(e => e.Path);
        Assert.IsNull(entries["srv"].Uid);
        Assert.IsNull(entries["srv/app"].Uid);
        Assert.AreEqual(1654, entries["srv/app/data"].Uid);
        Assert.AreEqual(1654, entries["srv/app/data/sub"].Gid);
        Assert.AreEqual(1654, entries["srv/app/data/sub/a.txt"].Uid);
        Assert.IsNull(entries["srv/app/plain.txt"].Uid);
        Directory.Delete(dir, recursive: true);
    }
}
