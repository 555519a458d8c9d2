using System.Formats.Tar;
using System.IO.Compression;
using System.Text.Json;
using Bakery.Oci.Model;
using Bakery.Oci.Registry;
using Bakery.Tests.Infrastructure;

namespace Bakery.Tests.Integration;

/// <summary>
/// The app split into layers by change rate, with a real `dotnet publish` of an app that uses NuGet
/// packages (managed, satellite resources, RID-specific natives) restored from nuget.org: what each
/// layer holds, and that a source change moves only the project's layer while a package change moves
/// the packages' layer and leaves the natives alone.
/// </summary>
[TestClass]
[TestCategory("Integration")]
public sealed class AppLayerBakeTests
{
    private static RegistryProcess s_registry = null!;
    private static BakeryWorkspace s_workspace = null!;
    private const string BaseId = "Tests.Layers.Base";

    [ClassInitialize]
    public static async Task Initialize(TestContext _)
    {
        s_registry = RegistryProcess.Start();
        s_workspace = new BakeryWorkspace("layers", withNuGetOrg: true, pushTo: s_registry.Address);
        var image = await TestImages.PushBaseAsync(s_registry.Address, "base/layers", "layers");
        s_workspace.AddBasePackage(BasePackageWriter.Descriptor(BaseId, "1.0.0", image, expires: DateTimeOffset.UtcNow.AddYears(1)));
    }

    [ClassCleanup]
    public static void Cleanup()
    {
        s_workspace?.Dispose();
        s_registry?.Dispose();
    }

    private static string Project(string name, string newtonsoft) => s_workspace.CreateProject(name, BakeryWorkspace.BaseReference(BaseId, "1.0.0") + $"""
          <ItemGroup>
            <PackageReference Include="Newtonsoft.Json" Version="{newtonsoft}" />
            <PackageReference Include="Humanizer.Core.de" Version="2.14.1" />
            <PackageReference Include="SQLitePCLRaw.lib.e_sqlite3" Version="2.1.11" />
          </ItemGroup>
        """, "System.Console.WriteLine(Newtonsoft.Json.JsonConvert.SerializeObject(new { hello = \"layers\" }));\n");

    private static async Task<Dictionary<string, (string Digest, List<string> Files)>> AppLayersOf(string repository, string tag)
    {
        using var client = new RegistryClient(s_registry.Address);
        var manifest = (await client.GetManifestAsync(repository, tag)).Parse();
        var config = ImageConfig.Parse(await client.GetBlobAsync(repository, manifest.Config!.ParsedDigest));
        using var configJson = JsonDocument.Parse(config.ToBytes());
        var history = configJson.RootElement.GetProperty("history").EnumerateArray()
            .Where(h => !h.TryGetProperty("empty_layer", out var empty) || !empty.GetBoolean())
            .Select(h => h.GetProperty("created_by").GetString()!).ToList();
        var layers = new Dictionary<string, (string, List<string>)>();
        for (var i = 0; i < manifest.Layers!.Count; i++)
        {
            var name = history[i].StartsWith("bakery: ", StringComparison.Ordinal) ? history[i]["bakery: ".Length..history[i].IndexOf(" (", StringComparison.Ordinal)] : "base";
            if (!name.StartsWith("app", StringComparison.Ordinal)) continue;
            var blob = Path.Combine(s_workspace.Root, "blob-" + Guid.NewGuid().ToString("N"));
            await client.DownloadBlobAsync(repository, manifest.Layers[i].ParsedDigest, blob);
            var files = new List<string>();
            await using (var gzip = new GZipStream(File.OpenRead(blob), CompressionMode.Decompress))
            using (var tar = new TarReader(gzip))
                while (tar.GetNextEntry() is { } entry)
                    if (entry.EntryType != TarEntryType.Directory) files.Add(entry.Name);
            File.Delete(blob);
            layers[name] = (manifest.Layers[i].Digest, files);
        }
        return layers;
    }

