using System.Text.Json;
using Bakery.Core.Descriptors;
using Bakery.Oci.Model;
using Bakery.Oci.Registry;
using Bakery.Tests.Infrastructure;

namespace Bakery.Tests.Integration;

/// <summary>
/// The destinations besides a registry, with real engines and real clients: an app baked without
/// ContainerRegistry is loaded into dockerd (or podman) over its API and runs there; archives in both
/// formats are read back by `bakery verify`, `docker load` and skopeo and pushed by `bakery push`; a
/// failing gate loads and writes nothing. The app runs on the global runtime base ./build.sh test bakes.
/// </summary>
[TestClass]
[TestCategory("Integration")]
[TestCategory("Docker")]
public sealed class LocalDestinationTests
{
    private const string BaseId = "Tests.Local.Runtime";
    private static RegistryProcess? s_registry;
    private static BakeryWorkspace? s_workspace;

    [ClassInitialize]
    public static void Initialize(TestContext _)
    {
        if (string.IsNullOrEmpty(Environment.GetEnvironmentVariable(RequiresDockerImageAttribute.RuntimeBase))) return;
        s_registry = RegistryProcess.Start();
        // No pushTo: without ContainerRegistry these bakes go to the local engine, as the SDK's do.
        s_workspace = new BakeryWorkspace("local");
        var runtime = ImageReference.Parse(RequiresDockerImageAttribute.Image(RequiresDockerImageAttribute.RuntimeBase));
        s_workspace.AddBasePackage(new BaseImageDescriptor
        {
            Id = BaseId,
            Version = "10.0.0",
            Image = new DescriptorImage { Registry = runtime.Registry, Repository = runtime.Repository, Digest = runtime.Digest!.Value.ToString() },
            Lifecycle = new DescriptorLifecycle { ExpiresOn = DateTimeOffset.UtcNow.AddYears(1) },
        });
    }

    [ClassCleanup]
    public static void Cleanup()
    {
        s_workspace?.Dispose();
        s_registry?.Dispose();
    }

    private static BakeryWorkspace Workspace => s_workspace!;

    /// <summary>An app that says who runs it, with command tests (a passing one unless <paramref name="failing"/>).</summary>
    private static string App(string name, bool failing = false, string extra = "")
    {
        var dir = Workspace.CreateProject(name, BakeryWorkspace.BaseReference(BaseId, "10.0.0") + """
              <ItemGroup><BakeryVerify Include="checks.yaml" /></ItemGroup>
            """ + extra, $$"""
            System.Console.WriteLine($"hello from {{name}} as {System.Environment.UserName}");
            """);
        File.WriteAllText(Path.Combine(dir, "checks.yaml"), $"""
            schemaVersion: 2.0.0
            commandTests:
              - name: the shell answers
                command: /bin/sh
                args: ["-c", "echo ready"]
                expectedOutput: ["{(failing ? "never printed" : "ready")}"]
            """);
        return dir;
    }

    private static ProcessResult Run(string program, params string[] args)
    {
        var result = ProcessRunner.Run(program, args, Workspace.Root, timeout: TimeSpan.FromMinutes(5));
        Assert.AreEqual(0, result.ExitCode, $"{program} {string.Join(' ', args)}\n{result.Output}");
        return result;
    }

    private static bool DockerHas(string image) => ProcessRunner.Run("docker", ["image", "inspect", image], Workspace.Root).ExitCode == 0;

    private static JsonElement Report(string dir)
    {
        var path = Directory.GetFiles(Path.Combine(dir, "obj"), "bakery-report.json", SearchOption.AllDirectories).Single();
        return JsonDocument.Parse(File.ReadAllText(path)).RootElement.Clone();
    }

    private static string Skopeo => File.Exists("/usr/bin/skopeo") ? "/usr/bin/skopeo" : throw new AssertFailedException("skopeo is not installed; ./build.sh test installs it (apt-get install skopeo)");

