using System.Text.Json;
using Bakery.Core.Descriptors;
using Bakery.Core.Signing;
using Bakery.Core.Trust;
using Bakery.Oci.Registry;
using Bakery.Tests.Infrastructure;

namespace Bakery.Tests.Integration;

/// <summary>
/// Trust down the chain in real `dotnet publish` bakes against a real registry: the team package's
/// trust rules name the global bakery's key, every bake checks the ancestor's signature before it
/// uses it, the app is signed with SLSA provenance naming its chain, and `bakery verify --signatures`
/// and `bakery attestations` read it back.
/// </summary>
[TestClass]
[TestCategory("Integration")]
public sealed class SignedChainBakeTests
{
    private const string Password = "bakery signing test";
    private static RegistryProcess s_registry = null!;
    private static BakeryWorkspace s_workspace = null!;

    [ClassInitialize]
    public static void Initialize(TestContext _)
    {
        s_registry = RegistryProcess.Start();
        s_workspace = new BakeryWorkspace("signed-chain", pushTo: s_registry.Address);
    }

    [ClassCleanup]
    public static void Cleanup()
    {
        s_workspace?.Dispose();
        s_registry?.Dispose();
    }

    private static Dictionary<string, string> Environment => new() { ["NUGET_PACKAGES"] = s_workspace.Packages, [SigningKeyFile.PasswordVariable] = Password };

    private static ProcessResult Tool(params string[] args) =>
        ProcessRunner.Run("dotnet", [Path.Combine(AppContext.BaseDirectory, "Bakery.Tool.dll"), .. args], s_workspace.Root, Environment);

    private static ProcessResult Bake(string project, params string[] properties) =>
        s_workspace.Dotnet("publish", project, ["BakeImage=true", .. properties], Environment);

    private static string NewKey(string name, KeyAlgorithm algorithm = KeyAlgorithm.EcdsaP256)
    {
        var pair = KeyPairs.Generate(algorithm, KeyFileFormat.Pkcs8, Password);
        var path = Path.Combine(s_workspace.Root, name + ".key");
        File.WriteAllText(path, pair.PrivatePem);
        File.WriteAllText(path + ".pub", pair.PublicKey.Pem);
        return path;
    }

    /// <summary>A global image and a team image on it; the team package requires the global image signed by <paramref name="globalKey"/>.</summary>
    private static async Task<(TestImages.PushedImage Global, TestImages.PushedImage Team, string TeamId)> Chain(string name, string globalKey, string version = "1.0.0")
    {
        var global = await TestImages.PushBaseAsync(s_registry.Address, $"{name.ToLowerInvariant()}/global", $"{name}-global-{version}");
        var team = await TestImages.PushBaseAsync(s_registry.Address, $"{name.ToLowerInvariant()}/team", $"{name}-team-{version}");
        var globalId = $"Tests.{name}.Global";
        var rule = new TrustRule
        {
            Subject = globalId,
            Keys = [TrustedKey.Of(SignaturePublicKey.Parse(File.ReadAllText(globalKey + ".pub")), "global.pub")],
            // The synthetic global image was not baked by Bakery, so it has no provenance to require.
            Provenance = false,
            SetBy = globalId,
        };
        s_workspace.AddBasePackage(BasePackageWriter.Descriptor($"Tests.{name}.Team", version, team, expires: DateTimeOffset.UtcNow.AddYears(1)) with
        {
            Lineage = [new LineageEntry { Repository = $"{global.Registry}/{global.Repository}", Digest = global.Digest.ToString(), PackageId = globalId, PackageVersion = version }],
            Trust = new TrustPolicy { Rules = [rule] },
        });
        return (global, team, $"Tests.{name}.Team");
    }

