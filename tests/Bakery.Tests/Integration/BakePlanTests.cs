using System.Text.Json;
using Bakery.Core.Baking;
using Bakery.Oci.Registry;
using Bakery.Tests.Infrastructure;

namespace Bakery.Tests.Integration;

/// <summary>
/// `bakery bake`: a base-image project baked by `dotnet publish` once, then baked again by the tool
/// from its plan against a real registry: same digest and nothing uploaded when nothing changed, new
/// layer contents picked up, a changed project refused (BAKE506), the base's lifecycle judged now.
/// </summary>
[TestClass]
[TestCategory("Integration")]
public sealed class BakePlanTests
{
    private static RegistryProcess s_registry = null!;
    private static BakeryWorkspace s_workspace = null!;
    private static TestImages.PushedImage s_upstream = null!;

    [ClassInitialize]
    public static async Task Initialize(TestContext _)
    {
        s_registry = SharedRegistry.Instance;
        s_workspace = new BakeryWorkspace("bakeplan", pushTo: s_registry.Address);
        s_upstream = await TestImages.PushBaseAsync(s_registry.Address, "upstream/planos", "upstream");
    }

    [ClassCleanup]
    public static void Cleanup()
    {
        s_workspace?.Dispose();
    }

    private static ProcessResult Tool(params string[] args) => s_workspace.Tool(args);

    private static string BaseProject(string name, string baseXml)
    {
        var dir = s_workspace.CreateProject(name, $"""
              <PropertyGroup>
                <BakeryImageKind>BaseImage</BakeryImageKind>
                <PackageId>Tests.Plan.{name}</PackageId>
              </PropertyGroup>
              <ItemGroup>
                {baseXml}
                <BakeryLayer Include="files/" Destination="/opt/{name}/" Layer="files" />
                <BakeryLayer Include="conf/*.conf" Destination="/etc/{name}/" Layer="conf" />
              </ItemGroup>
            """);
        File.Delete(Path.Combine(dir, "Program.cs"));
        Directory.CreateDirectory(Path.Combine(dir, "files"));
        Directory.CreateDirectory(Path.Combine(dir, "conf"));
        File.WriteAllText(Path.Combine(dir, "files", "marker.txt"), name);
        File.WriteAllText(Path.Combine(dir, "conf", "a.conf"), "a=1\n");
        return dir;
    }

    private static string BakedDigest(ProcessResult result)
    {
        Assert.AreEqual(0, result.ExitCode, result.Output);
        return result.Output.Split('\n').First(l => l.Contains("Baked ")).Split('@')[1].Trim();
    }

    private static JsonElement BakeWithTool(string dir, string buildId)
    {
        var result = Tool("bake", dir, "--build-id", buildId, "--json");
        Assert.AreEqual(0, result.ExitCode, result.Output);
        // Progress goes to stderr, the JSON answer to stdout: the answer is the lines from "{" to "}".
        var lines = result.Output.Split('\n');
        var start = Array.FindIndex(lines, l => l.TrimEnd() == "{");
        var end = Array.FindLastIndex(lines, l => l.TrimEnd() == "}");
        return JsonDocument.Parse(string.Join('\n', lines[start..(end + 1)])).RootElement;
    }

    [TestMethod]
    public async Task The_tool_rebakes_from_the_plan_with_the_same_digest_a_new_build_tag_and_nothing_uploaded()
    {
        var dir = BaseProject("same", $"""<BakeryUpstream Include="{s_upstream.Reference}" />""");
        var digest = BakedDigest(s_workspace.Bake(dir, "BakeryBuildId=1"));
        Assert.IsTrue(File.Exists(Path.Combine(dir, "obj", "Release", "net10.0", "bakery", BakePlan.FileName)), "a base bake writes its plan");

        var rebake = BakeWithTool(dir, "7");
        Assert.AreEqual(digest, rebake.GetProperty("digest").GetString());
        CollectionAssert.AreEquivalent(new[] { "1.0.0", "1.0.0-build.7" }, rebake.GetProperty("tags").EnumerateArray().Select(t => t.GetString()).ToArray());
        Assert.AreEqual(0, rebake.GetProperty("push").GetProperty("bytesUploaded").GetInt64());
        using var client = new RegistryClient(s_registry.Address);
        CollectionAssert.Contains((await client.ListTagsAsync("tests/same")).ToList(), "1.0.0-build.7");
        var report = BakeReportReader(rebake.GetProperty("report").GetString()!);
        Assert.AreEqual("7", report.GetProperty("buildId").GetString(), "the report is the tool's bake");
    }