    [TestMethod]
    [RequiresDockerImage(RequiresDockerImageAttribute.RuntimeBase)]
    public async Task Without_ContainerRegistry_the_app_is_loaded_into_dockerd_tested_there_and_runs()
    {
        var dir = App("localapp");
        try
        {
            var first = Workspace.Bake(dir, "BakeryBuildId=1", "BakeryRunCommandTests=true");
            Assert.AreEqual(0, first.ExitCode, first.Output);
            StringAssert.Contains(first.Output, "Loaded tests/localapp into docker");
            StringAssert.Contains(first.Output, "Ran 1 command test(s): 0 failed", "command tests run on the loaded image before it gets a name");
            StringAssert.Contains(first.Output, "loaded   into docker at unix:///var/run/docker.sock; run it: docker run --rm tests/localapp:1.0.0-build.1");
            var report = Report(dir);
            var destination = report.GetProperty("destination");
            Assert.AreEqual("docker", destination.GetProperty("kind").GetString());
            CollectionAssert.AreEqual(new[] { "tests/localapp:1.0.0", "tests/localapp:1.0.0-build.1" },
                destination.GetProperty("references").EnumerateArray().Select(r => r.GetString()).ToArray());
            Assert.AreEqual(report.GetProperty("configDigest").GetString(), destination.GetProperty("imageId").GetString(), "the engine's image ID is the config digest");
            Assert.AreEqual("tests/localapp", report.GetProperty("image").GetString());

            StringAssert.Contains(Run("docker", "run", "--rm", "--network", "none", "tests/localapp:1.0.0-build.1").Output, "hello from localapp as app");

            var again = Workspace.Bake(dir, "BakeryBuildId=2", "BakeryRunCommandTests=true");
            Assert.AreEqual(0, again.ExitCode, again.Output);
            StringAssert.Contains(again.Output, "nothing to load", "an image the engine has is only tagged again");
            Assert.IsTrue(DockerHas("tests/localapp:1.0.0-build.2"));
            using var client = new RegistryClient(s_registry!.Address);
            Assert.IsEmpty(await client.ListRepositoriesAsync(), "nothing went to a registry");
        }
        finally
        {
            foreach (var tag in new[] { "1.0.0", "1.0.0-build.1", "1.0.0-build.2" }) ProcessRunner.Run("docker", ["rmi", "-f", $"tests/localapp:{tag}"], Workspace.Root);
        }
    }

