using System.Text.Json;
using Bakery.Oci.Model;
using Bakery.Oci.Registry;
using Bakery.Tests.Infrastructure;

namespace Bakery.Tests.Integration;

/// <summary>
/// Multi-platform images against a real registry and dockerd, arm64 through QEMU: a two-platform base
/// (per-platform layers, a RUN step and command tests in each platform's container) packed and used by
/// an app with ContainerRuntimeIdentifiers whose images run on both platforms; reproducible index
/// digests; a RID the base lacks; one failing platform (nothing tagged); lifecycle records on the index
/// and on one platform's image; skopeo and docker pulling each platform; the tool's --platform.
/// </summary>
[TestClass]
[TestCategory("Integration")]
public sealed class MultiPlatformBakeTests
{
    private const string UpstreamIndex = "BAKERY_TEST_UPSTREAM_INDEX";

    private static RegistryProcess s_registry = null!;
    private static BakeryWorkspace s_workspace = null!;
    private static readonly SemaphoreSlim ChainLock = new(1, 1);
    private static Chain? s_chain;

    private sealed record Chain(string BaseDir, string BaseIndex, IReadOnlyDictionary<string, string> BaseImages, JsonElement Descriptor);

    [ClassInitialize]
    public static void Initialize(TestContext _)
    {
        s_registry = RegistryProcess.Start();
        // nuget.org for the apphost of each RID; the runtime packs the user's package folder has are linked in.
        s_workspace = new BakeryWorkspace("multiplatform", withNuGetOrg: true, pushTo: s_registry.Address);
        var packages = Environment.GetEnvironmentVariable("NUGET_PACKAGES") is { Length: > 0 } p ? p
            : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".nuget", "packages");
        Directory.CreateDirectory(s_workspace.Packages);
        foreach (var id in new[] { "microsoft.netcore.app.runtime.linux-arm64", "microsoft.netcore.app.host.linux-arm64" })
            if (Directory.Exists(Path.Combine(packages, id)))
                ProcessRunner.Run("cp", ["-al", Path.Combine(packages, id), s_workspace.Packages], s_workspace.Root);
    }

    [ClassCleanup]
    public static void Cleanup()
    {
        s_workspace?.Dispose();
        s_registry?.Dispose();
    }

    private static string Upstream => RequiresDockerImageAttribute.Image(UpstreamIndex);

    private static ProcessResult Run(string program, params string[] args) =>
        ProcessRunner.Run(program, args, s_workspace.Root, timeout: TimeSpan.FromMinutes(5));

    private static JsonElement Report(string projectDir) =>
        JsonDocument.Parse(File.ReadAllText(Directory.EnumerateFiles(Path.Combine(projectDir, "obj"), "bakery-report.json", SearchOption.AllDirectories).First())).RootElement;

    private static void Write(string dir, string path, string content)
    {
        var full = Path.Combine(dir, path);
        Directory.CreateDirectory(Path.GetDirectoryName(full)!);
        File.WriteAllText(full, content);
    }

    /// <summary>
    /// A base for both platforms: the .NET runtime of each (the SDK's for amd64, the NuGet runtime pack for
    /// arm64), a file that differs per platform, one shared by both, a RUN step and a command test per platform.
    /// </summary>
    private static string BaseProject(string name, string packageId, string verify = "")
    {
        var dir = s_workspace.CreateProject(name, $"""
              <PropertyGroup>
                <BakeryImageKind>BaseImage</BakeryImageKind>
                <PackageId>{packageId}</PackageId>
                <BakeryUser>1654</BakeryUser>
                <BakerySupportDays>365</BakerySupportDays>
                <ContainerRegistry>{s_registry.Address}</ContainerRegistry>
                <_V>$(BundledNETCoreAppPackageVersion)</_V>
                <_Arm64>$([MSBuild]::EnsureTrailingSlash('$(NuGetPackageRoot)'))microsoft.netcore.app.runtime.linux-arm64/$(_V)/runtimes/linux-arm64/</_Arm64>
                <_Rt>/usr/share/dotnet/shared/Microsoft.NETCore.App/$(_V)/</_Rt>
              </PropertyGroup>
              <ItemGroup>
                <PackageDownload Include="Microsoft.NETCore.App.Runtime.linux-arm64" Version="[$(_V)]" />
                <BakeryUpstream Include="{Upstream}" />
                <BakeryLayer Include="$(NetCoreRoot)shared/Microsoft.NETCore.App/$(_V)/" Destination="$(_Rt)" Layer="runtime" Platform="linux/amd64" />
                <BakeryLayer Include="$(NetCoreRoot)host/fxr/" Destination="/usr/share/dotnet/host/fxr/" Layer="runtime" Platform="linux/amd64" />
                <BakeryLayer Include="$(_Arm64)lib/net10.0/" Destination="$(_Rt)" Layer="runtime" Platform="linux-arm64" />
                <BakeryLayer Include="$(_Arm64)native/" Destination="$(_Rt)" Layer="runtime" Platform="linux-arm64" />
                <BakeryLayer Include="$(_Arm64)native/libhostfxr.so" Destination="/usr/share/dotnet/host/fxr/$(_V)/" Layer="runtime" Platform="linux-arm64" />
                <BakeryLayer Include="arch/amd64.txt" Destination="/etc/bakery-arch" Layer="arch" Platform="linux/amd64" />
                <BakeryLayer Include="arch/arm64.txt" Destination="/etc/bakery-arch" Layer="arch" Platform="linux/arm64" />
                <BakeryLayer Include="common/shared.txt" Destination="/etc/bakery-shared" Layer="shared" />
                <BakeryRun Include="uname" Command="uname -m &gt; /etc/bakery-uname" />
                <ContainerEnvironmentVariable Include="DOTNET_ROOT" Value="/usr/share/dotnet" />
                <BakeryVerify Include="policies/*.yaml" />
              </ItemGroup>
            """);
        Write(dir, "arch/amd64.txt", "amd64\n");
        Write(dir, "arch/arm64.txt", "arm64\n");
        Write(dir, "common/shared.txt", "the same on every platform\n");
        Write(dir, "policies/platform.yaml", string.IsNullOrEmpty(verify) ? """
            schemaVersion: 2.0.0
            fileContentTests:
              - name: the RUN step ran on the image's own architecture
                path: /etc/bakery-uname
                expectedContents: ['^(x86_64|aarch64)\n$']
            commandTests:
              - name: the container runs on its platform
                command: uname
                args: ['-m']
                expectedOutput: ['x86_64|aarch64']
            """ : verify);
        return dir;
    }

    private static async Task<Chain> ChainAsync()
    {
        await ChainLock.WaitAsync();
        try
        {
            if (s_chain is not null) return s_chain;
            var dir = BaseProject("mpbase", "Tests.MultiPlatform.Base");
            var bake = s_workspace.Bake(dir, "BakeryBuildId=1");
            Assert.AreEqual(0, bake.ExitCode, bake.Output);
            var pack = s_workspace.Dotnet("pack", dir, ["BakeryBuildId=1", "PackageOutputPath=" + s_workspace.Feed]);
            Assert.AreEqual(0, pack.ExitCode, pack.Output);
            var report = Report(dir);
            var images = report.GetProperty("platforms").EnumerateArray()
                .ToDictionary(p => p.GetProperty("platform").GetString()!, p => p.GetProperty("digest").GetString()!);
            using var nupkg = System.IO.Compression.ZipFile.OpenRead(Path.Combine(s_workspace.Feed, "Tests.MultiPlatform.Base.1.0.0.1.nupkg"));
            using var reader = new StreamReader(nupkg.GetEntry("bakery/image.json")!.Open());
            var descriptor = JsonDocument.Parse(reader.ReadToEnd()).RootElement.Clone();
            return s_chain = new Chain(dir, report.GetProperty("digest").GetString()!, images, descriptor);
        }
        finally { ChainLock.Release(); }
    }

    [TestMethod]
    [RequiresDockerImage(UpstreamIndex)]
    public async Task A_two_platform_base_pushes_an_index_with_per_platform_layers_RUN_steps_and_a_pinned_package()
    {
        var chain = await ChainAsync();
        using var client = new RegistryClient(s_registry.Address);
        var index = await client.GetManifestAsync("tests/mpbase", "1.0.0-build.1");
        Assert.IsTrue(MediaTypes.IsIndex(index.MediaType), index.MediaType);
        Assert.AreEqual(chain.BaseIndex, index.Digest.ToString(), "the tag names the index");
        CollectionAssert.AreEquivalent(new[] { "linux/amd64", "linux/arm64" }, index.Parse().Platforms.Select(p => p.ToString()).ToArray());

        var layers = new Dictionary<string, List<string>>();
        foreach (var (platform, digest) in chain.BaseImages)
        {
            var fetched = await client.GetImageAsync("tests/mpbase", digest);
            Assert.AreEqual(platform, $"{ImageConfig.Parse(fetched.Config).Os}/{ImageConfig.Parse(fetched.Config).Architecture}", "the config states its platform");
            layers[platform] = fetched.Layers.Select(l => l.Digest).ToList();
        }
        Assert.AreEqual(layers["linux/amd64"].Count, layers["linux/arm64"].Count);
        Assert.AreNotEqual(layers["linux/amd64"][0], layers["linux/arm64"][0], "each platform has its own OS layer");
        Assert.IsNotEmpty(layers["linux/amd64"].Intersect(layers["linux/arm64"]).ToList(), "the layer both platforms share has one digest");

        var report = Report(chain.BaseDir);
        var checks = report.GetProperty("checks").EnumerateArray().ToList();
        Assert.IsTrue(checks.Where(c => c.GetProperty("name").GetString() == "the container runs on its platform").All(c => c.GetProperty("passed").GetBoolean() && !c.GetProperty("skipped").GetBoolean()),
            "the command test ran on both platforms, arm64 under QEMU: " + report.GetProperty("checks"));
        Assert.AreEqual(2, checks.Count(c => c.GetProperty("name").GetString() == "the container runs on its platform"));

        var image = chain.Descriptor.GetProperty("image");
        Assert.AreEqual(chain.BaseIndex, image.GetProperty("digest").GetString(), "the package pins the index");
        var pinned = image.GetProperty("platforms").EnumerateArray().ToList();
        Assert.HasCount(2, pinned);
        foreach (var p in pinned)
        {
            Assert.AreEqual(chain.BaseImages[p.GetProperty("platform").GetString()!], p.GetProperty("digest").GetString());
            Assert.IsGreaterThan(0L, p.GetProperty("size").GetInt64());
            Assert.AreEqual(1, p.GetProperty("lineage").GetArrayLength(), "each platform image records its own upstream image");
            StringAssert.StartsWith(p.GetProperty("lineage")[0].GetProperty("index").GetString(), "sha256:");
        }
    }

    [TestMethod]
    [RequiresDockerImage(UpstreamIndex)]
    public async Task A_no_change_rebake_gives_the_same_index_digest_and_uploads_nothing()
    {
        var chain = await ChainAsync();
        var again = s_workspace.Bake(chain.BaseDir, "BakeryBuildId=2");
        Assert.AreEqual(0, again.ExitCode, again.Output);
        var report = Report(chain.BaseDir);
        Assert.AreEqual(chain.BaseIndex, report.GetProperty("digest").GetString(), "same inputs, same index digest");
        Assert.AreEqual(0, report.GetProperty("push").GetProperty("bytesUploaded").GetInt64(), "nothing new to upload: " + report.GetProperty("push"));
        using var client = new RegistryClient(s_registry.Address);
        Assert.AreEqual(chain.BaseIndex, (await client.GetManifestAsync("tests/mpbase", "1.0.0-build.2")).Digest.ToString());

        // bakery bake from the plan rebakes every platform: the same index under the new build tag.
        var plan = s_workspace.Tool("bake", chain.BaseDir, "--build-id", "3");
        Assert.AreEqual(0, plan.ExitCode, plan.Output);
        StringAssert.Contains(plan.Output, "linux/arm64");
        Assert.AreEqual(chain.BaseIndex, (await client.GetManifestAsync("tests/mpbase", "1.0.0-build.3")).Digest.ToString());
    }

    private static string AppProject(string name, string rids, string extra = "") =>
        s_workspace.CreateProject(name, $"""
              <PropertyGroup>
                <ContainerRegistry>{s_registry.Address}</ContainerRegistry>
                <ContainerRuntimeIdentifiers>{rids}</ContainerRuntimeIdentifiers>
                {extra}
              </PropertyGroup>
              <ItemGroup><ContainerAppCommand Include="/app/{name}" /></ItemGroup>
            {BakeryWorkspace.BaseReference("Tests.MultiPlatform.Base", "1.0.*")}
            """, $"System.Console.WriteLine($\"hello from {name} on {{System.Runtime.InteropServices.RuntimeInformation.ProcessArchitecture}}\");\n");

    [TestMethod]
    [RequiresDockerImage(UpstreamIndex)]
    public async Task An_app_with_ContainerRuntimeIdentifiers_bakes_an_index_whose_images_run_on_each_platform_reproducibly()
    {
        await ChainAsync();
        var dir = AppProject("mpapp", "linux-x64;linux-arm64");
        var bake = s_workspace.Bake(dir, "BakeryBuildId=1");
        Assert.AreEqual(0, bake.ExitCode, bake.Output);
        var report = Report(dir);
        var indexDigest = report.GetProperty("digest").GetString()!;
        var images = report.GetProperty("platforms").EnumerateArray().ToDictionary(p => p.GetProperty("platform").GetString()!, p => p.GetProperty("digest").GetString()!);
        CollectionAssert.AreEquivalent(new[] { "linux/amd64", "linux/arm64" }, images.Keys.ToArray());

        // Each platform's apphost is for its architecture (ELF e_machine 62 = x86-64, 183 = AArch64).
        using var client = new RegistryClient(s_registry.Address);
        foreach (var (platform, digest) in images)
        {
            var image = await client.GetImageAsync("tests/mpapp", digest);
            var appLayer = Path.Combine(s_workspace.Root, $"app-{platform.Replace('/', '-')}.tar.gz");
            await client.DownloadBlobAsync("tests/mpapp", image.Layers[^1].ParsedDigest, appLayer);
            byte[]? apphost = null;
            await using (var stream = File.OpenRead(appLayer))
                Oci.Layers.SafeLayerReader.Read(stream, new Oci.Layers.LayerReadLimits(), (e, content) =>
                {
                    if (e.Path == "app/mpapp" && content is not null) { using var ms = new MemoryStream(); content.CopyTo(ms); apphost = ms.ToArray(); }
                });
            Assert.IsNotNull(apphost, $"{platform}: the app layer has the apphost");
            Assert.AreEqual(platform == "linux/amd64" ? 62 : 183, BitConverter.ToUInt16(apphost, 18), $"{platform}: the apphost's machine");
        }

        // docker runs each platform's image (arm64 emulated); each prints its own architecture.
        foreach (var (platform, expected) in new[] { ("linux/amd64", "X64"), ("linux/arm64", "Arm64") })
        {
            var reference = $"{s_registry.Address}/tests/mpapp@{images[platform]}";
            var pull = Run("docker", "pull", "-q", reference);
            Assert.AreEqual(0, pull.ExitCode, pull.Output);
            try
            {
                var run = Run("docker", "run", "--rm", "--network", "none", reference);
                Assert.AreEqual(0, run.ExitCode, run.Output);
                StringAssert.Contains(run.Output, $"hello from mpapp on {expected}");
            }
            finally { Run("docker", "rmi", reference); }
        }

        var again = s_workspace.Bake(dir, "BakeryBuildId=2");
        Assert.AreEqual(0, again.ExitCode, again.Output);
        Assert.AreEqual(indexDigest, Report(dir).GetProperty("digest").GetString(), "the same sources give the same index digest");
    }

    [TestMethod]
    [RequiresDockerImage(UpstreamIndex)]
    public async Task An_app_RID_the_base_lacks_is_BAKE206_naming_what_it_has_before_anything_is_built()
    {
        // An old single-platform (linux/amd64) base-image package; the app asks for linux-arm64 too.
        var amd = await TestImages.PushBaseAsync(s_registry.Address, "tests/amd64-only", "amd64");
        s_workspace.AddBasePackage(BasePackageWriter.Descriptor("Tests.Amd64Only", "1.0.0", amd));
        var dir = s_workspace.CreateProject("mpmissing", $"""
              <PropertyGroup>
                <ContainerRegistry>{s_registry.Address}</ContainerRegistry>
                <ContainerRuntimeIdentifiers>linux-x64;linux-arm64</ContainerRuntimeIdentifiers>
              </PropertyGroup>
            {BakeryWorkspace.BaseReference("Tests.Amd64Only", "1.0.0")}
            """);
        var bake = s_workspace.Bake(dir, "BakeryBuildId=1");
        Assert.AreNotEqual(0, bake.ExitCode, bake.Output);
        StringAssert.Contains(bake.Output, "BAKE206");
        StringAssert.Contains(bake.Output, "no image for platform linux/arm64 (it has: linux/amd64)");
        Assert.IsFalse(Directory.Exists(Path.Combine(dir, "bin", "Release", "net10.0", "linux-arm64", "publish")), "the check comes before any publish");
        using var client = new RegistryClient(s_registry.Address);
        Assert.IsFalse(await client.ManifestExistsAsync("tests/mpmissing", "1.0.0-build.1"));
    }

    [TestMethod]
    [RequiresDockerImage(UpstreamIndex)]
    public async Task One_failing_platform_tags_nothing()
    {
        var dir = BaseProject("mpfailing", "Tests.MultiPlatform.Failing", verify: """
            schemaVersion: 2.0.0
            fileContentTests:
              - name: only amd64 passes
                path: /etc/bakery-arch
                expectedContents: ['^amd64']
            """);
        var bake = s_workspace.Bake(dir, "BakeryBuildId=1");
        Assert.AreNotEqual(0, bake.ExitCode, bake.Output);
        StringAssert.Contains(bake.Output, "BAKE301");
        StringAssert.Contains(bake.Output, "only amd64 passes");
        using var client = new RegistryClient(s_registry.Address);
        Assert.IsFalse(await client.ManifestExistsAsync("tests/mpfailing", "1.0.0-build.1"), "no tag when one platform failed");
        Assert.IsFalse(await client.ManifestExistsAsync("tests/mpfailing", "1.0.0"));
    }

    [TestMethod]
    [RequiresDockerImage(UpstreamIndex)]
    public async Task Skopeo_and_docker_pull_each_platform_of_the_index()
    {
        var chain = await ChainAsync();
        var tagged = $"{s_registry.Address}/tests/mpbase:1.0.0-build.1";
        using var raw = JsonDocument.Parse(Run("skopeo", "inspect", "--raw", "--tls-verify=false", $"docker://{tagged}").Output);
        Assert.AreEqual(2, raw.RootElement.GetProperty("manifests").GetArrayLength());
        foreach (var arch in new[] { "amd64", "arm64" })
        {
            var inspect = Run("skopeo", "inspect", "--tls-verify=false", "--override-os", "linux", "--override-arch", arch, $"docker://{tagged}");
            Assert.AreEqual(0, inspect.ExitCode, inspect.Output);
            using var json = JsonDocument.Parse(inspect.Output);
            Assert.AreEqual(arch, json.RootElement.GetProperty("Architecture").GetString());
            using (var client = new RegistryClient(s_registry.Address))
            {
                var expected = (await client.GetImageAsync("tests/mpbase", chain.BaseImages[$"linux/{arch}"])).Layers.Select(l => l.Digest).ToArray();
                CollectionAssert.AreEqual(expected, json.RootElement.GetProperty("Layers").EnumerateArray().Select(l => l.GetString()).ToArray(),
                    "skopeo picks the platform's image from the index");
            }

            var pull = Run("docker", "pull", "-q", "--platform", $"linux/{arch}", tagged);
            Assert.AreEqual(0, pull.ExitCode, pull.Output);
            try
            {
                var architecture = Run("docker", "image", "inspect", "--format", "{{.Architecture}}", tagged);
                Assert.AreEqual(arch, architecture.Output.Trim());
                var uname = Run("docker", "run", "--rm", "--network", "none", "--platform", $"linux/{arch}", "--entrypoint", "cat", tagged, "/etc/bakery-uname");
                Assert.AreEqual(arch == "amd64" ? "x86_64" : "aarch64", uname.Output.Trim().Split('\n')[^1], uname.Output);
            }
            finally { Run("docker", "rmi", tagged); }
        }
    }

    [TestMethod]
    [RequiresDockerImage(UpstreamIndex)]
    public async Task The_tool_inspects_an_index_and_verifies_and_scans_each_platform_or_the_one_named()
    {
        var chain = await ChainAsync();
        var reference = $"{s_registry.Address}/tests/mpbase@{chain.BaseIndex}";
        var inspect = s_workspace.Tool("inspect", reference);
        Assert.AreEqual(0, inspect.ExitCode, inspect.Output);
        StringAssert.Contains(inspect.Output, "linux/amd64");
        StringAssert.Contains(inspect.Output, chain.BaseImages["linux/arm64"]);
        var one = s_workspace.Tool("inspect", reference, "--platform", "linux/arm64", "--json");
        Assert.AreEqual(0, one.ExitCode, one.Output);
        using (var json = JsonDocument.Parse(one.Output)) Assert.AreEqual("linux/arm64", json.RootElement.GetProperty("platform").GetString());

        var policy = Path.Combine(chain.BaseDir, "policies", "platform.yaml");
        var all = s_workspace.Tool("verify", reference, "--policy", policy, "--json");
        Assert.AreEqual(0, all.ExitCode, all.Output);
        using (var json = JsonDocument.Parse(all.Output))
            CollectionAssert.AreEquivalent(new[] { "linux/amd64", "linux/arm64" },
                json.RootElement.GetProperty("platforms").EnumerateArray().Select(p => p.GetProperty("platform").GetString()).ToArray());
        var arm = s_workspace.Tool("verify", reference, "--policy", policy, "--platform", "linux-arm64", "--json");
        Assert.AreEqual(0, arm.ExitCode, arm.Output);
        using (var json = JsonDocument.Parse(arm.Output))
        {
            Assert.AreEqual("linux/arm64", json.RootElement.GetProperty("platform").GetString());
            Assert.IsTrue(json.RootElement.GetProperty("checks").EnumerateArray().Any(c => c.GetProperty("name").GetString() == "the container runs on its platform" && c.GetProperty("passed").GetBoolean()));
        }

        var sbom = Path.Combine(s_workspace.Root, "mp.cdx.json");
        var scan = s_workspace.Tool("scan", reference, "--sbom", sbom);
        Assert.AreEqual(0, scan.ExitCode, scan.Output);
        StringAssert.Contains(scan.Output, "(linux/arm64)");
        Assert.IsTrue(File.Exists(Path.Combine(s_workspace.Root, "mp.linux-arm64.cdx.json")) && File.Exists(Path.Combine(s_workspace.Root, "mp.linux-amd64.cdx.json")));
        var scanOne = s_workspace.Tool("scan", reference, "--platform", "linux/amd64", "--json");
        Assert.AreEqual(0, scanOne.ExitCode, scanOne.Output);
        using (var json = JsonDocument.Parse(scanOne.Output)) Assert.AreEqual("linux/amd64", json.RootElement.GetProperty("platform").GetString());

        var missing = s_workspace.Tool("verify", reference, "--policy", policy, "--platform", "linux/s390x");
        Assert.AreEqual(1, missing.ExitCode, missing.Output);
        StringAssert.Contains(missing.Output, "BAKE344");
        StringAssert.Contains(missing.Output, "linux/arm64");
    }

    [TestMethod]
    [RequiresDockerImage(UpstreamIndex)]
    public async Task A_lifecycle_record_on_one_platform_image_concerns_that_platform_and_one_on_the_index_every_platform()
    {
        // A base of its own (records are per digest in its repository): the shared one stays in good standing.
        var dir = s_workspace.CreateProject("mplife", $"""
              <PropertyGroup>
                <BakeryImageKind>BaseImage</BakeryImageKind>
                <PackageId>Tests.MultiPlatform.Life</PackageId>
                <BakeryUser>1654</BakeryUser>
                <BakerySupportDays>365</BakerySupportDays>
                <ContainerRegistry>{s_registry.Address}</ContainerRegistry>
              </PropertyGroup>
              <ItemGroup><BakeryUpstream Include="{Upstream}" /></ItemGroup>
            """);
        var bake = s_workspace.Bake(dir, "BakeryBuildId=1");
        Assert.AreEqual(0, bake.ExitCode, bake.Output);
        var pack = s_workspace.Dotnet("pack", dir, ["BakeryBuildId=1", "PackageOutputPath=" + s_workspace.Feed]);
        Assert.AreEqual(0, pack.ExitCode, pack.Output);
        var report = Report(dir);
        var index = report.GetProperty("digest").GetString()!;
        var armImage = report.GetProperty("platforms").EnumerateArray().Single(p => p.GetProperty("platform").GetString() == "linux/arm64").GetProperty("digest").GetString();

        string App(string name, string rid) => s_workspace.CreateProject(name, $"""
              <PropertyGroup>
                <ContainerRegistry>{s_registry.Address}</ContainerRegistry>
                <ContainerRuntimeIdentifier>{rid}</ContainerRuntimeIdentifier>
              </PropertyGroup>
            {BakeryWorkspace.BaseReference("Tests.MultiPlatform.Life", "1.0.*")}
            """);
        var onAmd = App("mplifeamd", "linux-x64");
        var onArm = App("mplifearm", "linux-arm64");

        var revokeArm = s_workspace.Tool("lifecycle", "revoke", $"{s_registry.Address}/tests/mplife@{armImage}", "--reason", "arm64 only: CVE-TEST-1");
        Assert.AreEqual(0, revokeArm.ExitCode, revokeArm.Output);
        var arm = s_workspace.Bake(onArm, "BakeryBuildId=1");
        Assert.AreNotEqual(0, arm.ExitCode, arm.Output);
        StringAssert.Contains(arm.Output, "BAKE103");
        StringAssert.Contains(arm.Output, "CVE-TEST-1");
        var amd = s_workspace.Bake(onAmd, "BakeryBuildId=1");
        Assert.AreEqual(0, amd.ExitCode, "a record on the arm64 image does not concern linux/amd64: " + amd.Output);
        Assert.AreEqual("linux/amd64", Report(onAmd).GetProperty("platform").GetString());

        var revokeIndex = s_workspace.Tool("lifecycle", "revoke", $"{s_registry.Address}/tests/mplife@{index}", "--reason", "every platform: CVE-TEST-2");
        Assert.AreEqual(0, revokeIndex.ExitCode, revokeIndex.Output);
        var amdAgain = s_workspace.Bake(onAmd, "BakeryBuildId=2");
        Assert.AreNotEqual(0, amdAgain.ExitCode, amdAgain.Output);
        StringAssert.Contains(amdAgain.Output, "BAKE103");
        StringAssert.Contains(amdAgain.Output, "CVE-TEST-2");
        var show = s_workspace.Tool("inspect", $"{s_registry.Address}/tests/mplife@{index}");
        StringAssert.Contains(show.Output, "Revoked");
    }

    /// <summary>
    /// An index of linux/amd64 (a tiny image, or the real upstream's amd64 image copied with skopeo when its
    /// programs must run) and a platform nothing here emulates (linux/sparc64, a tiny image).
    /// </summary>
    private static async Task<(string Index, string Amd64)> UnrunnableIndexAsync(string repository, bool runnableAmd64 = false)
    {
        using var client = new RegistryClient(s_registry.Address);
        FetchedManifest amd;
        if (runnableAmd64)
        {
            var copy = Run("skopeo", "copy", "--src-tls-verify=false", "--dest-tls-verify=false", "--preserve-digests",
                $"docker://{RequiresDockerImageAttribute.Image(RequiresDockerImageAttribute.Upstream)}", $"docker://{s_registry.Address}/{repository}:amd64");
            Assert.AreEqual(0, copy.ExitCode, copy.Output);
            amd = await client.GetManifestAsync(repository, "amd64");
        }
        else
        {
            var tiny = await TestImages.PushBaseAsync(s_registry.Address, repository, "amd64");
            amd = await client.GetManifestAsync(repository, tiny.Digest.ToString());
        }
        var sparc = await TestImages.PushBaseAsync(s_registry.Address, repository, "sparc64", editConfig: c => c["architecture"] = "sparc64");
        var index = ImageIndex.Write([
            new ImageIndex.Entry(Platform.LinuxAmd64, amd.MediaType, amd.Digest, amd.Bytes.Length),
            new ImageIndex.Entry(new Platform { Os = "linux", Architecture = "sparc64" }, MediaTypes.OciManifest, sparc.Digest, sparc.Manifest.ToBytes().Length)]);
        var digest = await client.PutManifestAsync(repository, "index", index.Bytes, index.MediaType);
        return ($"{s_registry.Address}/{repository}@{digest}", amd.Digest.ToString());
    }

    private static string SmallBase(string name, string upstream, string items) => s_workspace.CreateProject(name, $"""
          <PropertyGroup>
            <BakeryImageKind>BaseImage</BakeryImageKind>
            <BakeryUser>1654</BakeryUser>
            <ContainerRegistry>{s_registry.Address}</ContainerRegistry>
          </PropertyGroup>
          <ItemGroup>
            <BakeryUpstream Include="{upstream}" />
            {items}
          </ItemGroup>
        """);

    [TestMethod]
    [RequiresDockerImage(UpstreamIndex)]
    public async Task A_multi_platform_bake_is_an_OCI_index_archive_but_BAKE216_for_a_docker_archive_or_the_engine_writing_nothing()
    {
        var dir = SmallBase("mpnoregistry", Upstream, """<BakeryLayer Include="conf/arch.conf" Destination="/etc/bakery/" />""");
        Write(dir, "conf/arch.conf", "both platforms\n");
        var archive = Path.Combine(s_workspace.Root, "mpnoregistry.tar.gz");

        var toArchive = s_workspace.Bake(dir, "BakeryBuildId=1", $"ContainerArchiveOutputPath={archive}");
        Assert.AreNotEqual(0, toArchive.ExitCode, toArchive.Output);
        StringAssert.Contains(toArchive.Output, "BAKE216");
        StringAssert.Contains(toArchive.Output, "linux/amd64, linux/arm64");
        StringAssert.Contains(toArchive.Output, "not to a docker-archive");
        StringAssert.Contains(toArchive.Output, "ContainerImageFormat=OCI");
        Assert.IsFalse(File.Exists(archive), "no archive is written for an index");
        Assert.IsEmpty(Directory.EnumerateFiles(s_workspace.Root, "*mpnoregistry.tar.gz*"), "nor half of one");

        // As an OCI layout the index and every platform's image go into one archive, digests as a push makes them.
        var layout = Path.Combine(s_workspace.Root, "mpnoregistry.oci.tar");
        var toLayout = s_workspace.Bake(dir, "BakeryBuildId=3", $"ContainerArchiveOutputPath={layout}", "ContainerImageFormat=OCI");
        Assert.AreEqual(0, toLayout.ExitCode, toLayout.Output);
        var report = Report(dir);
        Assert.AreEqual("archive", report.GetProperty("destination").GetProperty("kind").GetString());
        var indexDigest = report.GetProperty("digest").GetString()!;
        var raw = Run("skopeo", "inspect", "--raw", $"oci-archive:{layout}:1.0.0");
        Assert.AreEqual(0, raw.ExitCode, raw.Output);
        Assert.AreEqual(indexDigest, Digest.Compute(System.Text.Encoding.UTF8.GetBytes(raw.StandardOutput.TrimEnd('\n'))).ToString(), "the layout's index is the bake's");
        using (var index = JsonDocument.Parse(raw.StandardOutput))
        {
            Assert.AreEqual(MediaTypes.OciIndex, index.RootElement.GetProperty("mediaType").GetString());
            CollectionAssert.AreEquivalent(new[] { "amd64", "arm64" },
                index.RootElement.GetProperty("manifests").EnumerateArray().Select(m => m.GetProperty("platform").GetProperty("architecture").GetString()).ToArray());
        }
        foreach (var arch in new[] { "amd64", "arm64" })
        {
            var inspect = Run("skopeo", "inspect", "--override-os", "linux", "--override-arch", arch, $"oci-archive:{layout}:1.0.0");
            Assert.AreEqual(0, inspect.ExitCode, inspect.Output);
            Assert.AreEqual(arch, JsonDocument.Parse(inspect.StandardOutput).RootElement.GetProperty("Architecture").GetString());
        }
        Write(dir, "policies/conf.yaml", "schemaVersion: 2.0.0\nfileExistenceTests:\n  - name: the layer is there\n    path: /etc/bakery/arch.conf\n    shouldExist: true\n");
        var armCheck = s_workspace.Tool("verify", $"oci-archive:{layout}", "--policy", Path.Combine(dir, "policies/conf.yaml"), "--platform", "linux/arm64", "--json");
        Assert.AreEqual(0, armCheck.ExitCode, armCheck.Output);
        using (var json = JsonDocument.Parse(armCheck.StandardOutput)) Assert.AreEqual("linux/arm64", json.RootElement.GetProperty("platform").GetString());
        var pushed = await new Bakery.Core.Baking.Destinations.ArchivePusher(new RegistryClientOptions(), new RecordingLog())
            .PushAsync(new Bakery.Core.Baking.Destinations.ArchivePushRequest(layout, $"{s_registry.Address}/tests/mpnoregistry-pushed", [], false, false, s_workspace.Root));
        Assert.AreEqual(indexDigest, pushed.Digest, "bakery push of the layout pushes the index the bake made");
        using (var pushClient = new RegistryClient(s_registry.Address))
            foreach (var platform in new[] { Platform.LinuxAmd64, Platform.Parse("linux/arm64") })
                Assert.AreEqual(platform.Architecture, ImageConfig.Parse((await pushClient.GetImageAsync("tests/mpnoregistry-pushed", indexDigest, platform)).Config).Architecture);

        // Without ContainerRegistry (the workspace's default cleared on the command line) the image would go to the local engine.
        var toEngine = s_workspace.Bake(dir, "BakeryBuildId=2", "ContainerRegistry=");
        Assert.AreNotEqual(0, toEngine.ExitCode, toEngine.Output);
        StringAssert.Contains(toEngine.Output, "BAKE216");
        StringAssert.Contains(toEngine.Output, "not to the local container engine");
        StringAssert.Contains(toEngine.Output, "Set ContainerRegistry");

        using var client = new RegistryClient(s_registry.Address);
        Assert.IsFalse(await client.ManifestExistsAsync("tests/mpnoregistry", "1.0.0-build.1"), "nothing pushed either");
    }

    [TestMethod]
    [RequiresDockerImage(UpstreamIndex)]
    public async Task A_signed_multi_platform_bake_signs_every_platform_image_and_the_index_before_the_tags()
    {
        var dir = SmallBase("mpsigned", Upstream, """<BakeryLayer Include="conf/arch.conf" Destination="/etc/bakery/" />""");
        Write(dir, "conf/arch.conf", "signed on both platforms\n");
        var key = Path.Combine(dir, "signing.key");
        Run("openssl", "genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256", "-out", key);

        var bake = s_workspace.Bake(dir, "BakeryBuildId=1", $"BakerySigningKey={key}");
        Assert.AreEqual(0, bake.ExitCode, bake.Output);
        var report = Report(dir);
        var index = report.GetProperty("digest").GetString()!;
        var platforms = report.GetProperty("platforms").EnumerateArray().Select(p => p.GetProperty("digest").GetString()!).ToList();
        Assert.HasCount(2, platforms);
        var signed = report.GetProperty("signing").GetProperty("manifests").EnumerateArray().Select(m => m.GetProperty("digest").GetString()!).ToList();
        CollectionAssert.AreEqual(platforms.Append(index).ToList(), signed, "each platform's image, then the index");

        using var client = new RegistryClient(s_registry.Address);
        Assert.IsTrue(await client.ManifestExistsAsync("tests/mpsigned", "1.0.0-build.1"));
        foreach (var digest in signed)
            Assert.IsTrue(await client.ManifestExistsAsync("tests/mpsigned", digest.Replace(':', '-') + ".sig"), $"the cosign signature tag of {digest}");
    }

    [TestMethod]
    [RequiresDockerDaemon]
    public async Task A_RUN_step_on_a_platform_the_engine_cannot_run_is_BAKE212_before_anything_runs()
    {
        var (index, _) = await UnrunnableIndexAsync("tests/unrunnable-up");
        var dir = SmallBase("mpsparcrun", index, """<BakeryRun Include="touch" Command="touch /etc/ran" />""");
        var bake = s_workspace.Bake(dir, "BakeryBuildId=1");
        Assert.AreNotEqual(0, bake.ExitCode, bake.Output);
        StringAssert.Contains(bake.Output, "BAKE212");
        StringAssert.Contains(bake.Output, "linux/sparc64");
        StringAssert.Contains(bake.Output, "no emulator is known");
        using var client = new RegistryClient(s_registry.Address);
        Assert.IsFalse(await client.ManifestExistsAsync("tests/mpsparcrun", "1.0.0-build.1"));
    }

    [TestMethod]
    [RequiresDockerImage(RequiresDockerImageAttribute.Upstream)]
    public async Task Command_tests_on_a_platform_the_engine_cannot_run_are_skipped_with_BAKE340_or_fail_with_BAKE341()
    {
        var (index, _) = await UnrunnableIndexAsync("tests/unrunnable-ct", runnableAmd64: true);
        var dir = SmallBase("mpsparcct", index, """<BakeryVerify Include="policies/*.yaml" />""");
        Write(dir, "policies/run.yaml", """
            schemaVersion: 2.0.0
            commandTests:
              - name: the image starts
                command: cat
                args: ['/etc/os-release']
                expectedOutput: ['ID=']
            """);
        var auto = s_workspace.Bake(dir, "BakeryBuildId=1", "BakeryRunCommandTests=auto");
        Assert.AreEqual(0, auto.ExitCode, auto.Output);
        StringAssert.Contains(auto.Output, "BAKE340");
        var checks = Report(dir).GetProperty("checks").EnumerateArray().Where(c => c.GetProperty("name").GetString() == "the image starts").ToList();
        Assert.IsTrue(checks.Any(c => c.GetProperty("platform").GetString() == "linux/amd64" && c.GetProperty("passed").GetBoolean() && !c.GetProperty("skipped").GetBoolean()),
            "amd64 ran its command test: " + string.Join(", ", checks));
        Assert.IsTrue(checks.Any(c => c.GetProperty("platform").GetString() == "linux/sparc64" && c.GetProperty("skipped").GetBoolean()));

        var strict = s_workspace.Bake(dir, "BakeryBuildId=2", "BakeryRunCommandTests=true");
        Assert.AreNotEqual(0, strict.ExitCode, strict.Output);
        StringAssert.Contains(strict.Output, "BAKE341");
        using var client = new RegistryClient(s_registry.Address);
        Assert.IsFalse(await client.ManifestExistsAsync("tests/mpsparcct", "1.0.0-build.2"), "nothing tagged");
    }

    [TestMethod]
    [RequiresDockerDaemon]
    public async Task A_package_whose_pinned_platform_image_differs_from_the_index_is_BAKE215()
    {
        var (index, amd) = await UnrunnableIndexAsync("tests/tampered");
        var reference = Oci.Model.ImageReference.Parse(index);
        var descriptor = BasePackageWriter.Descriptor("Tests.Tampered", "1.0.0", new TestImages.PushedImage(s_registry.Address, "tests/tampered", reference.Digest!.Value, new ImageManifest()));
        descriptor = descriptor with
        {
            Image = descriptor.Image with
            {
                Platform = null,
                MediaType = MediaTypes.OciIndex,
                Platforms = [new Core.Descriptors.DescriptorPlatformImage { Platform = Platform.LinuxAmd64, Digest = "sha256:" + new string('0', 64), Size = 1 }],
            },
        };
        s_workspace.AddBasePackage(descriptor);
        var dir = s_workspace.CreateProject("mptampered", $"""
              <PropertyGroup>
                <ContainerRegistry>{s_registry.Address}</ContainerRegistry>
                <ContainerRuntimeIdentifier>linux-x64</ContainerRuntimeIdentifier>
              </PropertyGroup>
            {BakeryWorkspace.BaseReference("Tests.Tampered", "1.0.0")}
            """);
        var bake = s_workspace.Bake(dir, "BakeryBuildId=1");
        Assert.AreNotEqual(0, bake.ExitCode, bake.Output);
        StringAssert.Contains(bake.Output, "BAKE215");
        StringAssert.Contains(bake.Output, amd, "the message names the image the index has");
    }
}
