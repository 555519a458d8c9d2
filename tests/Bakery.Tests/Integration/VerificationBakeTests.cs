using System.Text.Json;
using Bakery.Core.Descriptors;
using Bakery.Core.Verification;
using Bakery.Oci.Model;
using Bakery.Oci.Registry;
using Bakery.Tests.Infrastructure;

namespace Bakery.Tests.Integration;

/// <summary>Verification during `dotnet publish -p:BakeImage=true`: nothing is tagged unless every check, own and inherited, passed.</summary>
[TestClass]
[TestCategory("Integration")]
public sealed class VerificationBakeTests
{
    private static RegistryProcess s_registry = null!;
    private static BakeryWorkspace s_workspace = null!;
    private const string PolicyBase = "Tests.Policy.Base";

    private const string BasePolicy = """
        schemaVersion: 2.0.0
        fileExistenceTests:
          - name: support contract present
            path: /etc/contoso/support.txt
            shouldExist: true
        metadataTest:
          user: '1654'
        """;

    [ClassInitialize]
    public static async Task Initialize(TestContext _)
    {
        s_registry = SharedRegistry.Instance;
        s_workspace = new BakeryWorkspace("verify", pushTo: s_registry.Address);
        var image = await TestImages.PushBaseAsync(s_registry.Address, "policy/base", "policy");
        s_workspace.AddBasePackage(BasePackageWriter.Descriptor(PolicyBase, "1.0.0", image, expires: DateTimeOffset.UtcNow.AddYears(1)) with
        {
            Verify = [$"bakery/verify/{PolicyBase}/support.yaml"],
        }, new Dictionary<string, string> { [$"bakery/verify/{PolicyBase}/support.yaml"] = BasePolicy });
        s_workspace.AddBasePackage(BasePackageWriter.Descriptor(LabelBase, "1.0.0", image, expires: DateTimeOffset.UtcNow.AddYears(1)) with
        {
            RequiredLabels = [new RequiredLabel("org.example.cost-centre", "Tests.Global.Bakery")],
        });
    }

    private const string LabelBase = "Tests.Policy.Labels";

    [ClassCleanup]
    public static void Cleanup()
    {
        s_workspace?.Dispose();
    }

    private static string App(string name, string policy, bool withSupportFile = true, string extra = "")
    {
        var dir = s_workspace.CreateProject(name, BakeryWorkspace.BaseReference(PolicyBase, "1.0.0") + $"""
              <ItemGroup>
                <BakeryVerify Include="policy.yaml" />
                {(withSupportFile ? """<BakeryLayer Include="support.txt" Destination="/etc/contoso/" />""" : "")}
              </ItemGroup>
            {extra}
            """);
        File.WriteAllText(Path.Combine(dir, "policy.yaml"), policy);
        File.WriteAllText(Path.Combine(dir, "support.txt"), "24/7");
        return dir;
    }

    private static async Task<IReadOnlyList<string>> Tags(string repository)
    {
        using var client = new RegistryClient(s_registry.Address);
        return await client.ListTagsAsync(repository);
    }

    private const string AppPolicy = """
        schemaVersion: 2.0.0
        fileExistenceTests:
          - name: app assembly
            path: /app/{0}.dll
            shouldExist: true
        fileContentTests:
          - name: support hours
            path: /etc/contoso/support.txt
            expectedContents: ['24/7']
        """;

    [TestMethod]
    public async Task Passing_checks_are_reported_as_JSON_Markdown_and_JUnit()
    {
        var dir = App("verified", AppPolicy.Replace("{0}", "verified"));
        var result = s_workspace.Bake(dir, "BakeryBuildId=1");
        Assert.AreEqual(0, result.ExitCode, result.Output);
        StringAssert.Contains(result.Output, "verified 5 passed, 0 skipped (2 inherited)", "own 2, inherited 2, and the built-in base-pin policy");
        CollectionAssert.Contains((await Tags("tests/verified")).ToList(), "1.0.0-build.1");

        var reports = Path.Combine(dir, "obj", "Release", "net10.0", "bakery");
        using var json = JsonDocument.Parse(File.ReadAllText(Path.Combine(reports, "bakery-report.json")));
        Assert.AreEqual(5, json.RootElement.GetProperty("checks").GetArrayLength());
        StringAssert.Contains(File.ReadAllText(Path.Combine(reports, "bakery-junit.xml")), "name=\"base image pinned by digest\"");
        var junit = File.ReadAllText(Path.Combine(reports, "bakery-junit.xml"));
        StringAssert.Contains(junit, $"<testsuite name=\"{PolicyBase}/support.yaml\" tests=\"2\" failures=\"0\"");
        StringAssert.Contains(junit, "name=\"app assembly\"");
        StringAssert.Contains(File.ReadAllText(Path.Combine(reports, "bakery-report.md")), "## Verification");
    }

