using System.Formats.Tar;
using System.Text.Json;
using Bakery.Core.Containers;
using Bakery.Oci.Layers;
using Bakery.Oci.Model;
using Bakery.Oci.Registry;
using Bakery.Tests.Infrastructure;

namespace Bakery.Tests.Integration;

/// <summary>
/// RUN steps and command tests against podman's Docker-compatible API (<c>podman system service</c>,
/// <c>DOCKER_HOST=unix://…</c>, <c>BAKERY_CONTAINER_ENGINE=podman</c>), as the dockerd tests run them.
/// If podman cannot start containers on the machine, everything up to the start still runs (handshake,
/// pull, create, copies out of the container) and the rest is inconclusive with podman's own error.
/// </summary>
[TestClass]
[TestCategory("Integration")]
[TestCategory("Podman")]
public sealed class PodmanEngineTests
{
    private static RegistryProcess? s_registry;
    private static BakeryWorkspace? s_workspace;
    private static PodmanService? s_podman;
    private static string? s_unavailable;
    private static string? s_cannotStart;

    private static string Upstream => RequiresDockerImageAttribute.Image(RequiresDockerImageAttribute.Upstream);

    [ClassInitialize]
    public static async Task Initialize(TestContext _)
    {
        s_unavailable = PodmanService.Unavailable
            ?? (string.IsNullOrEmpty(Environment.GetEnvironmentVariable(RequiresDockerImageAttribute.Upstream))
                ? $"{RequiresDockerImageAttribute.Upstream} is not set; run ./build.sh test, which makes the upstream image" : null);
        if (s_unavailable is not null) return;
        s_registry = RegistryProcess.Start();
        s_workspace = new BakeryWorkspace("podman", pushTo: s_registry.Address);
        s_podman = PodmanService.Start([s_registry.Address, ImageReference.Parse(Upstream).Registry]);
        using var runtime = Connect();
        if (await runtime.UnavailableReasonAsync(CancellationToken.None) is { } reason)
        {
            s_unavailable = $"podman system service does not answer: {reason}";
            return;
        }
        await runtime.PullAsync(Upstream, CancellationToken.None);
        try
        {
            await using var run = await ContainerRun.StartAsync(runtime, new ContainerSpec(Upstream, ["/bin/true"], []), CancellationToken.None);
            if (await run.WaitAsync(TimeSpan.FromMinutes(1), CancellationToken.None) is not 0L) s_cannotStart = "a container running /bin/true did not exit with 0";
        }
        catch (Core.BakeryException e) { s_cannotStart = e.Message; }
    }

    [ClassCleanup]
    public static void Cleanup()
    {
        s_podman?.Dispose();
        s_workspace?.Dispose();
        s_registry?.Dispose();
    }

    private static IContainerRuntime Connect() =>
        ContainerRuntimes.Connect(new ContainerEndpoint(new Uri(s_podman!.DockerHost), ContainerEngineKind.Podman, "the test's podman service"));

    private static void RequirePodman()
    {
        if (s_unavailable is not null) Assert.Inconclusive("Skipped: " + s_unavailable);
    }

    private static void RequireStart()
    {
        RequirePodman();
        if (s_cannotStart is not null) Assert.Inconclusive($"Skipped: podman here pulls, creates and copies out of containers, but cannot start them: {s_cannotStart}");
    }

    private static ProcessResult Tool(params string[] args) =>
        ProcessRunner.Run("dotnet", [Path.Combine(AppContext.BaseDirectory, "Bakery.Tool.dll"), .. args], s_workspace!.Root,
            new Dictionary<string, string>(s_podman!.EngineEnvironment) { ["NUGET_PACKAGES"] = s_workspace.Packages }, TimeSpan.FromMinutes(10));