    [TestMethod]
    [RequiresDockerImage(RequiresDockerImageAttribute.RuntimeBase)]
    public async Task Archives_in_both_formats_are_read_back_by_bakery_verify_docker_and_skopeo_and_pushed_by_bakery_push()
    {
        var dir = App("archapp");
        var output = Path.Combine(Workspace.Root, "archives");
        var docker = Workspace.Bake(dir, "BakeryBuildId=1", $"ContainerArchiveOutputPath={output}/");
        Assert.AreEqual(0, docker.ExitCode, docker.Output);
        var dockerArchive = Path.Combine(output, "tests", "archapp.tar.gz");
        Assert.IsTrue(File.Exists(dockerArchive), "a folder gets <repository>.tar.gz, as in the SDK");
        StringAssert.Contains(docker.Output, $"wrote    {dockerArchive} (docker-archive)");
        var dockerReport = Report(dir);

        var ociArchive = Path.Combine(output, "archapp.oci.tar");
        var oci = Workspace.Bake(dir, "BakeryBuildId=1", $"ContainerArchiveOutputPath={ociArchive}", "ContainerImageFormat=OCI");
        Assert.AreEqual(0, oci.ExitCode, oci.Output);
        var ociReport = Report(dir);
        Assert.AreEqual(MediaTypes.OciManifest, ociReport.GetProperty("mediaType").GetString());
        Assert.AreEqual("oci-layout", ociReport.GetProperty("destination").GetProperty("format").GetString());
        Assert.IsEmpty(Directory.GetFiles(output, "*.tmp-*", SearchOption.AllDirectories), "no temporary file is left");

        File.WriteAllText(Path.Combine(Workspace.Root, "policy.yaml"), """
            schemaVersion: 2.0.0
            fileExistenceTests:
              - name: the app
                path: /app/archapp.dll
                shouldExist: true
            commandTests:
              - name: dotnet runs the app
                command: dotnet
                args: ["/app/archapp.dll"]
                expectedOutput: ["hello from archapp as app"]
            """);
        foreach (var archive in new[] { dockerArchive, ociArchive })
        {
            var verify = Workspace.Tool("verify", archive, "--policy", Path.Combine(Workspace.Root, "policy.yaml"), "--command-tests", "true");
            Assert.AreEqual(0, verify.ExitCode, verify.Output);
        }

        // docker load reads the docker-archive under its tags; skopeo reads both formats.
        var loaded = Run("docker", "load", "-i", dockerArchive);
        StringAssert.Contains(loaded.Output, "Loaded image: tests/archapp:1.0.0-build.1");
        try
        {
            StringAssert.Contains(Run("docker", "run", "--rm", "--network", "none", "tests/archapp:1.0.0-build.1").Output, "hello from archapp as app");
            // The OCI layout loads too: like docker 25's own save it carries a manifest.json for a dockerd without the containerd image store.
            Run("docker", "rmi", "tests/archapp:1.0.0", "tests/archapp:1.0.0-build.1");
            StringAssert.Contains(Run("docker", "load", "-i", ociArchive).Output, "Loaded image: tests/archapp:1.0.0-build.1");
            StringAssert.Contains(Run("docker", "run", "--rm", "--network", "none", "tests/archapp:1.0.0-build.1").Output, "hello from archapp as app");
            // skopeo's docker-archive transport reads plain tars only: the same archive, gunzipped.
            var plainDockerArchive = Path.Combine(output, "archapp.docker.tar");
            using (var gzip = new System.IO.Compression.GZipStream(File.OpenRead(dockerArchive), System.IO.Compression.CompressionMode.Decompress))
            using (var plain = File.Create(plainDockerArchive))
                gzip.CopyTo(plain);
            using var dockerInspect = JsonDocument.Parse(Run(Skopeo, "inspect", $"docker-archive:{plainDockerArchive}").Output);
            Assert.AreEqual(dockerReport.GetProperty("layers").GetArrayLength(), dockerInspect.RootElement.GetProperty("Layers").GetArrayLength());
            using var ociInspect = JsonDocument.Parse(Run(Skopeo, "inspect", $"oci-archive:{ociArchive}").Output);
            Assert.AreEqual(ociReport.GetProperty("digest").GetString(), ociInspect.RootElement.GetProperty("Digest").GetString(), "an OCI layout keeps the manifest the bake made");
            // The layout names the image by its first tag (the version); docker-archive and manifest.json carry every tag.
            Run(Skopeo, "copy", $"oci-archive:{ociArchive}:1.0.0", "docker-daemon:tests/archapp-oci:copied");
            StringAssert.Contains(Run("docker", "run", "--rm", "--network", "none", "tests/archapp-oci:copied").Output, "hello from archapp as app");
        }
        finally
        {
            foreach (var image in new[] { "tests/archapp:1.0.0", "tests/archapp:1.0.0-build.1", "tests/archapp-oci:copied" })
                ProcessRunner.Run("docker", ["rmi", "-f", image], Workspace.Root);
        }

        // bakery push: the OCI layout under the digest the bake reported, the docker-archive under a manifest built from it.
        var registry = s_registry!.Address;
        var pushOci = Workspace.Tool("push", ociArchive, $"{registry}/staged/archapp", "--json");
        Assert.AreEqual(0, pushOci.ExitCode, pushOci.Output);
        using var client = new RegistryClient(registry);
        Assert.AreEqual(ociReport.GetProperty("digest").GetString(), (await client.GetManifestAsync("staged/archapp", "1.0.0-build.1")).Digest.ToString());
        CollectionAssert.AreEquivalent(new[] { "1.0.0", "1.0.0-build.1" }, (await client.ListTagsAsync("staged/archapp")).ToArray(), "every tag the bake decided");
        var again = Workspace.Tool("push", ociArchive, $"{registry}/staged/archapp");
        Assert.AreEqual(0, again.ExitCode, again.Output);
        StringAssert.Contains(again.Output, "pushed   0 blob(s), 0 B");

        var pushDocker = Workspace.Tool("push", dockerArchive, registry);
        Assert.AreEqual(0, pushDocker.ExitCode, pushDocker.Output);
        var pushed = await client.GetManifestAsync("tests/archapp", "1.0.0-build.1");
        Assert.AreEqual(MediaTypes.DockerManifest, pushed.MediaType, "gzip layers: Docker schema 2, the format docker-archive images are pushed in");
        var pushedAgain = Workspace.Tool("push", dockerArchive, registry);
        Assert.AreEqual(0, pushedAgain.ExitCode, pushedAgain.Output);
        Assert.AreEqual(pushed.Digest, (await client.GetManifestAsync("tests/archapp", "1.0.0-build.1")).Digest, "the built manifest is the same every time");
        var pulled = Run(Skopeo, "inspect", "--tls-verify=false", $"docker://{registry}/tests/archapp:1.0.0-build.1");
        StringAssert.Contains(pulled.Output, pushed.Digest.ToString());

        var moving = Workspace.Tool("push", dockerArchive, $"{registry}/staged/archapp");
        Assert.AreNotEqual(0, moving.ExitCode, moving.Output);
        StringAssert.Contains(moving.Output, "BAKE407", "the build tag names the OCI push's image: build tags never move");
        var moved = Workspace.Tool("push", dockerArchive, $"{registry}/staged/archapp", "--allow-tag-overwrite", "--verbose");
        Assert.AreEqual(0, moved.ExitCode, moved.Output);
        StringAssert.Contains(moved.Output, "moved    1.0.0-build.1", "--allow-tag-overwrite lets the build tag move, and says so");
        Assert.AreEqual(pushed.Digest, (await client.GetManifestAsync("staged/archapp", "1.0.0-build.1")).Digest);

        var latest = Workspace.Tool("push", ociArchive, $"{registry}/staged/retagged", "--tag", "latest");
        Assert.AreNotEqual(0, latest.ExitCode, latest.Output);
        StringAssert.Contains(latest.Output, "BAKE401");
        Assert.IsEmpty(await client.ListTagsAsync("staged/retagged"), "a refused tag pushes nothing");
        var retagged = Workspace.Tool("push", ociArchive, $"{registry}/staged/retagged", "--tag", "2.0.0", "--tag", "latest", "--allow-latest");
        Assert.AreEqual(0, retagged.ExitCode, retagged.Output);
        StringAssert.Contains(retagged.Output, "BAKE411");
        CollectionAssert.AreEquivalent(new[] { "2.0.0", "latest" }, (await client.ListTagsAsync("staged/retagged")).ToArray(), "--tag replaces the archive's tags");
        var badTag = Workspace.Tool("push", ociArchive, $"{registry}/staged/retagged:2.0.0");
        Assert.AreNotEqual(0, badTag.ExitCode, badTag.Output);
        StringAssert.Contains(badTag.Output, "BAKE442");

        var nameless = Workspace.Tool("push", dockerArchive);
        Assert.AreNotEqual(0, nameless.ExitCode);
        StringAssert.Contains(nameless.Output, "BAKE442");
        StringAssert.Contains(nameless.Output, "without a registry");

        // A path below a regular file cannot be written: BAKE441, and nothing is left behind.
        var blocker = Path.Combine(output, "not-a-folder");
        File.WriteAllText(blocker, "a file");
        var unwritable = Workspace.Bake(dir, "BakeryBuildId=1", $"ContainerArchiveOutputPath={blocker}/app.tar");
        Assert.AreNotEqual(0, unwritable.ExitCode, unwritable.Output);
        StringAssert.Contains(unwritable.Output, "error BAKE441");
        Assert.AreEqual("a file", File.ReadAllText(blocker));

        var corrupt = Path.Combine(output, "corrupt.tar");
        var bytes = File.ReadAllBytes(ociArchive);
        bytes[bytes.Length / 2] ^= 0xFF;
        File.WriteAllBytes(corrupt, bytes);
        var refused = Workspace.Tool("push", corrupt, $"{registry}/staged/corrupt");
        Assert.AreNotEqual(0, refused.ExitCode, refused.Output);
        StringAssert.Contains(refused.Output, "BAKE310");
        Assert.IsEmpty(await client.ListTagsAsync("staged/corrupt"), "a corrupt archive pushes nothing");
    }