    [TestMethod]
    public async Task Failing_own_check_is_BAKE301_and_nothing_is_tagged()
    {
        var dir = App("ownfail", AppPolicy.Replace("{0}", "someone-else"));
        var result = s_workspace.Bake(dir, "BakeryBuildId=1");
        Assert.AreNotEqual(0, result.ExitCode, result.Output);
        StringAssert.Contains(result.Output, "error BAKE301");
        StringAssert.Contains(result.Output, "policy.yaml › app assembly: /app/someone-else.dll does not exist");
        StringAssert.Contains(result.Output, "Nothing was tagged");
        Assert.IsEmpty(await Tags("tests/ownfail"));
    }

    [TestMethod]
    public async Task Inherited_policy_cannot_be_escaped_BAKE305()
    {
        var dir = App("inheritfail", "schemaVersion: 2.0.0\n", withSupportFile: false);
        var result = s_workspace.Bake(dir, "BakeryBuildId=1");
        Assert.AreNotEqual(0, result.ExitCode, result.Output);
        StringAssert.Contains(result.Output, "error BAKE305");
        StringAssert.Contains(result.Output, $"{PolicyBase}/support.yaml › support contract present");
        Assert.IsEmpty(await Tags("tests/inheritfail"));
    }

    [TestMethod]
    public void Malformed_policy_is_BAKE300_before_anything_is_pushed()
    {
        var dir = App("typo", "schemaVersion: 2.0.0\nfileExistenceTest:\n  - name: x\n");
        var result = s_workspace.Bake(dir, "BakeryBuildId=1");
        Assert.AreNotEqual(0, result.ExitCode, result.Output);
        StringAssert.Contains(result.Output, "error BAKE300");
        StringAssert.Contains(result.Output, "fileExistenceTest'");
    }

    [TestMethod]
    public void Command_tests_without_a_daemon_are_skipped_with_a_warning_or_fail_when_required()
    {
        var policy = "schemaVersion: 2.0.0\ncommandTests:\n  - name: runs\n    command: /bin/true\n";
        var dir = App("nodaemon", policy);
        var noDocker = new Dictionary<string, string> { ["DOCKER_HOST"] = $"unix://{Path.Combine(s_workspace.Root, "none.sock")}" };
        var auto = s_workspace.Dotnet("publish", dir, ["BakeImage=true", "BakeryBuildId=1"], noDocker);
        Assert.AreEqual(0, auto.ExitCode, auto.Output);
        StringAssert.Contains(auto.Output, "warning BAKE307");
        StringAssert.Contains(auto.Output, "1 skipped");
        var required = s_workspace.Dotnet("publish", dir, ["BakeImage=true", "BakeryBuildId=2", "BakeryRunCommandTests=true"], noDocker);
        Assert.AreNotEqual(0, required.ExitCode, required.Output);
        StringAssert.Contains(required.Output, "error BAKE307");
    }

