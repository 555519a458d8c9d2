using Bakery.Oci.Layers;
using Bakery.Oci.Registry;
using Bakery.Tests.Infrastructure;

namespace Bakery.Tests.Integration;

/// <summary>
/// `dotnet new install Bakery.Templates`, then the chain a new organisation starts with, each project
/// as its template creates it: bakery-global-base on the test upstream, bakery-team-base on its
/// package, bakery-app on the team's package (central package management, a floating version, a lock
/// file, the organisation's feed in nuget.config). Each is baked (and the bases packed) for real.
/// </summary>
[TestClass]
[TestCategory("Integration")]
[TestCategory("Docker")]
public sealed class TemplateTests
{
    [TestMethod]
    [RequiresDockerImage(RequiresDockerImageAttribute.Upstream)]
    public async Task The_three_templates_make_a_chain_that_bakes_as_created()
    {
        using var registry = RegistryProcess.Start();
        using var workspace = new BakeryWorkspace("templates-chain");
        var hive = Path.Combine(workspace.Root, "template-hive");
        Run(workspace, "new", "install", TemplatesPackage.NupkgPath, "--debug:custom-hive", hive);
        var upstream = RequiresDockerImageAttribute.Image(RequiresDockerImageAttribute.Upstream);
        string[] Push() => ["BakeImage=true", "BakeryBuildId=1", $"ContainerRegistry={registry.Address}", $"PackageOutputPath={workspace.Feed}/"];

        var global = New(workspace, hive, "bakery-global-base", "Tests.Tpl.Global", "--upstream", upstream, "--repository", "tpl/global", "--vendor", "Tests");
        Succeeds(workspace.Dotnet("publish", global, Push()));
        Succeeds(workspace.Dotnet("pack", global, Push()));

        var team = New(workspace, hive, "bakery-team-base", "Tests.Tpl.Team", "--basePackage", "Tests.Tpl.Global", "--baseVersion", "1.0.*", "--repository", "tpl/team");
        Succeeds(workspace.Dotnet("publish", team, Push()));
        Succeeds(workspace.Dotnet("pack", team, Push()));

        var app = New(workspace, hive, "bakery-app", "Tests.Tpl.App", "--basePackage", "Tests.Tpl.Team", "--baseVersion", "1.0.*", "--repository", "tpl/app", "--feed", workspace.Feed);
        var bake = workspace.Dotnet("publish", app, ["BakeImage=true", "BakeryBuildId=1", $"ContainerRegistry={registry.Address}"]);
        Succeeds(bake);
        StringAssert.Contains(bake.Output, "structure check", "the app's own and the bakeries' checks ran");
        Assert.IsTrue(File.Exists(Path.Combine(app, "packages.lock.json")), "the template restores with a lock file");
        StringAssert.Contains(File.ReadAllText(Path.Combine(app, "packages.lock.json")), "Tests.Tpl.Team");

        using var client = new RegistryClient(registry.Address);
        var manifest = (await client.GetManifestAsync("tpl/app", "1.0.0-build.1")).Parse();
        var top = Path.Combine(workspace.Root, "app-layer");
        await client.DownloadBlobAsync("tpl/app", manifest.Layers![^1].ParsedDigest, top);
        var files = new List<string>();
        using (var stream = File.OpenRead(top))
            SafeLayerReader.Read(stream, new LayerReadLimits(), (entry, _) => files.Add(entry.Path));
        CollectionAssert.Contains(files, "app/Tests.Tpl.App.dll");
        CollectionAssert.Contains(files, "app/appsettings.json");
        var config = Oci.Model.ImageConfig.Parse(await client.GetBlobAsync("tpl/app", manifest.Config!.ParsedDigest));
        Assert.AreEqual("app", config.User, "the global template's non-root user reaches the app");
        Assert.AreEqual("Tests", config.Labels["org.opencontainers.image.vendor"]);
    }

    private static string New(BakeryWorkspace workspace, string hive, string template, string name, params string[] options)
    {
        var dir = Path.Combine(workspace.Root, name);
        Run(workspace, ["new", template, "-n", name, "-o", dir, "--debug:custom-hive", hive, .. options]);
        return dir;
    }

    private static void Run(BakeryWorkspace workspace, params string[] args)
    {
        var result = ProcessRunner.Run("dotnet", args, workspace.Root, new Dictionary<string, string> { ["NUGET_PACKAGES"] = workspace.Packages });
        Assert.AreEqual(0, result.ExitCode, $"dotnet {string.Join(' ', args)}\n{result.Output}");
    }

    private static void Succeeds(ProcessResult result) => Assert.AreEqual(0, result.ExitCode, result.Output);
}