    [TestMethod]
    public void Changed_layer_contents_are_baked_without_a_new_plan_and_a_new_matching_file_makes_it_stale()
    {
        var dir = BaseProject("contents", $"""<BakeryUpstream Include="{s_upstream.Reference}" />""");
        var digest = BakedDigest(s_workspace.Bake(dir, "BakeryBuildId=1"));

        File.WriteAllText(Path.Combine(dir, "files", "marker.txt"), "changed");
        File.WriteAllText(Path.Combine(dir, "files", "added.txt"), "a folder layer takes new files");
        var changed = BakeWithTool(dir, "2").GetProperty("digest").GetString();
        Assert.AreNotEqual(digest, changed, "layer sources are read by the bake, not recorded in the plan");
        Assert.AreEqual(changed, BakedDigest(s_workspace.Bake(dir, "BakeryBuildId=3")), "the tool and dotnet publish bake the same image");

        // conf/*.conf was expanded by MSBuild: a new matching file needs a new evaluation.
        File.WriteAllText(Path.Combine(dir, "conf", "b.conf"), "b=2\n");
        var stale = Tool("bake", dir, "--build-id", "4");
        Assert.AreEqual(1, stale.ExitCode, stale.Output);
        StringAssert.Contains(stale.Output, "BAKE506");
        StringAssert.Contains(stale.Output, Path.Combine(dir, "conf") + " changed since");
    }

    [TestMethod]
    public async Task A_changed_project_file_is_BAKE506_and_nothing_is_tagged()
    {
        var dir = BaseProject("edited", $"""<BakeryUpstream Include="{s_upstream.Reference}" />""");
        BakedDigest(s_workspace.Bake(dir, "BakeryBuildId=1"));
        var project = Path.Combine(dir, "edited.csproj");
        File.AppendAllText(project, "<!-- edited -->\n");

        var result = Tool("bake", dir, "--build-id", "2");
        Assert.AreEqual(1, result.ExitCode, result.Output);
        StringAssert.Contains(result.Output, $"BAKE506: The bake plan");
        StringAssert.Contains(result.Output, $"{project} changed since");
        StringAssert.Contains(result.Output, "dotnet publish -p:BakeImage=true");
        using var client = new RegistryClient(s_registry.Address);
        CollectionAssert.DoesNotContain((await client.ListTagsAsync("tests/edited")).ToList(), "1.0.0-build.2");
    }

    [TestMethod]
    public async Task A_base_revoked_after_the_plan_was_written_fails_the_rebake_with_BAKE103()
    {
        var parent = await TestImages.PushBaseAsync(s_registry.Address, "plan/parent", "parent");
        s_workspace.AddBasePackage(BasePackageWriter.Descriptor("Tests.Plan.Parent", "1.0.0", parent, expires: DateTimeOffset.UtcNow.AddYears(1)));
        var dir = BaseProject("child", """<PackageReference Include="Tests.Plan.Parent" Version="1.0.0" />""");
        BakedDigest(s_workspace.Bake(dir, "BakeryBuildId=1"));

        Assert.AreEqual(0, Tool("lifecycle", "revoke", parent.Reference, "--reason", "CVE-2026-4242").ExitCode);
        var result = Tool("bake", dir, "--build-id", "2");
        Assert.AreEqual(3, result.ExitCode, result.Output);
        StringAssert.Contains(result.Output, "BAKE103");
        StringAssert.Contains(result.Output, "CVE-2026-4242");
        using var client = new RegistryClient(s_registry.Address);
        CollectionAssert.DoesNotContain((await client.ListTagsAsync("tests/child")).ToList(), "1.0.0-build.2");
    }

    [TestMethod]
    public void A_project_never_baked_has_no_plan_BAKE506()
    {
        var dir = s_workspace.CreateProject("neverbaked");
        var result = Tool("bake", dir);
        Assert.AreEqual(1, result.ExitCode, result.Output);
        StringAssert.Contains(result.Output, "BAKE506");
        StringAssert.Contains(result.Output, "there is none");
    }

    private static JsonElement BakeReportReader(string path) => JsonDocument.Parse(File.ReadAllText(path)).RootElement;
}