    [TestMethod]
    public async Task Podman_answers_the_Docker_API_pulls_by_digest_creates_and_copies_out_without_starting()
    {
        RequirePodman();
        using var runtime = Connect();
        Assert.IsNull(await runtime.UnavailableReasonAsync(CancellationToken.None));
        Assert.AreEqual(ContainerEngineKind.Podman, runtime.Engine, "told apart from dockerd by its version");
        await runtime.PullAsync(Upstream, CancellationToken.None);
        CollectionAssert.Contains((await runtime.ImageEnvironmentAsync(Upstream, CancellationToken.None)).Select(e => e.Split('=')[0]).ToList(), "PATH");

        var container = await runtime.CreateAsync(new ContainerSpec(Upstream, ["/bin/true"], []), CancellationToken.None);
        try
        {
            await using (var copy = await runtime.ExportAsync(container, "/etc/os-release", CancellationToken.None))
            {
                Assert.IsNotNull(copy);
                using var reader = new TarReader(copy);
                var entry = await reader.GetNextEntryAsync(copyData: true);
                Assert.AreEqual("os-release", entry!.Name);
                StringAssert.Contains(await new StreamReader(entry.DataStream!).ReadToEndAsync(), "bookworm");
            }
            Assert.IsNull(await runtime.ExportAsync(container, "/no/such/file", CancellationToken.None));
            var names = new List<string>();
            await using (var export = await runtime.ExportFilesystemAsync(container, CancellationToken.None))
            {
                using var reader = new TarReader(export);
                while (await reader.GetNextEntryAsync() is { } entry) names.Add(entry.Name.TrimEnd('/'));
            }
            CollectionAssert.Contains(names, "etc/passwd");
            Assert.IsEmpty(await runtime.ChangesAsync(container, CancellationToken.None), "a container never started changed nothing");
        }
        finally { await runtime.RemoveAsync(container, CancellationToken.None); }
    }

    [TestMethod]
    public async Task Run_steps_bake_through_podman_with_owners_whiteouts_links_and_a_cached_rebake()
    {
        RequireStart();
        var dir = s_workspace!.CreateProject("podrun", $"""
              <PropertyGroup>
                <BakeryImageKind>BaseImage</BakeryImageKind>
                <BakeryUser>1000</BakeryUser>
                <ContainerRegistry>{s_registry!.Address}</ContainerRegistry>
              </PropertyGroup>
              <ItemGroup>
                <BakeryUpstream Include="{Upstream}" />
                <BakeryRun Include="step" Command="mkdir -p /opt/run &amp;&amp; echo ran &gt; /opt/run/hello.txt &amp;&amp; chown 1234:1234 /opt/run/hello.txt &amp;&amp; ln -s ../lib/none /opt/run/dangling &amp;&amp; rm /etc/issue" />
              </ItemGroup>
            """);
        var first = s_workspace.Dotnet("publish", dir, ["BakeImage=true", "BakeryBuildId=1"], s_podman!.EngineEnvironment);
        Assert.AreEqual(0, first.ExitCode, first.Output);
        StringAssert.Contains(first.Output, "RUN mkdir -p /opt/run");

        using var client = new RegistryClient(s_registry.Address);
        var manifest = (await client.GetManifestAsync("tests/podrun", "1.0.0-build.1")).Parse();
        var path = Path.Combine(s_workspace.Root, "podrun-layer.tar.gz");
        await client.DownloadBlobAsync("tests/podrun", manifest.Layers![^1].ParsedDigest, path);
        var entries = new Dictionary<string, (LayerEntry Entry, string? Content)>();
        await using (var stream = File.OpenRead(path))
            SafeLayerReader.Read(stream, new LayerReadLimits(), (e, content) => entries[e.Path] = (e, content is null ? null : new StreamReader(content).ReadToEnd()));
        Assert.AreEqual("ran\n", entries["opt/run/hello.txt"].Content);
        Assert.AreEqual(1234, entries["opt/run/hello.txt"].Entry.Uid, "owners survive podman (its copy API reports root; the export does not)");
        Assert.AreEqual("../lib/none", entries["opt/run/dangling"].Entry.LinkTarget, "a link keeps its literal target (podman's copy API would follow it)");
        Assert.IsTrue(entries.ContainsKey("etc/.wh.issue"), "a deleted file becomes a whiteout");
        Assert.IsFalse(entries.Keys.Any(k => k.StartsWith("run/", StringComparison.Ordinal) || k == "etc/hosts" || k == "etc/resolv.conf"),
            "nothing podman mounts into containers: " + string.Join(", ", entries.Keys));

        var second = s_workspace.Dotnet("publish", dir, ["BakeImage=true", "BakeryBuildId=2"], s_podman.EngineEnvironment);
        Assert.AreEqual(0, second.ExitCode, second.Output);
        StringAssert.Contains(second.Output, "(cached:");
        Assert.AreEqual((await client.GetManifestAsync("tests/podrun", "1.0.0-build.1")).Digest, (await client.GetManifestAsync("tests/podrun", "1.0.0-build.2")).Digest);
    }