    [TestMethod]
    public async Task Packages_natives_and_the_project_are_layers_of_their_own_and_a_source_change_moves_only_the_project()
    {
        var dir = Project("splitapp", "13.0.1");
        var first = s_workspace.Bake(dir, "BakeryBuildId=1");
        Assert.AreEqual(0, first.ExitCode, first.Output);
        var one = await AppLayersOf("tests/splitapp", "1.0.0-build.1");

        CollectionAssert.AreEqual(new[] { "app:native", "app:packages", "app" }, one.Keys.ToArray(), "bottom first, below the project");
        Assert.IsTrue(one["app:native"].Files.All(f => f.StartsWith("app/runtimes/", StringComparison.Ordinal)), string.Join(", ", one["app:native"].Files));
        CollectionAssert.Contains(one["app:native"].Files, "app/runtimes/linux-x64/native/libe_sqlite3.so");
        CollectionAssert.IsSubsetOf(new[] { "app/Newtonsoft.Json.dll", "app/de/Humanizer.resources.dll", "app/Humanizer.dll" }, one["app:packages"].Files);
        CollectionAssert.IsSubsetOf(new[] { "app/splitapp.dll", "app/splitapp.deps.json", "app/splitapp.runtimeconfig.json" }, one["app"].Files);
        Assert.IsFalse(one["app"].Files.Any(f => f.Contains("Newtonsoft", StringComparison.Ordinal) || f.Contains("runtimes/", StringComparison.Ordinal)));
        var report = JsonDocument.Parse(File.ReadAllText(Directory.GetFiles(Path.Combine(dir, "obj"), "bakery-report.json", SearchOption.AllDirectories).Single()));
        CollectionAssert.IsSubsetOf(new[] { "app:native", "app:packages", "app" }, report.RootElement.GetProperty("layers").EnumerateArray().Select(l => l.GetProperty("name").GetString()).ToArray(),
            "the report names the layers");

        File.AppendAllText(Path.Combine(dir, "Program.cs"), "System.Console.WriteLine(\"changed\");\n");
        var second = s_workspace.Bake(dir, "BakeryBuildId=2");
        Assert.AreEqual(0, second.ExitCode, second.Output);
        var two = await AppLayersOf("tests/splitapp", "1.0.0-build.2");
        Assert.AreEqual(one["app:native"].Digest, two["app:native"].Digest, "a source change leaves the natives");
        Assert.AreEqual(one["app:packages"].Digest, two["app:packages"].Digest, "and the packages");
        Assert.AreNotEqual(one["app"].Digest, two["app"].Digest, "and moves the project's layer");
        StringAssert.Contains(second.Output, "pushed   2 blob(s)", "only the project's layer and the config are uploaded");

        // An update, not a downgrade: publish copies a package file only when it is newer than the one in
        // the publish folder, so an older package's file would leave the newer one there (the SDK's behaviour).
        File.WriteAllText(Path.Combine(dir, "splitapp.csproj"), File.ReadAllText(Path.Combine(dir, "splitapp.csproj")).Replace("13.0.1", "13.0.3", StringComparison.Ordinal));
        var third = s_workspace.Bake(dir, "BakeryBuildId=3");
        Assert.AreEqual(0, third.ExitCode, third.Output);
        var three = await AppLayersOf("tests/splitapp", "1.0.0-build.3");
        Assert.AreEqual(one["app:native"].Digest, three["app:native"].Digest, "a managed package's update leaves the natives");
        Assert.AreNotEqual(two["app:packages"].Digest, three["app:packages"].Digest, "and moves the packages' layer");
    }

    [TestMethod]
    public async Task BakeryAppLayers_Single_keeps_one_app_layer_and_two_bakes_give_one_digest()
    {
        var dir = Project("singleapp", "13.0.3");
        var single = s_workspace.Bake(dir, "BakeryBuildId=1", "BakeryAppLayers=Single");
        Assert.AreEqual(0, single.ExitCode, single.Output);
        var layers = await AppLayersOf("tests/singleapp", "1.0.0-build.1");
        Assert.AreEqual("app", layers.Keys.Single());
        CollectionAssert.IsSubsetOf(new[] { "app/Newtonsoft.Json.dll", "app/runtimes/linux-x64/native/libe_sqlite3.so", "app/singleapp.dll" }, layers["app"].Files);

        var split = s_workspace.Bake(dir, "BakeryBuildId=2");
        Assert.AreEqual(0, split.ExitCode, split.Output);
        var again = s_workspace.Bake(dir, "BakeryBuildId=3");
        Assert.AreEqual(0, again.ExitCode, again.Output);
        using var client = new RegistryClient(s_registry.Address);
        Assert.AreEqual((await client.GetManifestAsync("tests/singleapp", "1.0.0-build.2")).Digest, (await client.GetManifestAsync("tests/singleapp", "1.0.0-build.3")).Digest,
            "the split is deterministic: same publish, same layers, same digest");
        Assert.AreNotEqual((await client.GetManifestAsync("tests/singleapp", "1.0.0-build.1")).Digest, (await client.GetManifestAsync("tests/singleapp", "1.0.0-build.2")).Digest);
    }

    [TestMethod]
    public async Task A_deps_json_that_cannot_be_read_is_warning_BAKE443_and_one_app_layer()
    {
        var dir = s_workspace.CreateProject("brokendeps", BakeryWorkspace.BaseReference(BaseId, "1.0.0") + """
              <PropertyGroup><GenerateDependencyFile>false</GenerateDependencyFile></PropertyGroup>
              <ItemGroup><None Include="brokendeps.deps.json" CopyToPublishDirectory="PreserveNewest" /></ItemGroup>
            """, "System.Console.WriteLine(\"broken deps\");\n");
        File.WriteAllText(Path.Combine(dir, "brokendeps.deps.json"), "{ \"targets\": [ not json");
        var bake = s_workspace.Bake(dir, "BakeryBuildId=1");
        Assert.AreEqual(0, bake.ExitCode, bake.Output);
        StringAssert.Contains(bake.Output, "warning BAKE443");
        StringAssert.Contains(bake.Output, "brokendeps.deps.json cannot be read");
        var layers = await AppLayersOf("tests/brokendeps", "1.0.0-build.1");
        Assert.AreEqual("app", layers.Keys.Single());
        CollectionAssert.Contains(layers["app"].Files, "app/brokendeps.dll");
    }
}
