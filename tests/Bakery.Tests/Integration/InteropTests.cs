using System.Security.Cryptography;
using System.Text.Json;
using Bakery.Core.Descriptors;
using Bakery.Core.Lifecycle;
using Bakery.Core.Security;
using Bakery.Oci.Model;
using Bakery.Oci.Registry;
using Bakery.Tests.Infrastructure;

namespace Bakery.Tests.Integration;

/// <summary>
/// What Bakery pushes, read by clients nobody here wrote: skopeo (inspect, copy to an OCI layout),
/// docker (pull, run) and podman (pull, run), network none. Every image kind: an app baked with a
/// real dotnet publish, the base image it runs on (the global sample, baked by ./build.sh test),
/// and the SBOM and lifecycle artifacts that refer to the app.
/// </summary>
[TestClass]
[TestCategory("Integration")]
[TestCategory("Docker")]
public sealed class InteropTests
{
    private static RegistryProcess? s_registry;
    private static BakeryWorkspace? s_workspace;
    private static PodmanService? s_podman;
    private static string s_app = null!;
    private static Digest s_appDigest;
    private static string s_base = null!;

    [ClassInitialize]
    public static async Task Initialize(TestContext _)
    {
        if (string.IsNullOrEmpty(Environment.GetEnvironmentVariable(RequiresDockerImageAttribute.RuntimeBase))) return;
        s_registry = RegistryProcess.Start();
        s_workspace = new BakeryWorkspace("interop", pushTo: s_registry.Address);
        s_base = RequiresDockerImageAttribute.Image(RequiresDockerImageAttribute.RuntimeBase);
        var runtime = ImageReference.Parse(s_base);
        s_workspace.AddBasePackage(new BaseImageDescriptor
        {
            Id = "Tests.Interop.Runtime",
            Version = "10.0.0",
            Image = new DescriptorImage { Registry = runtime.Registry, Repository = runtime.Repository, Digest = runtime.Digest!.Value.ToString() },
            Lifecycle = new DescriptorLifecycle { ExpiresOn = DateTimeOffset.UtcNow.AddYears(1) },
        });
        var dir = s_workspace.CreateProject("interop", BakeryWorkspace.BaseReference("Tests.Interop.Runtime", "10.0.0"), """
            System.Console.WriteLine($"interop app as {System.Environment.UserName}");
            """);
        var bake = s_workspace.Bake(dir, "BakeryBuildId=7", $"ContainerRegistry={s_registry.Address}");
        Assert.AreEqual(0, bake.ExitCode, bake.Output);
        using var client = new RegistryClient(s_registry.Address);
        s_appDigest = (await client.GetManifestAsync("tests/interop", "1.0.0-build.7")).Digest;
        s_app = $"{s_registry.Address}/tests/interop@{s_appDigest}";
        var deprecate = s_workspace.Tool("lifecycle", "deprecate", s_app, "--reason", "interop test", "--successor", "Tests.Interop 2.0.0");
        Assert.AreEqual(0, deprecate.ExitCode, deprecate.Output);
        if (PodmanService.Unavailable is null) s_podman = PodmanService.Start([s_registry.Address, runtime.Registry]);
    }

    [ClassCleanup]
    public static void Cleanup()
    {
        s_podman?.Dispose();
        s_workspace?.Dispose();
        s_registry?.Dispose();
    }

    private static ProcessResult Run(string program, params string[] args)
    {
        var result = ProcessRunner.Run(program, args, s_workspace!.Root, timeout: TimeSpan.FromMinutes(5));
        Assert.AreEqual(0, result.ExitCode, $"{program} {string.Join(' ', args)}\n{result.Output}");
        return result;
    }

    private static JsonDocument Json(ProcessResult result) => JsonDocument.Parse(result.Output[result.Output.IndexOf('{', StringComparison.Ordinal)..]);

    private static string Skopeo
    {
        get
        {
            if (!File.Exists("/usr/bin/skopeo")) Assert.Fail("skopeo is not installed; ./build.sh test installs it (apt-get install skopeo)");
            return "/usr/bin/skopeo";
        }
    }

    /// <summary>skopeo copy to an OCI layout with digests kept; returns the layout's manifest digest after checking every blob's digest.</summary>
    private static string CopyToLayout(string reference, string name)
    {
        var layout = Path.Combine(s_workspace!.Root, "layouts", name);
        Directory.CreateDirectory(Path.GetDirectoryName(layout)!);
        Run(Skopeo, "copy", "--src-tls-verify=false", "--preserve-digests", $"docker://{reference}", $"oci:{layout}:{name}");
        foreach (var blob in Directory.EnumerateFiles(Path.Combine(layout, "blobs", "sha256")))
            Assert.AreEqual(Path.GetFileName(blob), Convert.ToHexStringLower(SHA256.HashData(File.ReadAllBytes(blob))), $"blob {blob} of {reference}");
        using var index = JsonDocument.Parse(File.ReadAllText(Path.Combine(layout, "index.json")));
        return index.RootElement.GetProperty("manifests")[0].GetProperty("digest").GetString()!;
    }

