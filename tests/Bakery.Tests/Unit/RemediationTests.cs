using Bakery.Core;
using Bakery.Core.Descriptors;
using Bakery.Core.Remediation;
using Bakery.Tests.Infrastructure;
using NuGet.Versioning;

namespace Bakery.Tests.Unit;

/// <summary>The rebuild plan's order and actions, the registry descendants, and the version edits.</summary>
[TestClass]
public sealed class RemediationTests
{
    private static readonly string Old = "sha256:" + new string('0', 64);
    private static readonly string New = "sha256:" + new string('1', 64);
    private static readonly FixedBase Fixed = new("Contoso.Runtime", NuGetVersion.Parse("10.0.4.43"), "reg:5000/global/runtime", New);

    private static PackageVersionReference Ref(string id, string spec, string? file = null) =>
        new(id, spec, file is null ? null : new VersionLocation(file, 3, spec, "test.csproj (PackageReference)"));

    private static SourceProject Project(string name, string? publishes, params PackageVersionReference[] references) =>
        new(name, $"/src/{name}/{name}.csproj", publishes, references);

    [TestMethod]
    public void The_plan_goes_global_to_local_to_apps_and_skips_what_is_unrelated_or_already_fixed()
    {
        var projects = new[]
        {
            Project("web-app", null, Ref("Contoso.TeamWeb", "1.4.*")),
            Project("team-web", "Contoso.TeamWeb", Ref("Contoso.Runtime", "10.0.3.42", "/src/team-web/team-web.csproj")),
            Project("worker", null, Ref("Contoso.TeamJobs", "[2.0.0]")),
            Project("team-jobs", "Contoso.TeamJobs", Ref("Contoso.Runtime", "10.0.*")),
            Project("unrelated", null, Ref("Newtonsoft.Json", "13.0.3")),
            Project("already-fixed", null, Ref("Contoso.Runtime", "10.0.4.43")),
            Project("newer", null, Ref("Contoso.Runtime", "10.0.5")),
        };
        var plan = RemediationPlanner.Plan(Fixed, projects, []);

        CollectionAssert.AreEqual(new[] { "team-jobs", "team-web", "web-app", "worker" }, plan.Steps.Select(s => s.Project).ToArray());
        CollectionAssert.AreEqual(new[] { 1, 2, 3, 4 }, plan.Steps.Select(s => s.Order).ToArray());
        CollectionAssert.AreEqual(new[] { 1, 1, 2, 2 }, plan.Steps.Select(s => s.Depth).ToArray());

        var jobs = plan.Steps[0];
        Assert.IsNull(jobs.Edit, "10.0.* floats to the fix");
        StringAssert.Contains(jobs.Action, "restore picks 10.0.4.43");

        var web = plan.Steps[1];
        Assert.AreEqual(new VersionEdit("/src/team-web/team-web.csproj", 3, "10.0.3.42", "10.0.4.43"), web.Edit);
        StringAssert.Contains(web.Action, "bump Contoso.Runtime 10.0.3.42 → 10.0.4.43");

        Assert.AreEqual("team-web", plan.Steps[2].After);
        StringAssert.Contains(plan.Steps[2].Action, "restore picks it ('1.4.*')");
        Assert.AreEqual("team-jobs", plan.Steps[3].After);
        StringAssert.Contains(plan.Steps[3].Action, "set Contoso.TeamJobs to its new version (now '[2.0.0]')");
    }

    [TestMethod]
    public void A_version_that_cannot_be_located_or_parsed_is_a_manual_step()
    {
        var plan = RemediationPlanner.Plan(Fixed, [Project("a", null, Ref("Contoso.Runtime", "10.0.1")), Project("b", null, Ref("Contoso.Runtime", "$(Nope"))], []);
        Assert.IsTrue(plan.Steps.All(s => s.Edit is null));
        StringAssert.Contains(plan.Steps[0].Action, "not written where bakery can edit it");
        StringAssert.Contains(plan.Steps[1].Action, "is not a NuGet version");
    }

    [TestMethod]
    public void A_floating_range_that_excludes_the_fix_is_edited()
    {
        var plan = RemediationPlanner.Plan(Fixed, [Project("old", null, Ref("Contoso.Runtime", "9.*", "/src/old.csproj"))], []);
        Assert.AreEqual("10.0.4.43", plan.Steps.Single().Edit!.NewText);
    }

