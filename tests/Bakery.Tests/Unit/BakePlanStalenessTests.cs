using Bakery.Core.Baking;
using Bakery.Tests.Infrastructure;

namespace Bakery.Tests.Unit;

/// <summary>When a bake plan still describes its project, and the commit a working tree is at.</summary>
[TestClass]
public sealed class BakePlanStalenessTests
{
    private string _root = null!;

    [TestInitialize]
    public void Create() => _root = TestPaths.NewTempDirectory("plan-staleness");

    [TestCleanup]
    public void Delete() => Directory.Delete(_root, recursive: true);

    private (BakePlan Plan, string Project, string Layers) Plan(string? revision = null)
    {
        var project = Path.Combine(_root, "src", "base", "base.csproj");
        var layers = Path.Combine(_root, "src", "base", "conf");
        Directory.CreateDirectory(layers);
        File.WriteAllText(project, "<Project />");
        File.WriteAllText(Path.Combine(layers, "a.conf"), "a");
        var inputs = new BakeInputs
        {
            ProjectFile = project,
            BaseImageReference = "localhost:5000/up@sha256:" + new string('a', 64),
            Repository = "base",
            Version = "1.0.0",
            Revision = revision,
            Layers = [new BakeItem("conf/a.conf", new Dictionary<string, string> { ["FullPath"] = Path.Combine(layers, "a.conf"), ["Destination"] = "/etc/" })],
            IntermediateDirectory = Path.Combine(_root, "obj"),
            ReportDirectory = Path.Combine(_root, "obj"),
        };
        return (BakePlan.Create(inputs, [project]), project, layers);
    }

    [TestMethod]
    public void A_plan_of_an_unchanged_project_is_fresh_and_survives_a_round_trip()
    {
        var (plan, _, _) = Plan();
        Assert.IsNull(plan.WhyStale());
        var path = Path.Combine(_root, "obj", BakePlan.FileName);
        plan.Save(path);
        var loaded = BakePlan.Load(path);
        Assert.IsNull(loaded.WhyStale());
        Assert.AreEqual("/etc/", loaded.Inputs.Layers[0].Get("Destination"));
        CollectionAssert.AreEqual(plan.DependsOn.ToArray(), loaded.DependsOn.ToArray());
    }

    [TestMethod]
    public void A_new_Directory_Build_props_above_the_project_makes_it_stale()
    {
        var (plan, _, _) = Plan();
        var props = Path.Combine(_root, "src", "Directory.Build.props");
        File.WriteAllText(props, "<Project />");
        Assert.AreEqual($"{props} was created since.", plan.WhyStale());
    }

    [TestMethod]
    public void An_edited_project_or_a_new_file_beside_a_layer_file_makes_it_stale()
    {
        var (plan, _, layers) = Plan();
        File.WriteAllText(Path.Combine(layers, "b.conf"), "b");
        Directory.SetLastWriteTimeUtc(layers, DateTime.UtcNow.AddMinutes(1));
        Assert.AreEqual($"{layers} changed since.", plan.WhyStale());

        (plan, var project, _) = Plan();
        File.WriteAllText(project, "<Project><!-- edited --></Project>");
        Assert.AreEqual($"{project} changed since.", plan.WhyStale());
    }

    [TestMethod]
    public void A_plan_from_another_Bakery_version_or_commit_is_stale()
    {
        var (plan, _, _) = Plan();
        StringAssert.StartsWith((plan with { BakeryVersion = "0.0.1" }).WhyStale(), "it was written by Bakery 0.0.1");

        var head = new string('1', 40);
        WriteRepository(head);
        Assert.IsNull(Plan(revision: head).Plan.WhyStale());
        StringAssert.StartsWith(Plan(revision: new string('2', 40)).Plan.WhyStale(), $"the sources are at commit {head}");
    }

    [TestMethod]
    public void Git_revision_is_read_from_loose_refs_packed_refs_detached_heads_and_worktree_links()
    {
        var loose = new string('a', 40);
        WriteRepository(loose);
        Assert.AreEqual(loose, GitRevision.Find(Path.Combine(_root, "src")));

        var packed = new string('b', 40);
        File.Delete(Path.Combine(_root, ".git", "refs", "heads", "main"));
        File.WriteAllText(Path.Combine(_root, ".git", "packed-refs"), $"# pack-refs with: peeled\n{packed} refs/heads/main\n");
        Assert.AreEqual(packed, GitRevision.Find(_root));

        var detached = new string('c', 40);
        File.WriteAllText(Path.Combine(_root, ".git", "HEAD"), detached + "\n");
        Assert.AreEqual(detached, GitRevision.Find(_root));

        var worktree = Path.Combine(_root, "wt");
        var worktreeGit = Path.Combine(_root, ".git", "worktrees", "wt");
        Directory.CreateDirectory(worktree);
        Directory.CreateDirectory(worktreeGit);
        File.WriteAllText(Path.Combine(worktree, ".git"), $"gitdir: {worktreeGit}\n");
        File.WriteAllText(Path.Combine(worktreeGit, "HEAD"), "ref: refs/heads/main\n");
        File.WriteAllText(Path.Combine(worktreeGit, "commondir"), "../..\n");
        Assert.AreEqual(packed, GitRevision.Find(worktree), "a worktree's branch is resolved in the main repository");

        Assert.IsNull(GitRevision.Find(Path.GetPathRoot(_root)!), "no repository above the root");
    }

    private void WriteRepository(string head)
    {
        Directory.CreateDirectory(Path.Combine(_root, ".git", "refs", "heads"));
        File.WriteAllText(Path.Combine(_root, ".git", "HEAD"), "ref: refs/heads/main\n");
        File.WriteAllText(Path.Combine(_root, ".git", "refs", "heads", "main"), head + "\n");
    }
}
