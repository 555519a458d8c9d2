using System.Text.Json;
using Bakery.Oci.Registry;
using Bakery.Tests.Infrastructure;

namespace Bakery.Tests.Integration;

/// <summary>
/// The global bakery's store and a team's store as two registries with their own token auth and
/// per-repository scopes, and `dotnet publish -p:BakeImage=true` between them: the team's credential
/// pulls the base from the global store (source credentials) and pushes the app to the team store
/// (push credentials); base layers are copied across once, a rebake copies nothing, and a push into
/// the global store is refused (BAKE403).
/// </summary>
[TestClass]
[TestCategory("Integration")]
public sealed class TwoRegistryBakeTests
{
    private static string s_directory = null!;
    private static TestCertificateAuthority s_ca = null!;
    private static TokenServer s_tokens = null!;
    private static RegistryProcess s_global = null!;
    private static RegistryProcess s_team = null!;
    private static BakeryWorkspace s_workspace = null!;

    [ClassInitialize]
    public static async Task Initialize(TestContext _)
    {
        s_directory = TestPaths.NewTempDirectory("two-registries");
        s_ca = TestCertificateAuthority.Create("Bakery test token CA");
        s_tokens = await TokenServer.StartAsync(s_ca, s_directory);
        s_tokens.AddUser("platform", "platform-secret", new TokenServer.Grant("global/*", "pull", "push"));
        s_tokens.AddUser("team-a", "team-secret", new TokenServer.Grant("global/*", "pull"), new TokenServer.Grant("team-a/*", "pull", "push"));
        s_global = RegistryProcess.StartWithTokenAuth(s_tokens, service: "bakery-global-store");
        s_team = RegistryProcess.StartWithTokenAuth(s_tokens, service: "bakery-team-store");
        s_workspace = new BakeryWorkspace("two-registries");
    }

    [ClassCleanup]
    public static async Task Cleanup()
    {
        s_workspace?.Dispose();
        s_team?.Dispose();
        s_global?.Dispose();
        if (s_tokens is not null) await s_tokens.DisposeAsync();
        s_ca?.Dispose();
        if (s_directory is not null) Directory.Delete(s_directory, recursive: true);
    }

    private static readonly Dictionary<string, string> TeamCredentials = new()
    {
        // The role-specific pairs must win: the generic one is a decoy that would be refused.
        ["BAKERY_REGISTRY_USERNAME"] = "nobody",
        ["BAKERY_REGISTRY_PASSWORD"] = "wrong",
        ["BAKERY_SOURCE_REGISTRY_USERNAME"] = "team-a",
        ["BAKERY_SOURCE_REGISTRY_PASSWORD"] = "team-secret",
        ["BAKERY_PUSH_REGISTRY_USERNAME"] = "team-a",
        ["BAKERY_PUSH_REGISTRY_PASSWORD"] = "team-secret",
    };

    private static JsonElement Report(string dir)
    {
        using var doc = JsonDocument.Parse(File.ReadAllText(Path.Combine(dir, "obj", "Release", "net10.0", "bakery", "bakery-report.json")));
        return doc.RootElement.Clone();
    }

