using System.Text.Json;
using System.Text.Json.Nodes;
using Bakery.Core.Descriptors;
using Bakery.Oci.Model;
using Bakery.Oci.Registry;
using Bakery.Tests.Infrastructure;
using Docker.DotNet.Models;

namespace Bakery.Tests.Integration;

/// <summary>
/// `bakery rebase` and `bakery remediate --rebase` against a real registry, on a line of base images
/// baked and packed by `dotnet publish -p:BakeImage=true` / `dotnet pack` over the real .NET runtime
/// base: the rebased image has the digest a rebuild on the new base gives, it runs, and every unsafe
/// rebase is refused with its reason and nothing tagged.
/// </summary>
[TestClass]
[TestCategory("Integration")]
[TestCategory("Docker")]
public sealed class RebaseTests
{
    private const string Runtime = "Tests.Rebase.Runtime";
    private const string Global = "Tests.Rebase.Global";
    private static RegistryProcess s_registry = null!;
    private static BakeryWorkspace s_workspace = null!;
    private static Lazy<string> s_refusalApp = null!;

    /// <summary>
    /// The line: Tests.Rebase.Global 1.0.0.1 (the app's base), 1.0.0.2 (the fix: another file in its layer),
    /// 1.0.0.3 (the fix, and Microsoft.NETCore.App 10.1.0 side by side), 1.0.0.4 (the fix, and a policy:
    /// no development settings in /app).
    /// </summary>
    [ClassInitialize]
    public static void Initialize(TestContext _)
    {
        if (string.IsNullOrEmpty(Environment.GetEnvironmentVariable(RequiresDockerImageAttribute.RuntimeBase))) return;
        s_registry = RegistryProcess.Start();
        s_workspace = new BakeryWorkspace("rebase");
        var runtime = ImageReference.Parse(RequiresDockerImageAttribute.Image(RequiresDockerImageAttribute.RuntimeBase));
        s_workspace.AddBasePackage(new BaseImageDescriptor
        {
            Id = Runtime,
            Version = "10.0.0",
            Image = new DescriptorImage { Registry = runtime.Registry, Repository = runtime.Repository, Digest = runtime.Digest!.Value.ToString() },
            Lifecycle = new DescriptorLifecycle { ExpiresOn = DateTimeOffset.UtcNow.AddYears(1) },
        });
        var global = BaseProject("rbglobal", Global, "1.0.0", BakeryWorkspace.BaseReference(Runtime, "10.0.0"), """
              <ItemGroup>
                <BakeryLayer Include="next-minor/" Destination="/usr/share/dotnet/shared/Microsoft.NETCore.App/10.1.0/" Layer="next-minor" Condition="'$(NextMinor)' == 'true'" />
                <BakeryVerify Include="no-development-settings.yaml" Condition="'$(NoDevelopmentSettings)' == 'true'" />
              </ItemGroup>
            """);
        Directory.CreateDirectory(Path.Combine(global, "next-minor"));
        File.WriteAllText(Path.Combine(global, "next-minor", "Microsoft.NETCore.App.deps.json"), "{}");
        File.WriteAllText(Path.Combine(global, "no-development-settings.yaml"),
            "schemaVersion: 2.0.0\nfileExistenceTests:\n  - name: no development settings\n    path: /app/appsettings.Development.json\n    shouldExist: false\n");
        BakeAndPack(global, "1", "first");
        BakeAndPack(global, "2", "fixed");
        BakeAndPack(global, "3", "fixed", "NextMinor=true");
        BakeAndPack(global, "4", "fixed", "NoDevelopmentSettings=true");

        // An app that rolls forward to the newest minor runtime and ships its development settings: what the refusals need.
        s_refusalApp = new Lazy<string>(() =>
        {
            var app = App("rbrefuse", "<RollForward>LatestMinor</RollForward>", """<ItemGroup><None Include="appsettings.Development.json" CopyToPublishDirectory="PreserveNewest" /></ItemGroup>""");
            File.WriteAllText(Path.Combine(app, "appsettings.Development.json"), """{ "Logging": { "LogLevel": { "Default": "Debug" } } }""");
            Succeeds(s_workspace.Bake(app, "BakeryBuildId=1", $"ContainerRegistry={s_registry.Address}"));
            return app;
        });
    }

