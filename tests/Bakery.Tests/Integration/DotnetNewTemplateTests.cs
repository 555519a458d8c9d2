using Bakery.Oci.Layers;
using Bakery.Oci.Registry;
using Bakery.Tests.Infrastructure;

namespace Bakery.Tests.Integration;

/// <summary>
/// What `dotnet new web|worker|console` creates bakes as it is: with Bakery.Sdk as the project SDK
/// (detected as web, worker or console) and with Bakery.Sdk added to the template's own SDK. The
/// image's app layer holds exactly what `dotnet publish` puts in the publish folder, and the build
/// prints no warnings.
/// </summary>
[TestClass]
[TestCategory("Integration")]
public sealed class DotnetNewTemplateTests
{
    private static RegistryProcess s_registry = null!;
    private static BakeryWorkspace s_workspace = null!;
    private const string BaseId = "Tests.BaseImages.Templates";

    [ClassInitialize]
    public static async Task Initialize(TestContext _)
    {
        s_registry = SharedRegistry.Instance;
        s_workspace = new BakeryWorkspace("templates", withNuGetOrg: true);
        var image = await TestImages.PushBaseAsync(s_registry.Address, "base/templates", "templates");
        s_workspace.AddBasePackage(BasePackageWriter.Descriptor(BaseId, "1.0.0", image, expires: DateTimeOffset.UtcNow.AddYears(1)));
    }

    [ClassCleanup]
    public static void Cleanup()
    {
        s_workspace?.Dispose();
    }

    [TestMethod]
    [DataRow("web", "project-sdk")]
    [DataRow("web", "added-sdk")]
    [DataRow("worker", "project-sdk")]
    [DataRow("worker", "added-sdk")]
    [DataRow("console", "project-sdk")]
    [DataRow("console", "added-sdk")]
    public async Task A_new_project_bakes_with_every_published_file_and_no_warning(string template, string way)
    {
        var name = $"{template}{(way == "added-sdk" ? "b" : "a")}";
        var dir = Path.Combine(s_workspace.Root, name);
        var created = ProcessRunner.Run("dotnet", ["new", template, "-o", dir, "-n", name, "--no-restore"], s_workspace.Root);
        Assert.AreEqual(0, created.ExitCode, created.Output);
        var project = Path.Combine(dir, name + ".csproj");
        var text = File.ReadAllText(project);
        var sdk = System.Text.RegularExpressions.Regex.Match(text, "Sdk=\"([^\"]+)\"").Groups[1].Value;
        text = way == "project-sdk"
            ? text.Replace($"Sdk=\"{sdk}\"", "Sdk=\"Bakery.Sdk\"")
            : text.Replace($"<Project Sdk=\"{sdk}\">", $"<Project Sdk=\"{sdk}\">\n  <Sdk Name=\"Bakery.Sdk\" />");
        // The one line every Bakery app adds: its base-image package.
        text = text.Replace("</Project>", $"""  <ItemGroup><PackageReference Include="{BaseId}" Version="1.0.0" /></ItemGroup>{"\n"}</Project>""");
        File.WriteAllText(project, text);

        var bake = s_workspace.Bake(dir, "BakeryBuildId=7", $"ContainerRepository=templates/{name}", $"ContainerRegistry={s_registry.Address}");

        Assert.AreEqual(0, bake.ExitCode, bake.Output);
        var warnings = bake.Output.Split('\n').Where(l => l.Contains("warning", StringComparison.OrdinalIgnoreCase)).ToList();
        Assert.IsEmpty(warnings, string.Join("\n", warnings));
        var publish = Path.Combine(dir, "bin", "Release", "net10.0", "publish");
        var published = Directory.EnumerateFiles(publish, "*", SearchOption.AllDirectories)
            .Select(f => "app/" + Path.GetRelativePath(publish, f).Replace('\\', '/')).Order(StringComparer.Ordinal).ToList();
        if (template != "console") CollectionAssert.Contains(published, "app/appsettings.json", "the web and worker SDKs publish the settings");
        CollectionAssert.AreEqual(published, await AppLayerFilesAsync($"templates/{name}", "1.0.0-build.7"));
    }

    private static async Task<List<string>> AppLayerFilesAsync(string repository, string tag)
    {
        using var client = new RegistryClient(s_registry.Address);
        var manifest = (await client.GetManifestAsync(repository, tag)).Parse();
        // The app is split into layers by how often they change (runtime, native, packages, the app's own files): read them all.
        var files = new List<string>();
        foreach (var layer in manifest.Layers!)
        {
            var blob = Path.Combine(s_workspace.Root, Guid.NewGuid().ToString("N"));
            await client.DownloadBlobAsync(repository, layer.ParsedDigest, blob);
            using var stream = File.OpenRead(blob);
            SafeLayerReader.Read(stream, new LayerReadLimits(), (entry, _) =>
            {
                if (entry.Type == LayerEntryType.File && entry.Path.StartsWith("app/", StringComparison.Ordinal)) files.Add(entry.Path);
            });
        }
        return files.Order(StringComparer.Ordinal).ToList();
    }
}
