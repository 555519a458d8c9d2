using System.Diagnostics;
using Bakery.Oci.Registry;
using Bakery.Tests.Infrastructure;

namespace Bakery.Tests.Integration;

/// <summary>`dotnet publish -p:BakeImage=true` when the registry misbehaves: clear BAKE errors, non-zero exit, no hang.</summary>
[TestClass]
[TestCategory("Integration")]
public sealed class RegistryFailureBakeTests
{
    private static RegistryProcess s_registry = null!;
    private static BakeryWorkspace s_workspace = null!;

    [ClassInitialize]
    public static void Initialize(TestContext _)
    {
        s_registry = SharedRegistry.Instance;
        s_workspace = new BakeryWorkspace("failures", pushTo: s_registry.Address);
    }

    [ClassCleanup]
    public static void Cleanup()
    {
        s_workspace?.Dispose();
    }

    private static string ProjectOn(string name, string packageId, TestImages.PushedImage image)
    {
        s_workspace.AddBasePackage(BasePackageWriter.Descriptor(packageId, "1.0.0", image, expires: DateTimeOffset.UtcNow.AddYears(1)));
        return s_workspace.CreateProject(name, BakeryWorkspace.BaseReference(packageId, "1.0.0"));
    }

    [TestMethod]
    public async Task Manifest_that_does_not_match_the_pinned_digest_is_BAKE204()
    {
        await using var proxy = await RegistryProxy.StartAsync(s_registry);
        var image = await TestImages.PushBaseAsync(proxy.Address, "base/tampered", "tampered");
        proxy.CorruptBody = (request, body) => request.Path.Value!.Contains("/manifests/") ? [.. body, (byte)'\n'] : body;
        var dir = ProjectOn("tampered", "Tests.Base.Tampered", image);

        var result = s_workspace.Bake(dir, "BakeryBuildId=1");

        Assert.AreNotEqual(0, result.ExitCode, result.Output);
        StringAssert.Contains(result.Output, "error BAKE204");
        StringAssert.Contains(result.Output, image.Digest.ToString());
        using var client = new RegistryClient(s_registry.Address);
        Assert.IsEmpty(await client.ListTagsAsync("tests/tampered"));
    }

    [TestMethod]
    public async Task A_registry_that_keeps_refusing_blob_uploads_is_BAKE402_and_nothing_is_tagged()
    {
        var image = await TestImages.PushBaseAsync(s_registry.Address, "base/refusing", "refusing");
        await using var proxy = await RegistryProxy.StartAsync(s_registry);
        proxy.Fault = request => request.Method == "PATCH" || (request.Method == "PUT" && request.Path.Value!.Contains("/blobs/uploads/", StringComparison.Ordinal))
            || (request.Method == "POST" && request.Path.Value!.Contains("/blobs/uploads/", StringComparison.Ordinal) && !request.QueryString.Value!.Contains("mount", StringComparison.Ordinal))
            ? (503, null) : null;
        var dir = ProjectOn("refused", "Tests.Base.Refusing", image);

        var result = s_workspace.Bake(dir, "BakeryBuildId=1", $"ContainerRegistry={proxy.Address}", "BakeryOffline=true");

        Assert.AreNotEqual(0, result.ExitCode, result.Output);
        StringAssert.Contains(result.Output, "error BAKE402");
        StringAssert.Contains(result.Output, proxy.Address);
        using var client = new RegistryClient(s_registry.Address);
        Assert.IsEmpty(await client.ListTagsAsync("tests/refused"), "a failed push tags nothing");
    }

    [TestMethod]
    public void Registry_down_is_BAKE120_quickly()
    {
        var down = new TestImages.PushedImage($"localhost:{RegistryProcess.FreePort()}", "base/gone",
            Bakery.Oci.Model.Digest.Compute("nothing"u8), new Bakery.Oci.Model.ImageManifest());
        var dir = ProjectOn("down", "Tests.Base.Down", down);

        var watch = Stopwatch.StartNew();
        var result = s_workspace.Bake(dir, "BakeryBuildId=1");

        Assert.AreNotEqual(0, result.ExitCode, result.Output);
        StringAssert.Contains(result.Output, "error BAKE120");
        StringAssert.Contains(result.Output, down.Registry);
        StringAssert.Contains(result.Output, "connection refused");
        Assert.IsLessThan(120, watch.Elapsed.TotalSeconds, "a dead registry must not hang the build");
        StringAssert.Contains(result.Output, "BakeryOffline=true", "the lifecycle check can do without the registry's records");

        var offline = s_workspace.Bake(dir, "BakeryBuildId=1", "BakeryOffline=true");
        Assert.AreNotEqual(0, offline.ExitCode, offline.Output);
        StringAssert.Contains(offline.Output, "error BAKE120");
        StringAssert.Contains(offline.Output, "BakeryOffline does not help", "the bake itself needs the base's registry: no advice that cannot work");
    }

    [TestMethod]
    public async Task Registry_requiring_basic_auth_is_BAKE403_without_credentials_and_bakes_with_them()
    {
        using var secured = RegistryProcess.Start(("ci", "pa55word"));
        var credentials = new RegistryCredentials(new Dictionary<string, string?> { ["BAKERY_REGISTRY_USERNAME"] = "ci", ["BAKERY_REGISTRY_PASSWORD"] = "pa55word" });
        var image = await TestImages.PushBaseAsync(secured.Address, "base/private", "private", new RegistryClientOptions { Credentials = credentials });
        var dir = ProjectOn("private", "Tests.Base.Private", image);

        var refused = s_workspace.Bake(dir, "BakeryBuildId=1", $"ContainerRegistry={secured.Address}");
        Assert.AreNotEqual(0, refused.ExitCode, refused.Output);
        StringAssert.Contains(refused.Output, "error BAKE403");
        StringAssert.Contains(refused.Output, secured.Address);

        var env = new Dictionary<string, string> { ["BAKERY_REGISTRY_USERNAME"] = "ci", ["BAKERY_REGISTRY_PASSWORD"] = "pa55word" };
        var baked = s_workspace.Dotnet("publish", dir, ["BakeImage=true", "BakeryBuildId=2", $"ContainerRegistry={secured.Address}"], env);
        Assert.AreEqual(0, baked.ExitCode, baked.Output);
        using var client = new RegistryClient(secured.Address, new RegistryClientOptions { Credentials = credentials });
        CollectionAssert.Contains((await client.ListTagsAsync("tests/private")).ToList(), "1.0.0-build.2");
    }
}