    [TestMethod]
    public async Task The_team_bakes_from_the_global_store_into_its_own_copying_base_layers_once()
    {
        var platform = new RegistryCredentials(new Dictionary<string, string?> { ["BAKERY_REGISTRY_USERNAME"] = "platform", ["BAKERY_REGISTRY_PASSWORD"] = "platform-secret" });
        var image = await TestImages.PushBaseAsync(s_global.Address, "global/runtime", "global", new RegistryClientOptions { Credentials = platform, Role = RegistryRole.Push });
        s_workspace.AddBasePackage(BasePackageWriter.Descriptor("Global.Runtime", "1.0.0", image, expires: DateTimeOffset.UtcNow.AddYears(1)));
        var dir = s_workspace.CreateProject("teamapp", BakeryWorkspace.BaseReference("Global.Runtime", "1.0.0")
            + $"<PropertyGroup><ContainerRegistry>{s_team.Address}</ContainerRegistry><ContainerRepository>team-a/app</ContainerRepository></PropertyGroup>");

        var baked = s_workspace.Dotnet("publish", dir, ["BakeImage=true", "BakeryBuildId=1"], TeamCredentials);
        Assert.AreEqual(0, baked.ExitCode, baked.Output);
        var first = Report(dir).GetProperty("push");
        Assert.IsGreaterThan(0, first.GetProperty("blobsUploaded").GetInt32(), baked.Output);
        // The SBOM step has read the base layer into the bake's blob folder already, so it is uploaded from there;
        // a layer the bake has not read is streamed registry to registry (RegistryClientTests covers that path).
        StringAssert.Contains(baked.Output, $"Uploading base layer {image.Manifest.Layers![0].ParsedDigest.Hex[..12]}");

        using var team = new RegistryClient(s_team.Address, new RegistryClientOptions { Credentials = new RegistryCredentials(TeamCredentials.ToDictionary(p => p.Key, p => (string?)p.Value)), Role = RegistryRole.Push });
        foreach (var layer in image.Manifest.Layers!)
            Assert.IsTrue(await team.BlobExistsAsync("team-a/app", layer.ParsedDigest), "the base layer was copied into the team store");
        CollectionAssert.Contains((await team.ListTagsAsync("team-a/app")).ToList(), "1.0.0-build.1");

        var rebaked = s_workspace.Dotnet("publish", dir, ["BakeImage=true", "BakeryBuildId=2"], TeamCredentials);
        Assert.AreEqual(0, rebaked.ExitCode, rebaked.Output);
        var again = Report(dir).GetProperty("push");
        Assert.AreEqual(0, again.GetProperty("bytesUploaded").GetInt64(), "a rebake copies nothing twice");
        Assert.AreEqual(0, again.GetProperty("blobsUploaded").GetInt32());
        Assert.IsFalse(rebaked.Output.Contains("Uploading base layer", StringComparison.Ordinal), rebaked.Output);

        Assert.IsTrue(s_tokens.Requests.Any(r => r.User == "team-a" && r.Scopes.Contains("repository:global/runtime:pull") && r.Status == 200),
            "the team's source credentials read the global store");
        Assert.IsFalse(s_tokens.Requests.Any(r => r.User == "nobody" && r.Status == 200), "the generic decoy was never used");
    }

    [TestMethod]
    public async Task The_team_credential_is_refused_a_push_into_the_global_store()
    {
        var platform = new RegistryCredentials(new Dictionary<string, string?> { ["BAKERY_REGISTRY_USERNAME"] = "platform", ["BAKERY_REGISTRY_PASSWORD"] = "platform-secret" });
        var image = await TestImages.PushBaseAsync(s_global.Address, "global/base", "refuse", new RegistryClientOptions { Credentials = platform, Role = RegistryRole.Push });
        s_workspace.AddBasePackage(BasePackageWriter.Descriptor("Global.Base", "1.0.0", image, expires: DateTimeOffset.UtcNow.AddYears(1)));
        var dir = s_workspace.CreateProject("intruder", BakeryWorkspace.BaseReference("Global.Base", "1.0.0")
            + $"<PropertyGroup><ContainerRegistry>{s_global.Address}</ContainerRegistry><ContainerRepository>global/intruder</ContainerRepository></PropertyGroup>");

        var refused = s_workspace.Dotnet("publish", dir, ["BakeImage=true", "BakeryBuildId=1"], TeamCredentials);

        Assert.AreNotEqual(0, refused.ExitCode, refused.Output);
        StringAssert.Contains(refused.Output, "error BAKE403");
        StringAssert.Contains(refused.Output, $"Registry {s_global.Address} refused access to global/intruder");
        StringAssert.Contains(refused.Output, "push to global/intruder");
        using var client = new RegistryClient(s_global.Address, new RegistryClientOptions { Credentials = platform });
        Assert.IsEmpty(await client.ListTagsAsync("global/intruder"), "nothing was tagged");
    }
}
