using System.Text.Json;
using Bakery.Oci.Model;
using Bakery.Oci.Registry;
using Bakery.Tests.Infrastructure;

namespace Bakery.Tests.Integration;

/// <summary>Real `dotnet publish -p:BakeImage=true` of generated projects against a real registry.</summary>
[TestClass]
[TestCategory("Integration")]
public sealed class BakeTests
{
    private static RegistryProcess s_registry = null!;
    private static BakeryWorkspace s_workspace = null!;
    private static TestImages.PushedImage s_base = null!;
    private const string BaseId = "Tests.BaseImages.Runtime";

    [ClassInitialize]
    public static async Task Initialize(TestContext _)
    {
        s_registry = SharedRegistry.Instance;
        s_workspace = new BakeryWorkspace("bake", pushTo: s_registry.Address);
        s_base = await TestImages.PushBaseAsync(s_registry.Address, "base/runtime", "bake-tests");
        var far = DateTimeOffset.UtcNow.AddYears(1);
        s_workspace.AddBasePackage(BasePackageWriter.Descriptor(BaseId, "1.0.0", s_base, expires: far));
        s_workspace.AddBasePackage(BasePackageWriter.Descriptor(BaseId, "0.9.0", s_base,
            expires: new DateTimeOffset(2026, 2, 1, 0, 0, 0, TimeSpan.Zero), deprecated: new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero),
            successor: $"{BaseId} 1.0.0"));
        s_workspace.AddBasePackage(BasePackageWriter.Descriptor(BaseId, "0.9.5", s_base,
            expires: far, deprecated: new DateTimeOffset(2026, 3, 1, 0, 0, 0, TimeSpan.Zero)));
        s_workspace.AddBasePackage(BasePackageWriter.Descriptor(BaseId, "0.9.8", s_base, expires: DateTimeOffset.UtcNow.AddDays(10)));
    }

    [ClassCleanup]
    public static void Cleanup()
    {
        s_workspace?.Dispose();
    }

    private static string Project(string name, string baseVersion = "1.0.0", string extra = "") =>
        s_workspace.CreateProject(name, BakeryWorkspace.BaseReference(BaseId, baseVersion) + "\n" + extra);

    private static RegistryClient Client() => new(s_registry.Address);

    private static async Task<(ImageManifest Manifest, ImageConfig Config, Digest Digest)> ReadImage(string repository, string tag)
    {
        using var client = Client();
        var fetched = await client.GetManifestAsync(repository, tag);
        var manifest = fetched.Parse();
        var config = ImageConfig.Parse(await client.GetBlobAsync(repository, manifest.Config!.ParsedDigest));
        return (manifest, config, fetched.Digest);
    }

    [TestMethod]
    public async Task Bake_pushes_an_image_on_the_pinned_base_with_app_and_local_layers()
    {
        var dir = Project("webby", extra: """
              <ItemGroup>
                <BakeryLayer Include="motd.txt" Destination="/etc/webby/" Layer="config" />
                <ContainerEnvironmentVariable Include="WEBBY_MODE" Value="baked" />
                <ContainerPort Include="8080" Type="tcp" />
                <ContainerLabel Include="org.example.team" Value="platform" />
              </ItemGroup>
            """);
        File.WriteAllText(Path.Combine(dir, "motd.txt"), "hello");

        var result = s_workspace.Bake(dir, "BakeryBuildId=41");

        Assert.AreEqual(0, result.ExitCode, result.Output);
        var (manifest, config, digest) = await ReadImage("tests/webby", "1.0.0-build.41");
        Assert.HasCount(3, manifest.Layers!, "base layer + config layer + app layer");
        Assert.AreEqual(s_base.Manifest.Layers![0].Digest, manifest.Layers![0].Digest, "the base layer is reused as is");
        CollectionAssert.AreEqual(new[] { "dotnet", "/app/webby.dll" }, config.Entrypoint.ToArray());
        Assert.AreEqual("/app/", config.WorkingDir);
        Assert.AreEqual("1654", config.User, "the base image's user is kept");
        Assert.AreEqual("baked", config.Environment["WEBBY_MODE"]);
        Assert.AreEqual("bake-tests", config.Environment["BASE_MARKER"], "base environment survives");
        CollectionAssert.Contains(config.ExposedPorts.ToList(), "8080/tcp");
        Assert.AreEqual(s_base.Digest.ToString(), config.Labels["org.opencontainers.image.base.digest"]);
        Assert.AreEqual($"{s_registry.Address}/base/runtime", config.Labels["org.opencontainers.image.base.name"]);
        Assert.AreEqual("1.0.0", config.Labels["org.opencontainers.image.version"]);
        Assert.AreEqual("1970-01-01T00:00:00Z", config.Labels["org.opencontainers.image.created"]);
        Assert.AreEqual("platform", config.Labels["org.example.team"]);
        Assert.AreEqual($"{BaseId}/1.0.0", config.Labels["dev.bakery.base.package"]);
        Assert.HasCount(3, config.DiffIds, "one diff id per layer");

        using var client = Client();
        var tags = await client.ListTagsAsync("tests/webby");
        CollectionAssert.AreEquivalent(new[] { "1.0.0", "1.0.0-build.41", RegistryClient.FallbackTag(digest) }, tags.ToArray(),
            "the version tags, and the referrers fallback tag that lists the SBOM");
        var sbom = (await client.GetReferrersAsync("tests/webby", digest, "application/vnd.cyclonedx+json")).Single();
        var sbomManifest = (await client.GetManifestAsync("tests/webby", sbom.Digest)).Parse();
        Assert.AreEqual(digest.ToString(), sbomManifest.Subject!.Digest);
        using (var sbomDoc = JsonDocument.Parse(await client.GetBlobAsync("tests/webby", sbomManifest.Layers![0].ParsedDigest)))
            Assert.AreEqual("CycloneDX", sbomDoc.RootElement.GetProperty("bomFormat").GetString());
        Assert.IsTrue(await client.ManifestExistsAsync("tests/webby", digest.ToString()));

        var report = Path.Combine(dir, "obj", "Release", "net10.0", "bakery", "bakery-report.json");
        if (!File.Exists(report)) report = Path.Combine(dir, "obj", "Debug", "net10.0", "bakery", "bakery-report.json");
        Assert.IsTrue(File.Exists(report), "bakery-report.json is written under obj/");
        using var doc = JsonDocument.Parse(File.ReadAllText(report));
        Assert.AreEqual(digest.ToString(), doc.RootElement.GetProperty("digest").GetString());
        Assert.IsTrue(File.Exists(Path.ChangeExtension(report, ".md")));
        StringAssert.Contains(result.Output, $"Baked {s_registry.Address}/tests/webby@{digest}");
    }

    [TestMethod]
    public async Task Two_bakes_of_the_same_source_give_one_digest_and_the_second_uploads_nothing()
    {
        var dir = Project("repro");
        var first = s_workspace.Bake(dir, "BakeryBuildId=1");
        Assert.AreEqual(0, first.ExitCode, first.Output);
        await using var proxy = await RegistryProxy.StartAsync(s_registry);
        var second = s_workspace.Bake(dir, "BakeryBuildId=2", $"ContainerRegistry={proxy.Address}");
        Assert.AreEqual(0, second.ExitCode, second.Output);

        var one = await ReadImage("tests/repro", "1.0.0-build.1");
        var two = await ReadImage("tests/repro", "1.0.0-build.2");
        Assert.AreEqual(one.Digest, two.Digest, "same inputs, same digest, whatever the build id");
        StringAssert.Contains(second.Output, "pushed   0 blob(s), 0 B");
        List<string> pushed;
        lock (proxy.Log) pushed = [.. proxy.Log];
        CollectionAssert.Contains(pushed, $"HEAD /v2/tests/repro/manifests/{one.Digest}", string.Join("\n", pushed));
        Assert.IsFalse(pushed.Any(r => r.StartsWith("HEAD /v2/tests/repro/blobs/", StringComparison.Ordinal)),
            "the image is in the repository already, so its blobs are too: no HEAD per blob\n" + string.Join("\n", pushed));
        Assert.IsFalse(pushed.Contains($"PUT /v2/tests/repro/manifests/{one.Digest}"), "nor a put of the manifest by digest");
        CollectionAssert.Contains(pushed, "PUT /v2/tests/repro/manifests/1.0.0-build.2", "the new build tag is still put");
    }

    [TestMethod]
    public async Task Expired_base_fails_with_BAKE101_and_pushes_nothing()
    {
        var dir = Project("expired", baseVersion: "0.9.0");
        var result = s_workspace.Bake(dir, "BakeryBuildId=5");

        Assert.AreNotEqual(0, result.ExitCode, result.Output);
        StringAssert.Contains(result.Output, "error BAKE101");
        StringAssert.Contains(result.Output, "expired on 2026-02-01");
        StringAssert.Contains(result.Output, $"Its successor is {BaseId} 1.0.0");
        using var client = Client();
        Assert.IsEmpty(await client.ListTagsAsync("tests/expired"), "nothing may be pushed for a failed bake");
    }

    [TestMethod]
    public void Deprecated_base_fails_with_BAKE102_unless_downgraded_to_a_warning()
    {
        var dir = Project("deprecated", baseVersion: "0.9.5");
        var failing = s_workspace.Bake(dir, "BakeryBuildId=6");
        Assert.AreNotEqual(0, failing.ExitCode, failing.Output);
        StringAssert.Contains(failing.Output, "error BAKE102");

        var warned = s_workspace.Bake(dir, "BakeryBuildId=6", "BakeryDeprecatedBaseImage=Warning");
        Assert.AreEqual(0, warned.ExitCode, warned.Output);
        StringAssert.Contains(warned.Output, "warning BAKE102");
    }

    [TestMethod]
    public void BakeryNow_moves_the_clock_so_a_supported_base_is_judged_expired()
    {
        var dir = Project("clock");
        var result = s_workspace.Bake(dir, "BakeryBuildId=7", $"BakeryNow={DateTimeOffset.UtcNow.AddYears(2):yyyy-MM-dd}");
        Assert.AreNotEqual(0, result.ExitCode, result.Output);
        StringAssert.Contains(result.Output, "error BAKE101");
    }

    [TestMethod]
    public void Base_expiring_soon_warns_with_BAKE111_and_still_bakes()
    {
        var dir = Project("soon", baseVersion: "0.9.8");
        var result = s_workspace.Bake(dir, "BakeryBuildId=8");
        Assert.AreEqual(0, result.ExitCode, result.Output);
        StringAssert.Contains(result.Output, "warning BAKE111");
    }

    [TestMethod]
    public async Task Latest_tag_is_refused_with_BAKE401_before_anything_compiles_and_warns_BAKE411_when_allowed()
    {
        var dir = Project("latest", extra: "  <PropertyGroup><ContainerImageTag>latest</ContainerImageTag></PropertyGroup>");
        var result = s_workspace.Bake(dir, "BakeryBuildId=9");
        Assert.AreNotEqual(0, result.ExitCode, result.Output);
        StringAssert.Contains(result.Output, "error BAKE401");
        Assert.IsFalse(Directory.Exists(Path.Combine(dir, "bin")), "the check runs before compilation: nothing was built");
        using var client = Client();
        Assert.IsEmpty(await client.ListTagsAsync("tests/latest"));

        var allowed = s_workspace.Bake(dir, "BakeryBuildId=9", "BakeryAllowLatestTag=true");
        Assert.AreEqual(0, allowed.ExitCode, allowed.Output);
        StringAssert.Contains(allowed.Output, "warning BAKE411");
        CollectionAssert.Contains((await client.ListTagsAsync("tests/latest")).ToList(), "latest");
    }

    [TestMethod]
    public void An_invalid_repository_is_BAKE405_before_anything_compiles()
    {
        var dir = Project("badrepo", extra: "  <PropertyGroup><ContainerRepository>Team/Not Valid</ContainerRepository></PropertyGroup>");
        var result = s_workspace.Bake(dir, "BakeryBuildId=1");
        Assert.AreNotEqual(0, result.ExitCode, result.Output);
        StringAssert.Contains(result.Output, "error BAKE405");
        Assert.IsFalse(Directory.Exists(Path.Combine(dir, "bin")), result.Output);
    }

    [TestMethod]
    public async Task A_build_tag_never_moves_BAKE407_while_the_version_tag_moves_and_the_report_says_so()
    {
        var dir = Project("immutable", extra: "  <ItemGroup><BakeryLayer Include=\"data.txt\" Destination=\"/etc/immutable/\" /></ItemGroup>");
        File.WriteAllText(Path.Combine(dir, "data.txt"), "first");
        var first = s_workspace.Bake(dir, "BakeryBuildId=70");
        Assert.AreEqual(0, first.ExitCode, first.Output);
        var (_, _, firstDigest) = await ReadImage("tests/immutable", "1.0.0-build.70");

        File.WriteAllText(Path.Combine(dir, "data.txt"), "second");
        var moved = s_workspace.Bake(dir, "BakeryBuildId=70");
        Assert.AreNotEqual(0, moved.ExitCode, moved.Output);
        StringAssert.Contains(moved.Output, "error BAKE407");
        StringAssert.Contains(moved.Output, firstDigest.ToString());
        Assert.AreEqual(firstDigest, (await ReadImage("tests/immutable", "1.0.0-build.70")).Digest, "the build tag still names the first image");

        var next = s_workspace.Bake(dir, "BakeryBuildId=71");
        Assert.AreEqual(0, next.ExitCode, next.Output);
        var (_, _, secondDigest) = await ReadImage("tests/immutable", "1.0.0");
        Assert.AreNotEqual(firstDigest, secondDigest, "the version tag moved to the newest build");
        var report = Core.Reports.BakeReportWriter.Read(Path.Combine(dir, "obj", "Release", "net10.0", "bakery", "bakery-report.json"));
        Assert.AreEqual(firstDigest.ToString(), report.MovedTags.Single(t => t.Tag == "1.0.0").From);

        File.WriteAllText(Path.Combine(dir, "data.txt"), "third");
        var overwritten = s_workspace.Bake(dir, "BakeryBuildId=71", "BakeryAllowTagOverwrite=true");
        Assert.AreEqual(0, overwritten.ExitCode, overwritten.Output);
        Assert.AreNotEqual(secondDigest, (await ReadImage("tests/immutable", "1.0.0-build.71")).Digest);
    }

    [TestMethod]
    public void A_runtime_identifier_the_base_is_not_built_for_is_BAKE206_naming_its_platform()
    {
        var dir = Project("armapp", extra: "  <PropertyGroup><ContainerRuntimeIdentifier>linux-arm64</ContainerRuntimeIdentifier></PropertyGroup>");
        var result = s_workspace.Bake(dir, "BakeryBuildId=1");
        Assert.AreNotEqual(0, result.ExitCode, result.Output);
        StringAssert.Contains(result.Output, "error BAKE206");
        StringAssert.Contains(result.Output, "linux/arm64");
        StringAssert.Contains(result.Output, "linux/amd64");
    }

    [TestMethod]
    public void A_base_image_missing_from_its_registry_is_BAKE207()
    {
        var missing = s_base with { Digest = Bakery.Oci.Model.Digest.Compute("never pushed"u8) };
        s_workspace.AddBasePackage(BasePackageWriter.Descriptor("Tests.BaseImages.Gone", "1.0.0", missing, expires: DateTimeOffset.UtcNow.AddYears(1)));
        var dir = s_workspace.CreateProject("gonebase", BakeryWorkspace.BaseReference("Tests.BaseImages.Gone", "1.0.0"));
        var result = s_workspace.Bake(dir, "BakeryBuildId=1", "BakeryOffline=true");
        Assert.AreNotEqual(0, result.ExitCode, result.Output);
        StringAssert.Contains(result.Output, "error BAKE207");
    }

    [TestMethod]
    public void An_archive_the_secret_scan_cannot_open_warns_BAKE330_and_the_bake_goes_on()
    {
        var dir = Project("brokenzip", extra: "  <ItemGroup><BakeryLayer Include=\"bundle.zip\" Destination=\"/opt/brokenzip/\" /></ItemGroup>");
        File.WriteAllBytes(Path.Combine(dir, "bundle.zip"), [.. "PK"u8, 3, 4, .. new byte[64]]);
        var result = s_workspace.Bake(dir, "BakeryBuildId=1");
        Assert.AreEqual(0, result.ExitCode, result.Output);
        StringAssert.Contains(result.Output, "warning BAKE330");
        StringAssert.Contains(result.Output, "/opt/brokenzip/bundle.zip");
    }

    [TestMethod]
    public void A_layer_without_a_destination_is_BAKE501()
    {
        var dir = Project("nodest", extra: "  <ItemGroup><BakeryLayer Include=\"x.txt\" /></ItemGroup>");
        File.WriteAllText(Path.Combine(dir, "x.txt"), "x");
        var result = s_workspace.Bake(dir, "BakeryBuildId=1");
        Assert.AreNotEqual(0, result.ExitCode, result.Output);
        StringAssert.Contains(result.Output, "error BAKE501");
        StringAssert.Contains(result.Output, "Destination");
    }

    [TestMethod]
    public void CI_build_number_from_the_environment_becomes_the_tag()
    {
        var dir = Project("citag");
        var result = s_workspace.Dotnet("publish", dir, ["BakeImage=true"], new Dictionary<string, string> { ["GITHUB_RUN_NUMBER"] = "314" });
        Assert.AreEqual(0, result.ExitCode, result.Output);
        StringAssert.Contains(result.Output, "1.0.0-build.314");
    }

    [TestMethod]
    public void No_base_image_package_is_BAKE201()
    {
        var dir = s_workspace.CreateProject("nobase");
        var result = s_workspace.Bake(dir, "BakeryBuildId=1");
        Assert.AreNotEqual(0, result.ExitCode, result.Output);
        StringAssert.Contains(result.Output, "error BAKE201");
    }

    [TestMethod]
    public void Two_base_image_packages_are_BAKE202()
    {
        s_workspace.AddBasePackage(BasePackageWriter.Descriptor("Tests.BaseImages.Other", "1.0.0", s_base, expires: DateTimeOffset.UtcNow.AddYears(1)));
        var dir = s_workspace.CreateProject("twobases",
            BakeryWorkspace.BaseReference(BaseId, "1.0.0") + BakeryWorkspace.BaseReference("Tests.BaseImages.Other", "1.0.0"));
        var result = s_workspace.Bake(dir, "BakeryBuildId=1");
        Assert.AreNotEqual(0, result.ExitCode, result.Output);
        StringAssert.Contains(result.Output, "error BAKE202");
        StringAssert.Contains(result.Output, "Tests.BaseImages.Other");
    }

    [TestMethod]
    public void Malformed_descriptor_is_BAKE203_naming_the_field()
    {
        var json = JsonSerializer.Serialize(BasePackageWriter.Descriptor("Tests.BaseImages.Broken", "1.0.0", s_base) with
        {
            Image = new Core.Descriptors.DescriptorImage { Registry = s_registry.Address, Repository = "base/runtime", Digest = "" },
        });
        BasePackageWriter.WriteRaw(s_workspace.Feed, "Tests.BaseImages.Broken", "1.0.0", json);
        var dir = s_workspace.CreateProject("broken", BakeryWorkspace.BaseReference("Tests.BaseImages.Broken", "1.0.0"));
        var result = s_workspace.Bake(dir, "BakeryBuildId=1");
        Assert.AreNotEqual(0, result.ExitCode, result.Output);
        StringAssert.Contains(result.Output, "error BAKE203");
        StringAssert.Contains(result.Output, "'image.digest'");
    }

    [TestMethod]
    public void Hand_set_ContainerBaseImage_is_BAKE205_unless_allowed()
    {
        var dir = s_workspace.CreateProject("untrusted",
            $"  <PropertyGroup><ContainerBaseImage>{s_base.Reference}</ContainerBaseImage></PropertyGroup>");
        var refused = s_workspace.Bake(dir, "BakeryBuildId=1");
        Assert.AreNotEqual(0, refused.ExitCode, refused.Output);
        StringAssert.Contains(refused.Output, "error BAKE205");

        var allowed = s_workspace.Bake(dir, "BakeryBuildId=1", "BakeryAllowUntrustedBaseImage=true");
        Assert.AreEqual(0, allowed.ExitCode, allowed.Output);
        StringAssert.Contains(allowed.Output, "untrusted base image");
    }

    [TestMethod]
    public void Plain_build_and_publish_without_BakeImage_behave_like_Microsoft_NET_Sdk()
    {
        // An expired base and no registry contact: without BakeImage nothing of Bakery runs.
        var dir = Project("plain", baseVersion: "0.9.0");
        var build = s_workspace.Dotnet("publish", dir, []);
        Assert.AreEqual(0, build.ExitCode, build.Output);
        Assert.DoesNotContain("BAKE", build.Output);
        Assert.IsTrue(File.Exists(Path.Combine(dir, "bin", "Release", "net10.0", "publish", "plain.dll")));
    }
}