    [TestMethod]
    public async Task The_ancestor_must_be_signed_by_the_inherited_key_and_the_app_is_signed_with_provenance_of_its_chain()
    {
        var globalKey = NewKey("global");
        var (global, team, teamId) = await Chain("Sig", globalKey);
        var app = s_workspace.CreateProject("sigapp", BakeryWorkspace.BaseReference(teamId, "1.0.0"));

        var unsigned = Bake(app, "BakeryBuildId=1");
        Assert.AreNotEqual(0, unsigned.ExitCode, unsigned.Output);
        StringAssert.Contains(unsigned.Output, "error BAKE220");
        StringAssert.Contains(unsigned.Output, "Tests.Sig.Global 1.0.0");
        using (var client = new RegistryClient(s_registry.Address))
            Assert.IsFalse((await client.ListTagsAsync("tests/sigapp")).Any(t => t.StartsWith("1.0.0", StringComparison.Ordinal)), "nothing is baked on an unsigned ancestor");

        var signGlobal = Tool("sign", global.Reference, "--key", globalKey);
        Assert.AreEqual(0, signGlobal.ExitCode, signGlobal.Output);
        Assert.AreEqual(0, Tool("verify", $"{teamId}/1.0.0", "--signatures").ExitCode, "the package's own rules verify its chain");

        var appKey = NewKey("app", KeyAlgorithm.Ed25519);
        var baked = Bake(app, "BakeryBuildId=2", $"BakerySigningKey={appKey}");
        Assert.AreEqual(0, baked.ExitCode, baked.Output);
        var image = $"{s_registry.Address}/tests/sigapp:1.0.0-build.2";

        var verify = Tool("verify", image, "--signatures", "--key", appKey + ".pub", "--require-provenance", "--json");
        Assert.AreEqual(0, verify.ExitCode, verify.Output);
        var wrong = Tool("verify", image, "--signatures", "--key", globalKey + ".pub");
        Assert.AreEqual(3, wrong.ExitCode, "the app is not signed by the global key: " + wrong.Output);

        var provenance = Tool("attestations", image, "--key", appKey + ".pub", "--show", "provenance");
        Assert.AreEqual(0, provenance.ExitCode, provenance.Output);
        using var doc = JsonDocument.Parse(provenance.Output);
        Assert.AreEqual(SlsaProvenance.PredicateType, doc.RootElement.GetProperty("predicateType").GetString());
        StringAssert.Contains(provenance.Output, team.Digest.Hex, "the base image by digest");
        StringAssert.Contains(provenance.Output, global.Digest.Hex, "every ancestor by digest");
        StringAssert.Contains(provenance.Output, teamId, "the resolved base-image package");
    }

    [TestMethod]
    public async Task An_ancestor_re_pushed_by_someone_without_the_key_fails_the_bake_with_BAKE222_and_a_team_may_add_keys()
    {
        var globalKey = NewKey("global-2");
        var intruderKey = NewKey("intruder");
        var (global, team, teamId) = await Chain("Intr", globalKey);
        Assert.AreEqual(0, Tool("sign", global.Reference, "--key", intruderKey).ExitCode);
        var app = s_workspace.CreateProject("intrapp", BakeryWorkspace.BaseReference(teamId, "1.0.0"));
        var result = Bake(app, "BakeryBuildId=1");
        Assert.AreNotEqual(0, result.ExitCode, result.Output);
        StringAssert.Contains(result.Output, "error BAKE222");

        // The app's own BakeryTrustedSigningKey adds a rule for the team image: it must be signed too.
        var teamKey = NewKey("team");
        Assert.AreEqual(0, Tool("sign", global.Reference, "--key", globalKey).ExitCode);
        var strict = s_workspace.CreateProject("intrstrict", BakeryWorkspace.BaseReference(teamId, "1.0.0")
            + $"""  <ItemGroup><BakeryTrustedSigningKey Include="{teamKey}.pub" Provenance="false" /></ItemGroup>""");
        var teamUnsigned = Bake(strict, "BakeryBuildId=1");
        Assert.AreNotEqual(0, teamUnsigned.ExitCode, teamUnsigned.Output);
        StringAssert.Contains(teamUnsigned.Output, "error BAKE220");
        Assert.AreEqual(0, Tool("sign", team.Reference, "--key", teamKey).ExitCode);
        var passed = Bake(strict, "BakeryBuildId=2");
        Assert.AreEqual(0, passed.ExitCode, passed.Output);
    }