    [TestMethod]
    [RequiresDockerImage(RequiresDockerImageAttribute.RuntimeBase)]
    public async Task Command_tests_run_in_dockerd_and_a_failure_is_BAKE303()
    {
        var runtime = ImageReference.Parse(RequiresDockerImageAttribute.Image(RequiresDockerImageAttribute.RuntimeBase));
        s_workspace.AddBasePackage(new BaseImageDescriptor
        {
            Id = "Tests.Policy.Runtime",
            Version = "1.0.0",
            Image = new DescriptorImage { Registry = runtime.Registry, Repository = runtime.Repository, Digest = runtime.Digest!.Value.ToString() },
        });
        const string policy = """
            schemaVersion: 2.0.0
            commandTests:
              - name: app runs
                command: dotnet
                args: ['/app/cmdtests.dll']
                expectedOutput: ['hello from cmdtests']
              - name: setup then check
                setup: [['touch', '/tmp/marker']]
                command: ls
                args: ['/tmp/marker']
                expectedOutput: ['/tmp/marker']
            """;
        var dir = s_workspace.CreateProject("cmdtests", BakeryWorkspace.BaseReference("Tests.Policy.Runtime", "1.0.0") +
            "\n  <ItemGroup><BakeryVerify Include=\"policy.yaml\" /></ItemGroup>");
        File.WriteAllText(Path.Combine(dir, "policy.yaml"), policy);
        var passing = s_workspace.Bake(dir, "BakeryBuildId=1", $"ContainerRegistry={s_registry.Address}", "BakeryRunCommandTests=true");
        Assert.AreEqual(0, passing.ExitCode, passing.Output);
        StringAssert.Contains(passing.Output, "Ran 2 command test(s): 0 failed");

        File.WriteAllText(Path.Combine(dir, "policy.yaml"), policy.Replace("hello from cmdtests", "goodbye"));
        var failing = s_workspace.Bake(dir, "BakeryBuildId=2", $"ContainerRegistry={s_registry.Address}", "BakeryRunCommandTests=true");
        Assert.AreNotEqual(0, failing.ExitCode, failing.Output);
        StringAssert.Contains(failing.Output, "error BAKE303");
        StringAssert.Contains(failing.Output, "output does not match /goodbye/");
        CollectionAssert.DoesNotContain((await Tags("tests/cmdtests")).ToList(), "1.0.0-build.2");
    }

    [TestMethod]
    public async Task Planted_secret_fails_with_BAKE302_redacted_and_nothing_pushed_unless_allowlisted()
    {
        var dir = App("leaky", "schemaVersion: 2.0.0\n", extra: """
              <ItemGroup><BakeryLayer Include="appsettings.Production.json" Destination="/app/" /></ItemGroup>
            """);
        var secret = string.Concat("q8#Lm2!v", "Z9xR4tK");
        File.WriteAllText(Path.Combine(dir, "appsettings.Production.json"), $$"""{ "Db": { "Password": "{{secret}}" } }""");

        var result = s_workspace.Bake(dir, "BakeryBuildId=1");
        Assert.AreNotEqual(0, result.ExitCode, result.Output);
        StringAssert.Contains(result.Output, "error BAKE302");
        StringAssert.Contains(result.Output, $"/app/appsettings.Production.json:1 (config-secret: 15 chars, sha256 {Bakery.Core.Secrets.SecretRedaction.Hash(secret)})");
        Assert.DoesNotContain(secret[..4], result.Output, "nothing of the secret is printed, not even its first characters");
        using (var report = JsonDocument.Parse(File.ReadAllText(Path.Combine(dir, "obj", "Release", "net10.0", "bakery", "bakery-report.json"))))
        {
            var secrets = report.RootElement.GetProperty("secrets");
            Assert.AreEqual(1, secrets.GetArrayLength());
            Assert.AreEqual("/app/appsettings.Production.json", secrets[0].GetProperty("file").GetString());
        }
        using (var client = new RegistryClient(s_registry.Address))
            Assert.IsEmpty(await client.ListTagsAsync("tests/leaky"));

        File.WriteAllText(Path.Combine(dir, "secrets.allow"), "/app/appsettings.Production.json config-secret local test database, rotated per run\n");
        var allowed = s_workspace.Bake(dir, "BakeryBuildId=2", $"BakerySecretAllowlist={Path.Combine(dir, "secrets.allow")}");
        Assert.AreEqual(0, allowed.ExitCode, allowed.Output);
        StringAssert.Contains(allowed.Output, "local test database, rotated per run");

        // A connection string in a ContainerEnvironmentVariable is as leaked as one in a file: the image config is scanned too.
        var password = string.Concat("Vv3!k", "Qz8#pL2");
        var leakyEnv = App("leaky-env", "schemaVersion: 2.0.0\n", extra: $"""
              <ItemGroup><ContainerEnvironmentVariable Include="ConnectionStrings__Orders" Value="Server=db;User Id=app;Password={password};" /></ItemGroup>
            """);
        var env = s_workspace.Bake(leakyEnv, "BakeryBuildId=1");
        Assert.AreNotEqual(0, env.ExitCode, env.Output);
        StringAssert.Contains(env.Output, "error BAKE302");
        StringAssert.Contains(env.Output, "config:Env[ConnectionStrings__Orders] (connection-string-password: 12 chars");
        Assert.DoesNotContain(password, env.Output);
        using (var client = new RegistryClient(s_registry.Address))
            Assert.IsEmpty(await client.ListTagsAsync("tests/leaky-env"));
    }