    [ClassCleanup]
    public static void Cleanup()
    {
        s_workspace?.Dispose();
        s_registry?.Dispose();
    }

    private static string BaseProject(string name, string id, string version, string baseXml, string extra = "")
    {
        var dir = s_workspace.CreateProject(name, $"""
              <PropertyGroup>
                <BakeryImageKind>BaseImage</BakeryImageKind>
                <PackageId>{id}</PackageId>
                <Version>{version}</Version>
                <BakerySupportDays>100</BakerySupportDays>
              </PropertyGroup>
              {baseXml}
              <ItemGroup><BakeryLayer Include="files/" Destination="/opt/{name}/" Layer="{name}" /></ItemGroup>
            {extra}
            """);
        File.Delete(Path.Combine(dir, "Program.cs"));
        Directory.CreateDirectory(Path.Combine(dir, "files"));
        File.WriteAllText(Path.Combine(dir, "files", "level.txt"), "first");
        return dir;
    }

    private static void BakeAndPack(string dir, string buildId, string level, params string[] properties)
    {
        File.WriteAllText(Path.Combine(dir, "files", "level.txt"), level);
        string[] all = [$"BakeryBuildId={buildId}", $"ContainerRegistry={s_registry.Address}", .. properties];
        Succeeds(s_workspace.Bake(dir, all));
        Succeeds(s_workspace.Dotnet("pack", dir, [$"PackageOutputPath={s_workspace.Feed}/", .. all]));
    }

    /// <summary>An app on <paramref name="baseId"/> at $(BaseVersion) (default <paramref name="version"/>), which prints the base's level file.</summary>
    private static string App(string name, string properties = "", string items = "", string baseId = Global, string version = "1.0.0.1", string levelFile = "/opt/rbglobal/level.txt") =>
        s_workspace.CreateProject(name, $"""
              <PropertyGroup>
                <BaseVersion Condition="'$(BaseVersion)' == ''">{version}</BaseVersion>
                {properties}
              </PropertyGroup>
              <ItemGroup><PackageReference Include="{baseId}" Version="$(BaseVersion)" /></ItemGroup>
              {items}
            """, $$"""
            System.Console.WriteLine($"hello from {{name}} on {System.IO.File.ReadAllText("{{levelFile}}").Trim()}");
            """);

    private static void Succeeds(ProcessResult result) => Assert.AreEqual(0, result.ExitCode, result.Output);

    private static ProcessResult Tool(params string[] args) => s_workspace.Tool(args);

    /// <summary>The tool's --json answer on standard output: the block from the first line "{" to the last "}" (progress and errors go to standard error).</summary>
    private static JsonElement Json(ProcessResult result)
    {
        var lines = result.StandardOutput.Replace("\r", "").Split('\n');
        var start = Array.IndexOf(lines, "{");
        var end = Array.LastIndexOf(lines, "}");
        Assert.IsTrue(start >= 0 && end > start, $"no JSON in the output:\n{result.Output}");
        return JsonDocument.Parse(string.Join('\n', lines[start..(end + 1)])).RootElement.Clone();
    }

    private static string ReportDigest(string projectDir)
    {
        var report = Directory.EnumerateFiles(Path.Combine(projectDir, "obj"), "bakery-report.json", SearchOption.AllDirectories)
            .OrderByDescending(File.GetLastWriteTimeUtc).First();
        using var doc = JsonDocument.Parse(File.ReadAllText(report));
        return doc.RootElement.GetProperty("digest").GetString()!;
    }