    [TestMethod]
    public void BakeryRequireSignature_without_a_key_is_BAKE435_and_a_wrong_password_is_BAKE431()
    {
        var app = s_workspace.CreateProject("mustsign", "");
        var noKey = Bake(app, "BakeryBuildId=1", "BakeryRequireSignature=true", $"ContainerBaseImage={s_registry.Address}/none/none@sha256:{new string('0', 64)}", "BakeryAllowUntrustedBaseImage=true");
        Assert.AreNotEqual(0, noKey.ExitCode, noKey.Output);
        StringAssert.Contains(noKey.Output, "BAKE435");

        var key = NewKey("password");
        var wrongPassword = s_workspace.Dotnet("publish", app, ["BakeImage=true", "BakeryBuildId=1", $"BakerySigningKey={key}",
            $"ContainerBaseImage={s_registry.Address}/none/none@sha256:{new string('0', 64)}", "BakeryAllowUntrustedBaseImage=true"],
            new Dictionary<string, string> { ["NUGET_PACKAGES"] = s_workspace.Packages, [SigningKeyFile.PasswordVariable] = "not it" });
        Assert.AreNotEqual(0, wrongPassword.ExitCode, wrongPassword.Output);
        StringAssert.Contains(wrongPassword.Output, "BAKE431");
    }

    private static string BaseProject(string name, string packageId, string baseXml, string extra = "")
    {
        var dir = s_workspace.CreateProject(name, $"""
              <PropertyGroup>
                <BakeryImageKind>BaseImage</BakeryImageKind>
                <PackageId>{packageId}</PackageId>
                <Version>1.0.0</Version>
                <BakerySupportDays>100</BakerySupportDays>
              </PropertyGroup>
              <ItemGroup>
                {baseXml}
                <BakeryLayer Include="files/" Destination="/opt/{name}/" Layer="{name}" />
              </ItemGroup>
            {extra}
            """);
        File.Delete(Path.Combine(dir, "Program.cs"));
        Directory.CreateDirectory(Path.Combine(dir, "files"));
        File.WriteAllText(Path.Combine(dir, "files", "marker.txt"), name);
        return dir;
    }

    private static BaseImageDescriptor ReadPackage(string id, string version)
    {
        using var zip = System.IO.Compression.ZipFile.OpenRead(Path.Combine(s_workspace.Feed, $"{id}.{version}.nupkg"));
        using var json = new StreamReader(zip.GetEntry("bakery/image.json")!.Open());
        return DescriptorReader.Parse(json.ReadToEnd(), "image.json", id);
    }