    [TestMethod]
    public async Task Root_user_is_BAKE304_unless_a_reason_is_given()
    {
        var rootImage = await TestImages.PushBaseAsync(s_registry.Address, "policy/root", "root", editConfig: c => ((System.Text.Json.Nodes.JsonObject)c["config"]!).Remove("User"));
        s_workspace.AddBasePackage(BasePackageWriter.Descriptor("Tests.Policy.Root", "1.0.0", rootImage, expires: DateTimeOffset.UtcNow.AddYears(1)));
        var dir = s_workspace.CreateProject("rooted", BakeryWorkspace.BaseReference("Tests.Policy.Root", "1.0.0"));
        var refused = s_workspace.Bake(dir, "BakeryBuildId=1");
        Assert.AreNotEqual(0, refused.ExitCode, refused.Output);
        StringAssert.Contains(refused.Output, "error BAKE304");
        var allowed = s_workspace.Bake(dir, "BakeryBuildId=2", "BakeryAllowRootUser=binds port 80 in the legacy network");
        Assert.AreEqual(0, allowed.ExitCode, allowed.Output);
        StringAssert.Contains(allowed.Output, "warning BAKE304");
        var asUser = s_workspace.Bake(dir, "BakeryBuildId=3", "ContainerUser=1000");
        Assert.AreEqual(0, asUser.ExitCode, asUser.Output);
    }

    [TestMethod]
    public void Required_labels_are_built_in_policies_own_ones_BAKE301_inherited_ones_BAKE305()
    {
        var inherited = s_workspace.CreateProject("nolabel", BakeryWorkspace.BaseReference(LabelBase, "1.0.0"));
        var failing = s_workspace.Bake(inherited, "BakeryBuildId=1");
        Assert.AreNotEqual(0, failing.ExitCode, failing.Output);
        StringAssert.Contains(failing.Output, "error BAKE305");
        StringAssert.Contains(failing.Output, "Tests.Global.Bakery/built-in policies › label org.example.cost-centre: label org.example.cost-centre is missing or empty");

        var labelled = s_workspace.CreateProject("labelled", BakeryWorkspace.BaseReference(LabelBase, "1.0.0") + """
              <ItemGroup>
                <ContainerLabel Include="org.example.cost-centre" Value="cc-42" />
                <BakeryRequiredLabel Include="org.example.service" />
              </ItemGroup>
            """);
        var own = s_workspace.Bake(labelled, "BakeryBuildId=2");
        Assert.AreNotEqual(0, own.ExitCode, own.Output);
        StringAssert.Contains(own.Output, "error BAKE301");
        StringAssert.Contains(own.Output, "label org.example.service is missing");

        File.WriteAllText(Path.Combine(labelled, "labelled.csproj"), File.ReadAllText(Path.Combine(labelled, "labelled.csproj"))
            .Replace("<BakeryRequiredLabel Include=\"org.example.service\" />", "<BakeryRequiredLabel Include=\"org.example.service\" /><ContainerLabel Include=\"org.example.service\" Value=\"web\" />"));
        var passing = s_workspace.Bake(labelled, "BakeryBuildId=3");
        Assert.AreEqual(0, passing.ExitCode, passing.Output);
        using var report = JsonDocument.Parse(File.ReadAllText(Path.Combine(labelled, "obj", "Release", "net10.0", "bakery", "bakery-report.json")));
        var policies = report.RootElement.GetProperty("checks").EnumerateArray().Where(c => c.GetProperty("suite").GetString() == "policy").ToList();
        CollectionAssert.AreEquivalent(new[] { "base image pinned by digest", "label org.example.service", "label org.example.cost-centre" },
            policies.Select(c => c.GetProperty("name").GetString()).ToArray());
        Assert.IsTrue(policies.All(c => c.GetProperty("passed").GetBoolean()));
    }
}
