using System.Text.Json;
using System.Text.Json.Nodes;
using Bakery.Core.Descriptors;
using Bakery.Tests.Infrastructure;

namespace Bakery.Tests.Integration;

/// <summary>
/// `bakery remediate` over a generated tree of real projects (central package management, a version
/// in a property, a floating range) evaluated by MSBuild, and over images in a real registry.
/// </summary>
[TestClass]
[TestCategory("Integration")]
public sealed class RemediationToolTests
{
    private static RegistryProcess s_registry = null!;
    private static BakeryWorkspace s_workspace = null!;
    private static TestImages.PushedImage s_old = null!, s_fixed = null!;

    [ClassInitialize]
    public static async Task Initialize(TestContext _)
    {
        s_registry = RegistryProcess.Start();
        s_workspace = new BakeryWorkspace("remediate", pushTo: s_registry.Address);
        s_old = await TestImages.PushBaseAsync(s_registry.Address, "global/runtime", "old");
        s_fixed = await TestImages.PushBaseAsync(s_registry.Address, "global/runtime", "fixed");
        s_workspace.AddBasePackage(BasePackageWriter.Descriptor("Tests.Remedy.Global", "1.0.0", s_old));
        s_workspace.AddBasePackage(BasePackageWriter.Descriptor("Tests.Remedy.Global", "1.0.1", s_fixed));

        // In the registry: a team image on the old global, an app on that team image, and an app already on the fix.
        var globalOld = new LineageEntry { Repository = $"{s_registry.Address}/global/runtime", Digest = s_old.Digest.ToString(), PackageId = "Tests.Remedy.Global", PackageVersion = "1.0.0" };
        var globalFixed = globalOld with { Digest = s_fixed.Digest.ToString(), PackageVersion = "1.0.1" };
        var team = await TestImages.PushBaseAsync(s_registry.Address, "team/base", "team", editConfig: Lineage(globalOld));
        var teamEntry = new LineageEntry { Repository = $"{s_registry.Address}/team/base", Digest = team.Digest.ToString(), PackageId = "Tests.Remedy.Team" };
        await TestImages.PushBaseAsync(s_registry.Address, "apps/web", "web", editConfig: Lineage(teamEntry, globalOld));
        await TestImages.PushBaseAsync(s_registry.Address, "apps/current", "current", editConfig: Lineage(globalFixed));
    }

    [ClassCleanup]
    public static void Cleanup()
    {
        s_workspace?.Dispose();
        s_registry?.Dispose();
    }

    private static Action<JsonObject> Lineage(params LineageEntry[] entries) => config =>
        ((JsonObject)((JsonObject)config["config"]!)["Labels"]!)[LineageLabel.Name] = LineageLabel.Write(entries);

    private static ProcessResult Tool(params string[] args) => s_workspace.Tool(args);

