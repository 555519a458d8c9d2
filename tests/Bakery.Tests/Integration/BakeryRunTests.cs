using Bakery.Oci.Model;
using Bakery.Oci.Layers;
using Bakery.Oci.Registry;
using Bakery.Tests.Infrastructure;

namespace Bakery.Tests.Integration;

/// <summary>BakeryRun steps: a command in a real dockerd container whose filesystem changes become a deterministic layer.</summary>
[TestClass]
[TestCategory("Integration")]
public sealed class BakeryRunTests
{
    private static RegistryProcess s_registry = null!;
    private static BakeryWorkspace s_workspace = null!;

    [ClassInitialize]
    public static void Initialize(TestContext _)
    {
        s_registry = SharedRegistry.Instance;
        s_workspace = new BakeryWorkspace("run", pushTo: s_registry.Address);
    }

    [ClassCleanup]
    public static void Cleanup()
    {
        s_workspace?.Dispose();
    }

    private static string RunProject(string name, string upstream, string command) =>
        s_workspace.CreateProject(name, $"""
              <PropertyGroup>
                <BakeryImageKind>BaseImage</BakeryImageKind>
                <BakeryUser>1000</BakeryUser>
                <ContainerRegistry>{s_registry.Address}</ContainerRegistry>
              </PropertyGroup>
              <ItemGroup>
                <BakeryUpstream Include="{upstream}" />
                <BakeryRun Include="step" Command="{System.Security.SecurityElement.Escape(command)}" />
              </ItemGroup>
            """);

    [TestMethod]
    [RequiresDockerImage(RequiresDockerImageAttribute.Upstream)]
    public async Task Run_step_changes_become_a_layer_with_owners_and_whiteouts_and_a_rebake_reuses_it()
    {
        var dir = RunProject("runner", RequiresDockerImageAttribute.Image(RequiresDockerImageAttribute.Upstream),
            "mkdir -p /opt/run && echo ran > /opt/run/hello.txt && chown 1234:1234 /opt/run/hello.txt && rm /etc/issue");

        var first = s_workspace.Bake(dir, "BakeryBuildId=1");
        Assert.AreEqual(0, first.ExitCode, first.Output);
        StringAssert.Contains(first.Output, "RUN mkdir -p /opt/run");

        using var client = new RegistryClient(s_registry.Address);
        var manifest = (await client.GetManifestAsync("tests/runner", "1.0.0-build.1")).Parse();
        var runLayer = manifest.Layers![^1];
        var path = Path.Combine(s_workspace.Root, "run-layer.tar.gz");
        await client.DownloadBlobAsync("tests/runner", runLayer.ParsedDigest, path);
        var entries = new Dictionary<string, (LayerEntry Entry, string? Content)>();
        await using (var stream = File.OpenRead(path))
            SafeLayerReader.Read(stream, new LayerReadLimits(), (e, content) => entries[e.Path] = (e, content is null ? null : new StreamReader(content).ReadToEnd()));

        Assert.IsTrue(entries.ContainsKey("opt/run/hello.txt"), "entries: " + string.Join(", ", entries.Keys));
        Assert.AreEqual("ran\n", entries["opt/run/hello.txt"].Content);
        Assert.AreEqual(1234, entries["opt/run/hello.txt"].Entry.Uid, "owners from the container are kept");
        Assert.IsTrue(entries.ContainsKey("etc/.wh.issue"), "a deleted file becomes a whiteout");
        // The changed folders themselves are in the layer (their mode and owner, as docker commit writes them), nothing else.
        CollectionAssert.AreEquivalent(new[] { "etc", "etc/.wh.issue", "opt", "opt/run", "opt/run/hello.txt" }, entries.Keys.ToArray(),
            "only what the command changed: " + string.Join(", ", entries.Keys));

        var second = s_workspace.Bake(dir, "BakeryBuildId=2");
        Assert.AreEqual(0, second.ExitCode, second.Output);
        StringAssert.Contains(second.Output, "(cached:");
        var again = await client.GetManifestAsync("tests/runner", "1.0.0-build.2");
        Assert.AreEqual((await client.GetManifestAsync("tests/runner", "1.0.0-build.1")).Digest, again.Digest);
    }