    [TestMethod]
    [RequiresDockerImage(RequiresDockerImageAttribute.RuntimeBase)]
    public void A_failing_gate_loads_nothing_and_writes_nothing()
    {
        var secret = App("secretapp", extra: """
              <ItemGroup><BakeryLayer Include="settings.env" Destination="/etc/secretapp/" /></ItemGroup>
            """);
        File.WriteAllText(Path.Combine(secret, "settings.env"), "DB_PASSWORD=Xk7#pQ2vLm9Tz4wR\n");
        var output = Path.Combine(Workspace.Root, "gated");
        Directory.CreateDirectory(output);

        var loaded = Workspace.Bake(secret, "BakeryBuildId=1");
        Assert.AreNotEqual(0, loaded.ExitCode, loaded.Output);
        StringAssert.Contains(loaded.Output, "error BAKE302");
        Assert.IsFalse(DockerHas("tests/secretapp:1.0.0-build.1"), "a secret stops the bake before the engine sees the image");
        var written = Workspace.Bake(secret, "BakeryBuildId=1", $"ContainerArchiveOutputPath={output}/secret.tar");
        Assert.AreNotEqual(0, written.ExitCode, written.Output);
        StringAssert.Contains(written.Output, "error BAKE302");

        var failing = App("failingapp", failing: true);
        var notLoaded = Workspace.Bake(failing, "BakeryBuildId=1", "BakeryRunCommandTests=true");
        Assert.AreNotEqual(0, notLoaded.ExitCode, notLoaded.Output);
        StringAssert.Contains(notLoaded.Output, "error BAKE303");
        var configDigest = Report(failing).GetProperty("configDigest").GetString()!;
        Assert.IsFalse(DockerHas("tests/failingapp:1.0.0-build.1"), "a failed command test leaves no name");
        Assert.IsFalse(DockerHas(configDigest), "and the image loaded to test it is removed again");
        var notWritten = Workspace.Bake(failing, "BakeryBuildId=1", "BakeryRunCommandTests=true", $"ContainerArchiveOutputPath={output}/failing.tar", "ContainerImageFormat=OCI");
        Assert.AreNotEqual(0, notWritten.ExitCode, notWritten.Output);
        StringAssert.Contains(notWritten.Output, "error BAKE303");
        Assert.IsFalse(DockerHas(configDigest), "the archive's test load is removed too");

        Assert.IsEmpty(Directory.GetFileSystemEntries(output), "no archive and no temporary file: " + string.Join(", ", Directory.GetFileSystemEntries(output)));
    }