    private static async Task<IReadOnlyDictionary<string, string>> TagsAsync(string repository)
    {
        using var client = new RegistryClient(s_registry.Address);
        var tags = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var tag in await client.ListTagsAsync(repository))
            if (!tag.StartsWith("sha256-", StringComparison.Ordinal)) tags[tag] = (await client.GetManifestAsync(repository, tag)).Digest.ToString();
        return tags;
    }

    private string Reports() => Path.Combine(s_workspace.Root, "reports-" + Guid.NewGuid().ToString("N")[..6]);

    [TestMethod]
    [RequiresDockerImage(RequiresDockerImageAttribute.RuntimeBase)]
    public async Task A_rebased_app_has_the_digest_of_a_rebuild_on_the_fixed_base_uploads_only_its_config_and_runs()
    {
        var app = App("rbheadline");
        Succeeds(s_workspace.Bake(app, "BakeryBuildId=1", $"ContainerRegistry={s_registry.Address}"));
        var original = ReportDigest(app);
        var image = $"{s_registry.Address}/tests/rbheadline";

        var dry = Tool("rebase", $"{image}:1.0.0-build.1", "--onto", $"{Global}/1.0.0.2", "--build-id", "2", "--source", s_workspace.Feed, "--dry-run", "--json");
        Succeeds(dry);
        var wouldBe = Json(dry).GetProperty("digest").GetString();
        Assert.IsFalse((await TagsAsync("tests/rbheadline")).ContainsKey("1.0.0-build.2"), "a dry run pushes nothing");
        using (var client = new RegistryClient(s_registry.Address))
        {
            // A base named by its digest: the package in the feed that pins it is found, and the rebase is the one onto that package.
            var third = (await client.GetManifestAsync("tests/rbglobal", "1.0.0-build.3")).Digest;
            var byDigest = Tool("rebase", $"{image}:1.0.0-build.1", "--onto", $"{s_registry.Address}/tests/rbglobal@{third}", "--build-id", "2", "--source", s_workspace.Feed, "--dry-run", "--json");
            var byPackage = Tool("rebase", $"{image}:1.0.0-build.1", "--onto", $"{Global}/1.0.0.3", "--build-id", "2", "--source", s_workspace.Feed, "--dry-run", "--json");
            Succeeds(byDigest);
            Succeeds(byPackage);
            Assert.AreEqual(Json(byPackage).GetProperty("digest").GetString(), Json(byDigest).GetProperty("digest").GetString());
            // 1.0.0.2 and 1.0.0.4 pin one image (4 adds only a policy): which package the rebuild would reference is not the tool's to guess.
            var fixedBase = (await client.GetManifestAsync("tests/rbglobal", "1.0.0-build.2")).Digest;
            Assert.AreEqual(fixedBase, (await client.GetManifestAsync("tests/rbglobal", "1.0.0-build.4")).Digest);
            var ambiguous = Tool("rebase", $"{image}:1.0.0-build.1", "--onto", $"{s_registry.Address}/tests/rbglobal@{fixedBase}", "--source", s_workspace.Feed, "--dry-run");
            Assert.AreEqual(1, ambiguous.ExitCode, ambiguous.Output);
            StringAssert.Contains(ambiguous.Output, "BAKE609");
            StringAssert.Contains(ambiguous.Output, "pinned by several base-image packages");
        }

        var reports = Reports();
        var rebase = Tool("rebase", $"{image}:1.0.0-build.1", "--onto", $"{Global}/1.0.0.2", "--build-id", "2", "--source", s_workspace.Feed,
            "--report-directory", reports, "--verbose", "--json");
        Succeeds(rebase);
        var result = Json(rebase);
        var rebased = result.GetProperty("digest").GetString()!;
        Assert.AreEqual("rebased", result.GetProperty("outcome").GetString());
        Assert.AreEqual(wouldBe, rebased, "the dry run names the digest the rebase pushes");
        Assert.AreNotEqual(original, rebased);
        Assert.AreEqual(1, result.GetProperty("blobsUploaded").GetInt32(), "only the new config is sent: every layer is in the registry already");
        Assert.IsLessThan(20_000L, result.GetProperty("blobBytesUploaded").GetInt64(), "the config, not a layer");
        Assert.AreEqual(1, result.GetProperty("ownLayers").GetInt32(), "the app layer moves");
        StringAssert.Contains(result.GetProperty("frameworks")[0].GetString(), "Microsoft.NETCore.App");
        Assert.IsTrue(File.Exists(Path.Combine(reports, "bakery-rebase.json")), "the rebase writes a bake report");
        var tags = await TagsAsync("tests/rbheadline");
        Assert.AreEqual(rebased, tags["1.0.0-build.2"]);
        Assert.AreEqual(rebased, tags["1.0.0"], "the version tag moves to the rebased image");
        Assert.AreEqual(original, tags["1.0.0-build.1"], "the old build tag keeps its image");

        // The same commit rebuilt against the fix: the same bytes, the same digest.
        Succeeds(s_workspace.Bake(app, "BakeryBuildId=3", "BaseVersion=1.0.0.2", $"ContainerRegistry={s_registry.Address}", "ContainerRepository=tests/rbheadline-rebuilt"));
        Assert.AreEqual(rebased, ReportDigest(app), "bakery rebase gives exactly the image dotnet publish -p:BakeImage=true gives on the new base");

        var again = Tool("rebase", $"{image}@{rebased}", "--onto", $"{Global}/1.0.0.2", "--source", s_workspace.Feed);
        Succeeds(again);
        StringAssert.Contains(again.Output, "BAKE610");

        using var docker = RequiresDockerImageAttribute.CreateClient();
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(3));
        await docker.Images.CreateImageAsync(new ImagesCreateParameters { FromImage = image, Tag = "1.0.0-build.2" }, null, new Progress<JSONMessage>(), timeout.Token);
        var container = await docker.Containers.CreateContainerAsync(new CreateContainerParameters
        {
            Image = $"{image}:1.0.0-build.2",
            HostConfig = new HostConfig { NetworkMode = "none" },
        }, timeout.Token);
        try
        {
            await docker.Containers.StartContainerAsync(container.ID, new ContainerStartParameters(), timeout.Token);
            var exit = await docker.Containers.WaitContainerAsync(container.ID, timeout.Token);
            using var logs = await docker.Containers.GetContainerLogsAsync(container.ID, new ContainerLogsParameters { ShowStdout = true, ShowStderr = true }, timeout.Token);
            var (stdout, stderr) = await logs.ReadOutputToEndAsync(timeout.Token);
            Assert.AreEqual(0L, exit.StatusCode, stdout + stderr);
            StringAssert.Contains(stdout, "hello from rbheadline on fixed", "the rebased app runs on the fixed base's files");
        }
        finally
        {
            await docker.Containers.RemoveContainerAsync(container.ID, new ContainerRemoveParameters { Force = true });
            await docker.Images.DeleteImageAsync($"{image}:1.0.0-build.2", new ImageDeleteParameters { Force = true });
        }
    }

    [TestMethod]
    [RequiresDockerImage(RequiresDockerImageAttribute.RuntimeBase)]
    public async Task A_base_that_changes_the_runtime_minor_version_is_refused_and_nothing_is_pushed()
    {
        _ = s_refusalApp.Value;
        var before = await TagsAsync("tests/rbrefuse");
        var result = Tool("rebase", $"{s_registry.Address}/tests/rbrefuse:1.0.0-build.1", "--onto", $"{Global}/1.0.0.3", "--build-id", "6", "--source", s_workspace.Feed);
        Assert.AreEqual(1, result.ExitCode, result.Output);
        StringAssert.Contains(result.Output, "BAKE606");
        StringAssert.Contains(result.Output, "Microsoft.NETCore.App would change from 10.0.");
        StringAssert.Contains(result.Output, "to 10.1.0");
        StringAssert.Contains(result.Output, "dotnet publish -p:BakeImage=true", "the refusal names the command to run instead");
        CollectionAssert.AreEquivalent(before.ToList(), (await TagsAsync("tests/rbrefuse")).ToList(), "nothing is tagged");
    }

    [TestMethod]
    [RequiresDockerImage(RequiresDockerImageAttribute.RuntimeBase)]
    public async Task A_base_of_another_line_is_refused()
    {
        _ = s_refusalApp.Value;
        var before = await TagsAsync("tests/rbrefuse");
        var result = Tool("rebase", $"{s_registry.Address}/tests/rbrefuse:1.0.0-build.1", "--onto", $"{Runtime}/10.0.0", "--build-id", "7", "--source", s_workspace.Feed);
        Assert.AreEqual(1, result.ExitCode, result.Output);
        StringAssert.Contains(result.Output, "BAKE607");
        StringAssert.Contains(result.Output, $"{Runtime} is another package than {Global} 1.0.0.1");

        var unknown = Tool("rebase", $"{s_registry.Address}/tests/rbrefuse:1.0.0-build.1", "--onto", $"{Global}/9.9.9", "--source", s_workspace.Feed);
        Assert.AreEqual(1, unknown.ExitCode, unknown.Output);
        StringAssert.Contains(unknown.Output, "BAKE609");
        var missing = Tool("rebase", $"{s_registry.Address}/tests/no-such-image:1.0.0", "--onto", $"{Global}/1.0.0.2", "--source", s_workspace.Feed);
        Assert.AreNotEqual(0, missing.ExitCode, missing.Output);
        StringAssert.Contains(missing.Output, "tests/no-such-image");
        CollectionAssert.AreEquivalent(before.ToList(), (await TagsAsync("tests/rbrefuse")).ToList(), "nothing is tagged");
    }

    [TestMethod]
    [RequiresDockerImage(RequiresDockerImageAttribute.RuntimeBase)]
    public async Task A_policy_of_the_new_base_that_the_app_fails_stops_the_rebase_before_anything_is_tagged()
    {
        _ = s_refusalApp.Value;
        var before = await TagsAsync("tests/rbrefuse");
        var reports = Reports();
        var result = Tool("rebase", $"{s_registry.Address}/tests/rbrefuse:1.0.0-build.1", "--onto", $"{Global}/1.0.0.4", "--build-id", "8", "--source", s_workspace.Feed,
            "--report-directory", reports);
        Assert.AreEqual(1, result.ExitCode, result.Output);
        StringAssert.Contains(result.Output, "no development settings");
        StringAssert.Contains(result.Output, "nothing was tagged");
        Assert.IsTrue(File.Exists(Path.Combine(reports, "bakery-rebase.json")), "the failed rebase writes its report");
        CollectionAssert.AreEquivalent(before.ToList(), (await TagsAsync("tests/rbrefuse")).ToList(), "nothing is tagged");
    }

    [TestMethod]
    [RequiresDockerImage(RequiresDockerImageAttribute.RuntimeBase)]
    public void An_image_with_a_BakeryRun_layer_above_its_base_is_refused_with_the_rebuild_to_run()
    {
        var team = BaseProject("rbrunteam", "Tests.Rebase.RunTeam", "3.0.0", BakeryWorkspace.BaseReference(Global, "1.0.0.1"),
            """<ItemGroup><BakeryRun Include="stamp" Command="echo team > /tmp/team-stamp" /></ItemGroup>""");
        Succeeds(s_workspace.Bake(team, "BakeryBuildId=1", $"ContainerRegistry={s_registry.Address}"));
        var result = Tool("rebase", $"{s_registry.Address}/tests/rbrunteam:3.0.0-build.1", "--onto", $"{Global}/1.0.0.2", "--source", s_workspace.Feed);
        Assert.AreEqual(1, result.ExitCode, result.Output);
        StringAssert.Contains(result.Output, "BAKE602");
        StringAssert.Contains(result.Output, "stamp");
        StringAssert.Contains(result.Output, "rebuild the image with 'dotnet publish -p:BakeImage=true'");
    }

    [TestMethod]
    [RequiresDockerImage(RequiresDockerImageAttribute.RuntimeBase)]
    public async Task Remediate_rebase_moves_team_bases_then_their_apps_and_reports_the_image_whose_gate_fails()
    {
        _ = s_refusalApp.Value; // on the global line, and fails the policy of 1.0.0.4
        var team = BaseProject("rbteam", "Tests.Rebase.Team", "2.0.0", BakeryWorkspace.BaseReference(Global, "1.0.0.1"));
        BakeAndPack(team, "1", "team");
        var teamApp = App("rbteamapp", baseId: "Tests.Rebase.Team", version: "2.0.0.1", levelFile: "/opt/rbteam/level.txt");
        Succeeds(s_workspace.Bake(teamApp, "BakeryBuildId=1", $"ContainerRegistry={s_registry.Address}"));
        var tree = Path.Combine(s_workspace.Root, "empty-tree");
        Directory.CreateDirectory(tree);

        var result = Tool("remediate", "--fixed", $"{Global}/1.0.0.4", tree, "--registry", s_registry.Address, "--rebase", "--build-id", "5",
            "--source", s_workspace.Feed, "--pack-output", s_workspace.Feed, "--parallel", "2", "--report-directory", Reports(), "--json");

        Assert.AreEqual(5, result.ExitCode, "5: a rebase failed, the others were done\n" + result.Output);
        StringAssert.Contains(result.Output, "BAKE614");
        // Other tests' images are in this registry too (several per repository for tests/rbtampered): each of these repositories has one.
        var entries = Json(result).GetProperty("rebased").EnumerateArray()
            .GroupBy(e => e.GetProperty("image").GetString()![(s_registry.Address.Length + 1)..]).ToDictionary(g => g.Key, g => g.First());
        var teamEntry = entries["tests/rbteam"].GetProperty("result");
        Assert.AreEqual("rebased", teamEntry.GetProperty("outcome").GetString(), entries["tests/rbteam"].ToString());
        Assert.AreEqual("Tests.Rebase.Team 2.0.0.5", teamEntry.GetProperty("package").GetString(), "the rebased team base gets its successor package");
        Assert.AreEqual(1, entries["tests/rbteam"].GetProperty("depth").GetInt32());
        var appEntry = entries["tests/rbteamapp"];
        Assert.AreEqual(2, appEntry.GetProperty("depth").GetInt32());
        Assert.AreEqual("Tests.Rebase.Team 2.0.0.5", appEntry.GetProperty("onto").GetString(), "the app moves onto the team base just rebased");
        Assert.AreEqual("rebased", appEntry.GetProperty("result").GetProperty("outcome").GetString(), appEntry.ToString());
        var refused = entries["tests/rbrefuse"].GetProperty("result");
        Assert.AreEqual("failed", refused.GetProperty("outcome").GetString(), refused.ToString());
        StringAssert.Contains(refused.GetProperty("reason").GetString(), "no development settings");
        if (entries.TryGetValue("tests/rbrunteam", out var run))
            Assert.AreEqual("BAKE602", run.GetProperty("result").GetProperty("code").GetString());

        // Its package version is taken already: refused before anything is pushed or tagged.
        var oldTeamDigest = entries["tests/rbteam"].GetProperty("digest").GetString();
        var teamTags = await TagsAsync("tests/rbteam");
        var taken = Tool("rebase", $"{s_registry.Address}/tests/rbteam@{oldTeamDigest}", "--onto", $"{Global}/1.0.0.2", "--build-id", "5", "--pack-output", s_workspace.Feed);
        Assert.AreEqual(1, taken.ExitCode, taken.Output);
        StringAssert.Contains(taken.Output, "BAKE612");
        StringAssert.Contains(taken.Output, "Tests.Rebase.Team.2.0.0.5.nupkg is already in");
        CollectionAssert.AreEquivalent(teamTags.ToList(), (await TagsAsync("tests/rbteam")).ToList(), "nothing is tagged");

        // A base image rebased by hand without a feed for its package: rebased, and BAKE612 says its descendants cannot follow yet.
        var oldTeam = entries["tests/rbteam"].GetProperty("digest").GetString();
        var single = Tool("rebase", $"{s_registry.Address}/tests/rbteam@{oldTeam}", "--onto", $"{Global}/1.0.0.2", "--build-id", "6");
        Succeeds(single);
        StringAssert.Contains(single.Output, "BAKE612");
        StringAssert.Contains(single.Output, "--pack-output");

        // Two levels down, the rebase still agrees with a rebuild: the app rebuilt on the team's successor package.
        Succeeds(s_workspace.Bake(teamApp, "BakeryBuildId=2", "BaseVersion=2.0.0.5", $"ContainerRegistry={s_registry.Address}", "ContainerRepository=tests/rbteamapp-rebuilt"));
        Assert.AreEqual(appEntry.GetProperty("result").GetProperty("digest").GetString(), ReportDigest(teamApp));
    }

    [TestMethod]
    [RequiresDockerImage(RequiresDockerImageAttribute.RuntimeBase)]
    public async Task A_rebase_into_another_repository_mounts_the_layers_and_a_build_tag_moves_only_when_allowed()
    {
        var app = s_refusalApp.Value;
        var ownTests = Path.Combine(app, "own-tests.yaml");
        File.WriteAllText(ownTests, "schemaVersion: 2.0.0\nfileExistenceTests:\n  - name: the app\n    path: /app/rbrefuse.dll\n    shouldExist: true\n");
        var allowlist = Path.Combine(app, "secrets.allow");
        File.WriteAllText(allowlist, "# nothing in this app is a secret\n/app/appsettings.Development.json * development settings, no credentials\n");

        var moved = Tool("rebase", $"{s_registry.Address}/tests/rbrefuse:1.0.0-build.1", "--onto", $"{Global}/1.0.0.2", "--push", "tests/rbrefuse-moved", "--build-id", "9",
            "--source", s_workspace.Feed, "--verify", ownTests, "--secret-allowlist", allowlist, "--allow-root", "not needed: the base runs as app", "--json");
        Succeeds(moved);
        var result = Json(moved);
        var digest = result.GetProperty("digest").GetString()!;
        Assert.AreEqual($"{s_registry.Address}/tests/rbrefuse-moved", result.GetProperty("target").GetString());
        Assert.AreEqual(1, result.GetProperty("blobsUploaded").GetInt32(), "only the config: the app layer is mounted from tests/rbrefuse, the base's from tests/rbglobal");
        Assert.IsGreaterThanOrEqualTo(1, result.GetProperty("blobsMounted").GetInt32());
        Assert.AreEqual(digest, (await TagsAsync("tests/rbrefuse-moved"))["1.0.0-build.9"]);

        // Back onto the old base under the same build tag: that tag names another image, so only --allow-tag-overwrite moves it.
        var refused = Tool("rebase", $"{s_registry.Address}/tests/rbrefuse-moved@{digest}", "--onto", $"{Global}/1.0.0.1", "--build-id", "9", "--source", s_workspace.Feed);
        Assert.AreEqual(1, refused.ExitCode, refused.Output);
        StringAssert.Contains(refused.Output, "BAKE407");
        var back = Tool("rebase", $"{s_registry.Address}/tests/rbrefuse-moved@{digest}", "--onto", $"{Global}/1.0.0.1", "--build-id", "9", "--source", s_workspace.Feed,
            "--allow-tag-overwrite", "--json");
        Succeeds(back);
        Assert.AreEqual(ReportDigest(app), Json(back).GetProperty("digest").GetString(), "rebased back onto its old base, the image is its original bake again");
        Assert.AreEqual(ReportDigest(app), (await TagsAsync("tests/rbrefuse-moved"))["1.0.0-build.9"]);
    }

    /// <summary>rbrefuse's image with its config (and optionally its manifest) edited, pushed to tests/rbtampered:<paramref name="tag"/>.</summary>
    private static async Task<string> TamperAsync(string tag, Action<JsonObject> editConfig, Action<JsonObject, string>? editManifest = null)
    {
        _ = s_refusalApp.Value;
        using var client = new RegistryClient(s_registry.Address);
        var fetched = await client.GetManifestAsync("tests/rbrefuse", "1.0.0-build.1");
        var manifest = JsonNode.Parse(fetched.Bytes)!.AsObject();
        var configDigest = Digest.Parse(manifest["config"]!["digest"]!.GetValue<string>());
        foreach (var layer in manifest["layers"]!.AsArray())
            await client.TryMountBlobAsync("tests/rbtampered", Digest.Parse(layer!["digest"]!.GetValue<string>()), "tests/rbrefuse");
        var config = JsonNode.Parse(await client.GetBlobAsync("tests/rbrefuse", configDigest))!.AsObject();
        editConfig(config);
        var configBytes = System.Text.Encoding.UTF8.GetBytes(config.ToJsonString(new JsonSerializerOptions { WriteIndented = true }));
        var path = Path.Combine(s_workspace.Root, "config-" + tag);
        File.WriteAllBytes(path, configBytes);
        var newConfig = Digest.Compute(configBytes);
        await client.UploadBlobAsync("tests/rbtampered", newConfig, path);
        manifest["config"]!["digest"] = newConfig.ToString();
        manifest["config"]!["size"] = configBytes.Length;
        editManifest?.Invoke(manifest, newConfig.ToString());
        var bytes = System.Text.Encoding.UTF8.GetBytes(manifest.ToJsonString());
        await client.PutManifestAsync("tests/rbtampered", tag, bytes, fetched.MediaType);
        return $"{s_registry.Address}/tests/rbtampered:{tag}";
    }

    private static ProcessResult RebaseOnto(string image, string version) =>
        Tool("rebase", image, "--onto", $"{Global}/{version}", "--build-id", "11", "--source", s_workspace.Feed, "--dry-run");

    private static void Refused(ProcessResult result, string code, string reason)
    {
        Assert.AreEqual(1, result.ExitCode, result.Output);
        StringAssert.Contains(result.Output, code);
        StringAssert.Contains(result.Output, reason);
    }

    [TestMethod]
    [RequiresDockerImage(RequiresDockerImageAttribute.RuntimeBase)]
    public async Task An_image_changed_after_its_bake_is_refused_with_what_changed()
    {
        // Another tool rewrote the config (same content, other bytes): composed again, it is not the image.
        Refused(RebaseOnto(await TamperAsync("rewritten", _ => { }), "1.0.0.2"), "BAKE611", "not its digest");
        // A layer another tool added above the bake's.
        var added = await TamperAsync("added-layer", config =>
        {
            var diffIds = config["rootfs"]!["diff_ids"]!.AsArray();
            diffIds.Add(diffIds[diffIds.Count - 1]!.GetValue<string>());
            config["history"]!.AsArray().Add(new JsonObject { ["created"] = config["created"]!.GetValue<string>(), ["created_by"] = "COPY extra /extra" });
        }, (manifest, _) =>
        {
            var layers = manifest["layers"]!.AsArray();
            layers.Add(layers[layers.Count - 1]!.DeepClone());
        });
        Refused(RebaseOnto(added, "1.0.0.2"), "BAKE603", "was not written by a bake");
        // Its first layer is no longer its base's.
        var swapped = await TamperAsync("swapped", _ => { }, (manifest, _) =>
        {
            var layers = manifest["layers"]!.AsArray();
            var first = layers[0]!.DeepClone();
            layers[0] = layers[layers.Count - 1]!.DeepClone();
            layers[layers.Count - 1] = first;
        });
        Refused(RebaseOnto(swapped, "1.0.0.2"), "BAKE601", "where the base has");
        // Its lineage names a base the registry does not have.
        var missing = "sha256:" + new string('0', 64);
        var orphan = await TamperAsync("orphan", config =>
        {
            var labels = config["config"]!["Labels"]!.AsObject();
            labels["org.opencontainers.image.base.digest"] = missing;
            var lineage = JsonNode.Parse(labels["dev.bakery.lineage"]!.GetValue<string>())!;
            lineage[0]!["digest"] = missing;
            labels["dev.bakery.lineage"] = lineage.ToJsonString();
        });
        Refused(RebaseOnto(orphan, "1.0.0.2"), "BAKE613", missing);
        // Not a bake at all.
        var foreign = await TestImages.PushBaseAsync(s_registry.Address, "tests/rbforeign", "foreign");
        Refused(RebaseOnto(foreign.Reference, "1.0.0.2"), "BAKE600", "dev.bakery.lineage");
        Refused(RebaseOnto("not an image!", "1.0.0.2"), "BAKE616", "not an image!");
        Refused(RebaseOnto($"{s_registry.Address}/tests/no-such-image:1.0.0", "1.0.0.2"), "BAKE616", "tests/no-such-image");
    }

    [TestMethod]
    [RequiresDockerImage(RequiresDockerImageAttribute.RuntimeBase)]
    public async Task A_base_of_the_line_for_another_platform_without_the_runtime_or_with_another_entrypoint_is_refused()
    {
        var app = $"{s_registry.Address}/tests/rbrefuse:1.0.0-build.1";
        _ = s_refusalApp.Value;
        var arm = await TestImages.PushBaseAsync(s_registry.Address, "tests/rbglobal-odd", "arm64", editConfig: c => c["architecture"] = "arm64");
        s_workspace.AddBasePackage(BasePackageWriter.Descriptor(Global, "1.0.0.7", arm));
        Refused(RebaseOnto(app, "1.0.0.7"), "BAKE604", "linux/arm64");
        var entrypoint = await TestImages.PushBaseAsync(s_registry.Address, "tests/rbglobal-odd", "entrypoint", entrypoint: ["/usr/bin/tini", "--"]);
        s_workspace.AddBasePackage(BasePackageWriter.Descriptor(Global, "1.0.0.8", entrypoint));
        Refused(RebaseOnto(app, "1.0.0.8"), "BAKE608", "its Entrypoint");
        var bare = await TestImages.PushBaseAsync(s_registry.Address, "tests/rbglobal-odd", "no-runtime");
        s_workspace.AddBasePackage(BasePackageWriter.Descriptor(Global, "1.0.0.9", bare));
        Refused(Tool("rebase", app, "--onto", $"{Global}/1.0.0.9", "--build-id", "12", "--source", s_workspace.Feed), "BAKE605", "no Microsoft.NETCore.App in /usr/share/dotnet/shared");
    }
}