    [TestMethod]
    public async Task A_signing_global_bakery_s_package_makes_descendants_verify_its_signature_and_provenance_and_sign_themselves()
    {
        var upstream = await TestImages.PushBaseAsync(s_registry.Address, "pkgchain/upstream", "upstream");
        var globalKey = NewKey("pkg-global");
        var global = BaseProject("pkgglobal", "Tests.PkgChain.Global", $"""<BakeryUpstream Include="{upstream.Reference}" />""");
        var signing = new[] { "BakeryBuildId=1", $"BakerySigningKey={globalKey}", "BakeryRequireSignature=true", "BakeryBuilderId=https://builders.example/global" };
        var baked = Bake(global, signing);
        Assert.AreEqual(0, baked.ExitCode, baked.Output);
        var packed = s_workspace.Dotnet("pack", global, [$"PackageOutputPath={s_workspace.Feed}/", .. signing], Environment);
        Assert.AreEqual(0, packed.ExitCode, packed.Output);
        var descriptor = ReadPackage("Tests.PkgChain.Global", "1.0.0.1");
        Assert.IsTrue(descriptor.Trust!.RequireSigning);
        var rule = descriptor.Trust.Rules.Single();
        Assert.AreEqual("Tests.PkgChain.Global", rule.Subject);
        Assert.IsTrue(rule.Provenance, "descendants require the global bakery's provenance too");
        Assert.AreEqual(SignaturePublicKey.Parse(File.ReadAllText(globalKey + ".pub")).KeyId, rule.Keys.Single().KeyId);
        Assert.AreEqual(descriptor.Image.Digest, descriptor.Trust.Evidence.Single().Digest, "the signature is recorded for offline checks");

        // The team bakery inherits BakeryRequireSignature: without a key its base image is not baked.
        var team = BaseProject("pkgteam", "Tests.PkgChain.Team", "", BakeryWorkspace.BaseReference("Tests.PkgChain.Global", "1.0.0.1"));
        var unsignedTeam = Bake(team, "BakeryBuildId=2");
        Assert.AreNotEqual(0, unsignedTeam.ExitCode, unsignedTeam.Output);
        StringAssert.Contains(unsignedTeam.Output, "BAKE435");
        var teamKey = NewKey("pkg-team", KeyAlgorithm.Ed25519);
        var teamBaked = Bake(team, "BakeryBuildId=3", $"BakerySigningKey={teamKey}");
        Assert.AreEqual(0, teamBaked.ExitCode, teamBaked.Output);
        Assert.AreEqual(0, s_workspace.Dotnet("pack", team, [$"PackageOutputPath={s_workspace.Feed}/", "BakeryBuildId=3", $"BakerySigningKey={teamKey}"], Environment).ExitCode);
        var teamDescriptor = ReadPackage("Tests.PkgChain.Team", "1.0.0.3");
        CollectionAssert.AreEquivalent(new[] { "Tests.PkgChain.Global", "Tests.PkgChain.Team" }, teamDescriptor.Trust!.Rules.Select(r => r.Subject).ToArray(),
            "the inherited rule stays; the team's own is added");

        var app = s_workspace.CreateProject("pkgapp", BakeryWorkspace.BaseReference("Tests.PkgChain.Team", "1.0.0.3"));
        var appBaked = Bake(app, "BakeryBuildId=4");
        Assert.AreEqual(0, appBaked.ExitCode, "apps need not sign: " + appBaked.Output);
        // The app restored the team package: its own rules verify the chain, as the bake did.
        var verify = Tool("verify", "Tests.PkgChain.Team/1.0.0.3", "--signatures", "--json");
        Assert.AreEqual(0, verify.ExitCode, verify.Output);
        StringAssert.Contains(verify.Output, "an ancestor of Tests.PkgChain.Team", "the global image is checked down the chain");

        var offline = Bake(app, "BakeryBuildId=5", "BakeryOffline=true");
        Assert.AreEqual(0, offline.ExitCode, offline.Output);
        StringAssert.Contains(offline.Output, "warning BAKE229");

        var provenance = Tool("attestations", $"{s_registry.Address}/tests/pkgteam:1.0.0-build.3", "--key", teamKey + ".pub", "--show", "provenance");
        Assert.AreEqual(0, provenance.ExitCode, provenance.Output);
        StringAssert.Contains(provenance.Output, descriptor.Image.Digest[7..], "the team image's provenance names the global image it was baked on");
        StringAssert.Contains(provenance.Output, upstream.Digest.Hex, "and the upstream ancestor");
        var globalProvenance = Tool("attestations", $"{s_registry.Address}/tests/pkgglobal:1.0.0-build.1", "--key", globalKey + ".pub", "--show", "provenance");
        StringAssert.Contains(globalProvenance.Output, "https://builders.example/global", "BakeryBuilderId");
    }
}