    private static void Write(string path, string text)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllText(path, text);
    }

    /// <summary>cpm/: a team base and an app pinned through Directory.Packages.props; plain/: an app on the global through a property, one floating on the team.</summary>
    private static string CreateTree()
    {
        var tree = Path.Combine(s_workspace.Root, "tree-" + Guid.NewGuid().ToString("N")[..6]);
        Write(Path.Combine(tree, "cpm", "Directory.Packages.props"), """
            <Project>
              <PropertyGroup><ManagePackageVersionsCentrally>true</ManagePackageVersionsCentrally></PropertyGroup>
              <ItemGroup>
                <PackageVersion Include="Tests.Remedy.Global" Version="1.0.0" />
                <PackageVersion Include="Tests.Remedy.Team" Version="2.0.0.5" />
              </ItemGroup>
            </Project>
            """);
        Write(Path.Combine(tree, "cpm", "team-base", "team-base.csproj"), """
            <Project Sdk="Bakery.Sdk">
              <PropertyGroup>
                <BakeryImageKind>BaseImage</BakeryImageKind>
                <PackageId>Tests.Remedy.Team</PackageId>
                <Version>2.0.0</Version>
              </PropertyGroup>
              <ItemGroup><PackageReference Include="Tests.Remedy.Global" /></ItemGroup>
            </Project>
            """);
        Write(Path.Combine(tree, "cpm", "pinned-app", "pinned-app.csproj"), """
            <Project Sdk="Bakery.Sdk">
              <PropertyGroup><OutputType>Exe</OutputType><TargetFramework>net10.0</TargetFramework></PropertyGroup>
              <ItemGroup><PackageReference Include="Tests.Remedy.Team" /></ItemGroup>
            </Project>
            """);
        Write(Path.Combine(tree, "plain", "direct-app", "direct-app.csproj"), """
            <Project Sdk="Bakery.Sdk">
              <PropertyGroup>
                <OutputType>Exe</OutputType>
                <TargetFramework>net10.0</TargetFramework>
                <GlobalBaseVersion Condition="'$(GlobalBaseVersion)' == ''">1.0.0</GlobalBaseVersion>
              </PropertyGroup>
              <ItemGroup><PackageReference Include="Tests.Remedy.Global" Version="$(GlobalBaseVersion)" /></ItemGroup>
            </Project>
            """);
        Write(Path.Combine(tree, "plain", "floating-app", "floating-app.csproj"), """
            <Project Sdk="Bakery.Sdk">
              <PropertyGroup><OutputType>Exe</OutputType><TargetFramework>net10.0</TargetFramework></PropertyGroup>
              <ItemGroup><PackageReference Include="Tests.Remedy.Team" Version="2.0.*" /></ItemGroup>
            </Project>
            """);
        Write(Path.Combine(tree, "plain", "unrelated-app", "unrelated-app.csproj"), """
            <Project Sdk="Bakery.Sdk">
              <PropertyGroup><OutputType>Exe</OutputType><TargetFramework>net10.0</TargetFramework></PropertyGroup>
            </Project>
            """);
        return tree;
    }

    [TestMethod]
    public void The_plan_orders_the_tree_and_finds_registry_descendants_without_editing()
    {
        var tree = CreateTree();
        var before = Directory.EnumerateFiles(tree, "*", SearchOption.AllDirectories).ToDictionary(f => f, File.ReadAllText);

        var result = Tool("remediate", "--fixed", "Tests.Remedy.Global/1.0.1", tree, "--registry", s_registry.Address, "--json");

        Assert.AreEqual(0, result.ExitCode, result.Output);
        using var doc = JsonDocument.Parse(result.Output);
        var steps = doc.RootElement.GetProperty("steps").EnumerateArray().ToList();
        CollectionAssert.AreEqual(new[] { "direct-app", "team-base", "floating-app", "pinned-app" }, steps.Select(s => s.GetProperty("project").GetString()).ToArray());
        CollectionAssert.AreEqual(new[] { 1, 1, 2, 2 }, steps.Select(s => s.GetProperty("depth").GetInt32()).ToArray());
        StringAssert.Contains(steps[0].GetProperty("action").GetString(), "direct-app.csproj (property GlobalBaseVersion)");
        StringAssert.Contains(steps[1].GetProperty("action").GetString(), "Directory.Packages.props (PackageVersion Tests.Remedy.Global)");
        Assert.AreEqual("team-base", steps[3].GetProperty("after").GetString());

        var images = doc.RootElement.GetProperty("registryImages").EnumerateArray().ToList();
        CollectionAssert.AreEqual(new[] { $"{s_registry.Address}/team/base", $"{s_registry.Address}/apps/web" }, images.Select(i => i.GetProperty("image").GetString()).ToArray(),
            "the image already on the fix and the global images themselves are not listed");
        Assert.IsTrue(images.All(i => i.GetProperty("replacedDigest").GetString() == s_old.Digest.ToString()));

        foreach (var (file, text) in before) Assert.AreEqual(text, File.ReadAllText(file), $"a dry run leaves {file} alone");
        var table = Tool("remediate", "--fixed", "Tests.Remedy.Global/1.0.1", tree);
        Assert.AreEqual(0, table.ExitCode, table.Output);
        StringAssert.Contains(table.Output, "Dry run: 2 version(s) would be edited");
    }

    [TestMethod]
    public void Apply_edits_only_the_version_text_in_the_file_that_holds_it()
    {
        var tree = CreateTree();
        var props = Path.Combine(tree, "cpm", "Directory.Packages.props");
        var direct = Path.Combine(tree, "plain", "direct-app", "direct-app.csproj");
        var (propsBefore, directBefore) = (File.ReadAllText(props), File.ReadAllText(direct));
        var untouched = Path.Combine(tree, "cpm", "team-base", "team-base.csproj");
        var untouchedBefore = File.ReadAllText(untouched);

        var result = Tool("remediate", "--fixed", "Tests.Remedy.Global/1.0.1", tree, "--apply");

        Assert.AreEqual(0, result.ExitCode, result.Output);
        StringAssert.Contains(result.Output, "Edited 2 version(s) in 2 file(s)");
        Assert.AreEqual(propsBefore.Replace("\"Tests.Remedy.Global\" Version=\"1.0.0\"", "\"Tests.Remedy.Global\" Version=\"1.0.1\""), File.ReadAllText(props));
        Assert.AreEqual(directBefore.Replace("''\">1.0.0<", "''\">1.0.1<"), File.ReadAllText(direct));
        Assert.AreEqual(untouchedBefore, File.ReadAllText(untouched));

        var again = Tool("remediate", "--fixed", "Tests.Remedy.Global/1.0.1", tree, "--json");
        using var doc = JsonDocument.Parse(again.Output);
        Assert.AreEqual(0, again.ExitCode, again.Output);
        Assert.AreEqual(0, doc.RootElement.GetProperty("steps").GetArrayLength(), "after the edits no project is on a replaced version");
    }

    [TestMethod]
    public void An_unknown_fixed_package_is_a_clear_error()
    {
        var result = Tool("remediate", "--fixed", "Tests.Remedy.Global/9.9.9", CreateTree());
        Assert.AreEqual(1, result.ExitCode, result.Output);
        StringAssert.Contains(result.Output, "Tests.Remedy.Global 9.9.9");
        var malformed = Tool("remediate", "--fixed", "no-version", CreateTree());
        Assert.AreEqual(1, malformed.ExitCode, malformed.Output);
        StringAssert.Contains(malformed.Output, "PackageId/Version");
    }
}