    [TestMethod]
    [RequiresDockerImage(RequiresDockerImageAttribute.RuntimeBase)]
    public void LocalRegistry_Podman_loads_into_podman_over_its_socket_and_podman_runs_it()
    {
        if (PodmanService.Unavailable is { } unavailable) Assert.Inconclusive("Skipped: " + unavailable);
        using var podman = PodmanService.Start([]);
        var dir = App("podapp");
        var environment = new Dictionary<string, string> { ["CONTAINER_HOST"] = podman.DockerHost };
        var bake = Workspace.Dotnet("publish", dir, ["BakeImage=true", "BakeryBuildId=1", "LocalRegistry=Podman", "BakeryRunCommandTests=false"], environment);
        Assert.AreEqual(0, bake.ExitCode, bake.Output);
        StringAssert.Contains(bake.Output, "Loaded tests/podapp into podman");
        StringAssert.Contains(bake.Output, "run it: podman run --rm localhost/tests/podapp:1.0.0-build.1", "podman names local images localhost/…, as podman build does");
        var destination = Report(dir).GetProperty("destination");
        Assert.AreEqual("podman", destination.GetProperty("kind").GetString());
        CollectionAssert.Contains(destination.GetProperty("references").EnumerateArray().Select(r => r.GetString()).ToArray(), "localhost/tests/podapp:1.0.0-build.1");
        Assert.IsFalse(DockerHas("tests/podapp:1.0.0-build.1"), "LocalRegistry=Podman means podman, not docker");
        var run = podman.Cli("run", "--rm", "--network", "none", "localhost/tests/podapp:1.0.0-build.1");
        if (run.ExitCode != 0 && run.Output.Contains("OCI", StringComparison.Ordinal))
            Assert.Inconclusive($"Skipped: podman loaded the image but cannot start containers here: {run.Output.Trim()}");
        Assert.AreEqual(0, run.ExitCode, run.Output);
        StringAssert.Contains(run.Output, "hello from podapp as app");

        // podman load reads the OCI layout archive a bake writes.
        var archive = Path.Combine(Workspace.Root, "podapp.oci.tar");
        var written = Workspace.Bake(dir, "BakeryBuildId=2", $"ContainerArchiveOutputPath={archive}", "ContainerImageFormat=OCI", "BakeryRunCommandTests=false");
        Assert.AreEqual(0, written.ExitCode, written.Output);
        var id = Report(dir).GetProperty("configDigest").GetString()!["sha256:".Length..][..12];
        Assert.AreEqual(0, podman.Cli("rmi", "-f", "localhost/tests/podapp:1.0.0-build.1", "localhost/tests/podapp:1.0.0").ExitCode, "the image the engine destination loaded is gone");
        var load = podman.Cli("load", "-i", archive);
        Assert.AreEqual(0, load.ExitCode, load.Output);
        var loadedRun = podman.Cli("run", "--rm", "--network", "none", id);
        Assert.AreEqual(0, loadedRun.ExitCode, loadedRun.Output);
        StringAssert.Contains(loadedRun.Output, "hello from podapp as app");
    }

    [TestMethod]
    [RequiresDockerImage(RequiresDockerImageAttribute.RuntimeBase)]
    public void Without_any_engine_the_bake_is_BAKE440_naming_what_it_tried()
    {
        var dir = App("noengine");
        var environment = new Dictionary<string, string> { ["DOCKER_HOST"] = "unix:///nonexistent/docker.sock" };
        var bake = Workspace.Dotnet("publish", dir, ["BakeImage=true", "BakeryBuildId=1", "LocalRegistry=Docker"], environment);
        Assert.AreNotEqual(0, bake.ExitCode, bake.Output);
        StringAssert.Contains(bake.Output, "error BAKE440");
        StringAssert.Contains(bake.Output, "/nonexistent/docker.sock");
        StringAssert.Contains(bake.Output, "ContainerArchiveOutputPath");
    }
}