    [TestMethod]
    [RequiresDockerImage(RequiresDockerImageAttribute.Upstream)]
    public async Task A_layer_After_a_run_step_is_owned_by_the_user_that_step_created()
    {
        var dir = s_workspace.CreateProject("ordered", $"""
              <PropertyGroup>
                <BakeryImageKind>BaseImage</BakeryImageKind>
                <BakeryUser>svc</BakeryUser>
                <ContainerRegistry>{s_registry.Address}</ContainerRegistry>
              </PropertyGroup>
              <ItemGroup>
                <BakeryUpstream Include="{RequiresDockerImageAttribute.Image(RequiresDockerImageAttribute.Upstream)}" />
                <BakeryLayer Include="data/" Destination="/srv/data/" Layer="data" Owner="svc" After="create-svc" />
                <BakeryLayer Include="tool.sh" Destination="/usr/local/bin/" Layer="tools" Mode="0755" />
                <BakeryRun Include="create-svc" Command="useradd --uid 2345 --user-group svc" />
                <BakeryRun Include="use-tool" Command="/usr/local/bin/tool.sh" After="tools" />
              </ItemGroup>
            """);
        Directory.CreateDirectory(Path.Combine(dir, "data"));
        File.WriteAllText(Path.Combine(dir, "data", "state.json"), "{}");
        File.WriteAllText(Path.Combine(dir, "tool.sh"), "#!/bin/sh\necho tool ran > /etc/tool-ran\n");

        var result = s_workspace.Bake(dir, "BakeryBuildId=1");

        Assert.AreEqual(0, result.ExitCode, result.Output);
        using var client = new RegistryClient(s_registry.Address);
        var manifest = (await client.GetManifestAsync("tests/ordered", "1.0.0-build.1")).Parse();
        var config = ImageConfig.Parse(await client.GetBlobAsync("tests/ordered", manifest.Config!.ParsedDigest));
        var history = config.HistoryCreatedBy.Where(h => h.StartsWith("bakery:", StringComparison.Ordinal)).ToList();
        CollectionAssert.AreEqual(new[] { "tools", "use-tool", "create-svc", "data" },
            history.Select(h => h.Contains("layer tools") ? "tools" : h.Contains("tool.sh") ? "use-tool" : h.Contains("useradd") ? "create-svc" : h.Contains("layer data") ? "data" : h).ToArray(),
            "layers and runs in the order After gives: " + string.Join(" | ", history));
        var path = Path.Combine(s_workspace.Root, "data-layer.tar.gz");
        await client.DownloadBlobAsync("tests/ordered", manifest.Layers![^1].ParsedDigest, path);
        var owners = new Dictionary<string, (int Uid, int Gid)>();
        await using (var stream = File.OpenRead(path))
            SafeLayerReader.Read(stream, new LayerReadLimits(), (e, _) => owners[e.Path] = (e.Uid, e.Gid));
        Assert.AreEqual((2345, 2345), owners["srv/data/state.json"], "the name was looked up in the image the run step changed");
        Assert.AreEqual((0, 0), owners["srv"]);
    }

    [TestMethod]
    [RequiresDockerImage(RequiresDockerImageAttribute.Upstream)]
    public async Task Failing_run_step_is_BAKE503_with_its_output_and_nothing_is_tagged()
    {
        var dir = RunProject("failing", RequiresDockerImageAttribute.Image(RequiresDockerImageAttribute.Upstream), "echo about to fail; exit 3");
        var result = s_workspace.Bake(dir, "BakeryBuildId=1");
        Assert.AreNotEqual(0, result.ExitCode, result.Output);
        StringAssert.Contains(result.Output, "error BAKE503");
        StringAssert.Contains(result.Output, "exited with code 3");
        StringAssert.Contains(result.Output, "about to fail");
        using var client = new RegistryClient(s_registry.Address);
        Assert.IsEmpty(await client.ListTagsAsync("tests/failing"));
    }

    [TestMethod]
    public async Task Run_step_without_a_docker_daemon_is_BAKE504()
    {
        var upstream = await TestImages.PushBaseAsync(s_registry.Address, "upstream/nodaemon");
        var dir = RunProject("nodaemon", upstream.Reference, "true");
        var result = s_workspace.Dotnet("publish", dir, ["BakeImage=true", "BakeryBuildId=1"],
            new Dictionary<string, string> { ["DOCKER_HOST"] = $"unix://{Path.Combine(s_workspace.Root, "no-docker.sock")}" });
        Assert.AreNotEqual(0, result.ExitCode, result.Output);
        StringAssert.Contains(result.Output, "error BAKE504");
        StringAssert.Contains(result.Output, "no-docker.sock");
    }
}