    [TestMethod]
    [RequiresDockerImage(RequiresDockerImageAttribute.RuntimeBase)]
    public async Task Skopeo_inspects_and_copies_the_app_and_its_base_image_digest_for_digest()
    {
        using var inspect = Json(Run(Skopeo, "inspect", "--tls-verify=false", $"docker://{s_registry!.Address}/tests/interop:1.0.0-build.7"));
        Assert.AreEqual(s_appDigest.ToString(), inspect.RootElement.GetProperty("Digest").GetString());
        using var client = new RegistryClient(s_registry.Address);
        var manifest = (await client.GetManifestAsync("tests/interop", s_appDigest.ToString())).Parse();
        CollectionAssert.AreEqual(manifest.Layers!.Select(l => l.Digest).ToArray(),
            inspect.RootElement.GetProperty("Layers").EnumerateArray().Select(l => l.GetString()).ToArray());
        StringAssert.Contains(inspect.RootElement.GetProperty("Labels").GetProperty("dev.bakery.lineage").GetString(), ImageReference.Parse(s_base).Digest!.Value.Hex);
        CollectionAssert.Contains(inspect.RootElement.GetProperty("RepoTags").EnumerateArray().Select(t => t.GetString()).ToList(), "1.0.0");
        Assert.AreEqual(s_appDigest.ToString(), CopyToLayout(s_app, "app"));

        using var baseInspect = Json(Run(Skopeo, "inspect", "--tls-verify=false", $"docker://{s_base}"));
        Assert.AreEqual(ImageReference.Parse(s_base).Digest!.Value.ToString(), baseInspect.RootElement.GetProperty("Digest").GetString());
        Assert.AreEqual("linux", baseInspect.RootElement.GetProperty("Os").GetString());
        Assert.AreEqual(ImageReference.Parse(s_base).Digest!.Value.ToString(), CopyToLayout(s_base, "base"));
    }

    [TestMethod]
    [RequiresDockerImage(RequiresDockerImageAttribute.RuntimeBase)]
    public async Task Skopeo_reads_the_SBOM_and_lifecycle_artifacts_that_refer_to_the_app()
    {
        using var client = new RegistryClient(s_registry!.Address);
        var referrers = await client.GetReferrersAsync("tests/interop", s_appDigest);
        var sbom = referrers.Single(r => r.ArtifactType == Sbom.ArtifactType);
        var lifecycle = referrers.Single(r => r.ArtifactType == LifecycleRecord.ArtifactType);
        foreach (var (artifact, name) in new[] { (sbom, "sbom"), (lifecycle, "lifecycle") })
        {
            var reference = $"{s_registry.Address}/tests/interop@{artifact.Digest}";
            using var raw = Json(Run(Skopeo, "inspect", "--raw", "--tls-verify=false", $"docker://{reference}"));
            Assert.AreEqual(artifact.ArtifactType, raw.RootElement.GetProperty("artifactType").GetString(), name);
            Assert.AreEqual(s_appDigest.ToString(), raw.RootElement.GetProperty("subject").GetProperty("digest").GetString(), name);
            Assert.AreEqual(artifact.Digest, CopyToLayout(reference, name), $"{name} copied digest for digest");
        }
        var layer = JsonDocument.Parse(File.ReadAllText(Path.Combine(s_workspace!.Root, "layouts", "sbom", "blobs", "sha256", sbom.ParsedDigest.Hex)))
            .RootElement.GetProperty("layers")[0].GetProperty("digest").GetString()!;
        using var cyclonedx = JsonDocument.Parse(File.ReadAllText(Path.Combine(s_workspace.Root, "layouts", "sbom", "blobs", "sha256", layer["sha256:".Length..])));
        Assert.AreEqual("CycloneDX", cyclonedx.RootElement.GetProperty("bomFormat").GetString());
        Assert.AreEqual("deprecated", lifecycle.Annotations!["dev.bakery.lifecycle.state"]);
    }

    [TestMethod]
    [RequiresDockerImage(RequiresDockerImageAttribute.RuntimeBase)]
    public void Docker_pulls_and_runs_the_app_and_its_base_image()
    {
        Run("docker", "pull", s_app);
        Run("docker", "pull", s_base);
        try
        {
            StringAssert.Contains(Run("docker", "run", "--rm", "--network", "none", s_app).Output, "interop app as app");
            StringAssert.Contains(Run("docker", "run", "--rm", "--network", "none", "--entrypoint", "dotnet", s_base, "--list-runtimes").Output, "Microsoft.NETCore.App");
        }
        finally { ProcessRunner.Run("docker", ["rmi", s_app], s_workspace!.Root); }
    }

    [TestMethod]
    [RequiresDockerImage(RequiresDockerImageAttribute.RuntimeBase)]
    public void Podman_pulls_and_runs_the_app_and_its_base_image()
    {
        if (s_podman is null) Assert.Inconclusive("Skipped: " + PodmanService.Unavailable);
        foreach (var image in new[] { s_app, s_base })
        {
            var pull = s_podman.Cli("pull", image);
            Assert.AreEqual(0, pull.ExitCode, pull.Output);
        }
        var app = s_podman.Cli("run", "--rm", "--network", "none", s_app);
        if (app.ExitCode != 0 && app.Output.Contains("OCI", StringComparison.Ordinal))
            Assert.Inconclusive($"Skipped: podman pulled both images but cannot start containers here: {app.Output.Trim()}");
        Assert.AreEqual(0, app.ExitCode, app.Output);
        StringAssert.Contains(app.Output, "interop app as app");
        var baseRun = s_podman.Cli("run", "--rm", "--network", "none", "--entrypoint", "dotnet", s_base, "--list-runtimes");
        Assert.AreEqual(0, baseRun.ExitCode, baseRun.Output);
        StringAssert.Contains(baseRun.Output, "Microsoft.NETCore.App");
    }
}