    [TestMethod]
    public void Registry_images_are_found_by_a_replaced_digest_in_their_lineage_nearest_first()
    {
        LineageEntry Global(string digest) => new() { Repository = "reg:5000/global/runtime", Digest = digest, PackageId = "Contoso.Runtime" };
        var team = new LineageEntry { Repository = "reg:5000/team/web", Digest = "sha256:" + new string('2', 64) };
        var images = new[]
        {
            new RegistryImage("reg:5000/apps/web", "sha256:" + new string('a', 64), ["1.0.0"], [team, Global(Old)]),
            new RegistryImage("reg:5000/team/web", "sha256:" + new string('2', 64), ["1.4.0"], [Global(Old)]),
            new RegistryImage("reg:5000/apps/fixed", "sha256:" + new string('b', 64), ["2.0.0"], [team, Global(New)]),
            new RegistryImage("reg:5000/apps/other", "sha256:" + new string('c', 64), ["1.0.0"], [new LineageEntry { Repository = "reg:5000/else", Digest = Old }]),
        };
        var found = RemediationPlanner.Plan(Fixed, [], images).RegistryImages;
        CollectionAssert.AreEqual(new[] { "reg:5000/team/web", "reg:5000/apps/web" }, found.Select(f => f.Image).ToArray());
        CollectionAssert.AreEqual(new[] { 1, 2 }, found.Select(f => f.Depth).ToArray());
        Assert.IsTrue(found.All(f => f.ReplacedDigest == Old));
    }

    [TestMethod]
    public void An_image_on_one_platform_of_the_fixed_index_is_not_outdated_and_one_on_the_old_index_is()
    {
        // The fixed package pins an index (New); a single-platform image records its platform image and that index.
        var onFixed = new LineageEntry { Repository = "reg:5000/global/runtime", Digest = "sha256:" + new string('e', 64), Index = New };
        var onOld = new LineageEntry { Repository = "reg:5000/global/runtime", Digest = "sha256:" + new string('f', 64), Index = Old };
        var found = RemediationPlanner.Plan(Fixed, [], [
            new RegistryImage("reg:5000/apps/arm", "sha256:" + new string('a', 64), ["1.0.0"], [onFixed]),
            new RegistryImage("reg:5000/apps/old-arm", "sha256:" + new string('b', 64), ["1.0.0"], [onOld])]).RegistryImages;
        Assert.AreEqual("reg:5000/apps/old-arm", found.Single().Image);
    }

    [TestMethod]
    public void Edits_change_only_the_version_text_and_keep_line_endings()
    {
        var dir = TestPaths.NewTempDirectory("edits");
        var props = Path.Combine(dir, "Directory.Packages.props");
        const string original = "<Project>\r\n  <ItemGroup>\r\n    <PackageVersion Include=\"Contoso.Runtime\" Version=\"10.0.3\" />\r\n    <PackageVersion Include=\"Other\" Version=\"10.0.3\" />\r\n  </ItemGroup>\r\n</Project>\r\n";
        File.WriteAllText(props, original);
        var csproj = Path.Combine(dir, "app.csproj");
        File.WriteAllText(csproj, "<Project>\n  <PropertyGroup>\n    <RuntimeVersion>10.0.3</RuntimeVersion>\n  </PropertyGroup>\n</Project>\n");

        var files = VersionEditor.Apply([new VersionEdit(props, 3, "10.0.3", "10.0.4.43"), new VersionEdit(csproj, 3, "10.0.3", "10.0.4.43")]);

        Assert.HasCount(2, files);
        Assert.AreEqual(original.Replace("\"Contoso.Runtime\" Version=\"10.0.3\"", "\"Contoso.Runtime\" Version=\"10.0.4.43\""), File.ReadAllText(props));
        StringAssert.Contains(File.ReadAllText(csproj), "<RuntimeVersion>10.0.4.43</RuntimeVersion>");
        Directory.Delete(dir, recursive: true);
    }

    [TestMethod]
    public void An_edit_whose_text_moved_is_BAKE313_and_no_file_is_written()
    {
        var dir = TestPaths.NewTempDirectory("edits");
        var first = Path.Combine(dir, "a.csproj");
        var second = Path.Combine(dir, "b.csproj");
        File.WriteAllText(first, "<Project>\n<X>1.0.0</X>\n</Project>\n");
        File.WriteAllText(second, "<Project>\n<X>1.0.0.5</X>\n</Project>\n");

        var e = Assert.ThrowsExactly<BakeryException>(() =>
            VersionEditor.Apply([new VersionEdit(first, 2, "1.0.0", "2.0.0"), new VersionEdit(second, 2, "1.0.0", "2.0.0")]));

        Assert.AreEqual("BAKE313", e.Code);
        StringAssert.Contains(File.ReadAllText(first), "<X>1.0.0</X>", "the first file is untouched too");
        StringAssert.Contains(File.ReadAllText(second), "<X>1.0.0.5</X>", "1.0.0 inside 1.0.0.5 is not the whole value");
        Directory.Delete(dir, recursive: true);
    }
}