    [TestMethod]
    public void Command_tests_run_through_podman_for_a_registry_image_and_an_archive()
    {
        RequireStart();
        var policy = Path.Combine(s_workspace!.Root, "podman-policy.yaml");
        File.WriteAllText(policy, """
            schemaVersion: 2.0.0
            globalEnvVars:
              - key: STAGE
                value: podman
            commandTests:
              - name: global and test variables
                envVars:
                  - key: MODE
                    value: ci
                command: sh
                args: ['-c', 'echo "$STAGE $(printenv MODE) $(id -u)"']
                expectedOutput: ['^podman ci 4321\n$']
              - name: setup persists
                setup: [['sh', '-c', 'echo prepared > /tmp/state']]
                command: cat
                args: [/tmp/state]
                expectedOutput: ['prepared']
              - name: failing twin
                command: sh
                args: ['-c', 'exit 2']
            containerRunOptions:
              user: '4321'
            """);
        var fromRegistry = Tool("verify", Upstream, "--policy", policy, "--command-tests", "true", "--json");
        Assert.AreEqual(3, fromRegistry.ExitCode, fromRegistry.Output);
        AssertChecks(fromRegistry.Output);

        var archive = Path.Combine(s_workspace.Root, "upstream.tar");
        var copy = ProcessRunner.Run("skopeo", ["copy", "--src-tls-verify=false", $"docker://{Upstream}", $"docker-archive:{archive}"], s_workspace.Root);
        Assert.AreEqual(0, copy.ExitCode, copy.Output);
        var fromArchive = Tool("verify", archive, "--policy", policy, "--command-tests", "true", "--json");
        Assert.AreEqual(3, fromArchive.ExitCode, fromArchive.Output);
        AssertChecks(fromArchive.Output);
    }

    private static void AssertChecks(string output)
    {
        using var json = JsonDocument.Parse(output[output.IndexOf('{', StringComparison.Ordinal)..]);
        var checks = json.RootElement.GetProperty("checks").EnumerateArray().ToDictionary(c => c.GetProperty("name").GetString()!);
        // podman on this kind of machine sometimes fails to start a container at all (runc "unable to store init state"):
        // that is the engine, not the command test, so the test says so instead of passing or failing.
        if (checks.Values.Select(c => c.TryGetProperty("failure", out var f) ? f.GetString() : null).FirstOrDefault(f => f?.Contains("OCI runtime error", StringComparison.Ordinal) == true) is { } engineFailure)
            Assert.Inconclusive($"Skipped: podman could not start a container this time: {engineFailure}");
        Assert.IsTrue(checks["global and test variables"].GetProperty("passed").GetBoolean(), checks["global and test variables"].ToString());
        Assert.IsTrue(checks["setup persists"].GetProperty("passed").GetBoolean(), checks["setup persists"].ToString());
        Assert.IsFalse(checks["failing twin"].GetProperty("passed").GetBoolean());
        StringAssert.Contains(checks["failing twin"].GetProperty("failure").GetString(), "exit code 2, expected 0");
    }
}
