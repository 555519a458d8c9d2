using System.Globalization;
using Bakery.Core;
using Bakery.Core.Containers;
using Bakery.Core.Verification;
using Bakery.Tests.Infrastructure;

namespace Bakery.Tests.Integration;

/// <summary>
/// commandTests with globalEnvVars, setup, teardown and every containerRunOptions key, in a real
/// dockerd against the debootstrapped upstream image; the first ones are container-structure-test's
/// own tests/amd64/ubuntu_22_04_containeropts_*.yaml.
/// </summary>
[TestClass]
[TestCategory("Integration")]
[TestCategory("Docker")]
public sealed class CommandTestOptionsTests
{
    private string _dir = null!;

    [TestInitialize]
    public void Create() => _dir = TestPaths.NewTempDirectory("cmdopts");

    [TestCleanup]
    public void Delete() => Directory.Delete(_dir, recursive: true);

    private static string Image => RequiresDockerImageAttribute.Image(RequiresDockerImageAttribute.Upstream);

    private async Task<(Dictionary<string, CheckResult> Results, RecordingLog Log)> Run(string yaml, bool allowPrivileged = false)
    {
        var policy = Path.Combine(_dir, $"policy-{Guid.NewGuid():N}.yaml");
        File.WriteAllText(policy, "schemaVersion: '2.0.0'\n" + yaml);
        var plan = VerificationPlan.Create([policy], null, null, "true", allowPrivileged);
        var log = new RecordingLog();
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(5));
        var results = await new ImageVerifier(log).RunCommandTestsAsync(plan, Image, timeout.Token);
        return (results.ToDictionary(r => r.Name), log);
    }

    private static void Passed(Dictionary<string, CheckResult> results, string name) =>
        Assert.IsTrue(results[name].Passed, $"{name}: {results[name].Failure}");

    [TestMethod]
    [RequiresDockerImage(RequiresDockerImageAttribute.Upstream)]
    public async Task CST_containeropts_envVars_pass_variables_through_from_the_environment()
    {
        string?[] saved = [Environment.GetEnvironmentVariable("FOO"), Environment.GetEnvironmentVariable("BAR")];
        Environment.SetEnvironmentVariable("FOO", "keepitsecret!");
        Environment.SetEnvironmentVariable("BAR", "keepitsafe!");
        try
        {
            var (results, _) = await Run("""
                commandTests:
                - name: "Test envVars containerRunOptions"
                  command: "printenv"
                  expectedOutput: [".*(FOO|BAR)=keepit(secret|safe)!.*"]
                - name: both
                  command: printenv
                  expectedOutput: ['FOO=keepitsecret!', 'BAR=keepitsafe!']
                containerRunOptions:
                  envVars:
                    - FOO
                    - BAR
                """);
            Passed(results, "Test envVars containerRunOptions");
            Passed(results, "both");
        }
        finally
        {
            Environment.SetEnvironmentVariable("FOO", saved[0]);
            Environment.SetEnvironmentVariable("BAR", saved[1]);
        }
    }

    [TestMethod]
    [RequiresDockerImage(RequiresDockerImageAttribute.Upstream)]
    public async Task CST_containeropts_envFile_and_user()
    {
        File.WriteAllText(Path.Combine(_dir, "envfile"), "FOO=keepitsecret!\nBAR=keepitsafe!");
        var (envFile, _) = await Run("""
            commandTests:
            - name: "Test envFile containerRunOptions"
              command: "printenv"
              expectedOutput: [".*(FOO|BAR)=keepit(secret|safe)!.*"]
            containerRunOptions:
              envFile: envfile
            """);
        Passed(envFile, "Test envFile containerRunOptions");

        var (user, _) = await Run("""
            commandTests:
            - name: 'id'
              command: 'sh'
              args: ['-c', 'id -u; id -g']
              expectedOutput: ['^1001\n1001\n$']
            - name: 'setup runs as that user too'
              setup: [['sh', '-c', 'id -u > /tmp/setup-user']]
              command: 'cat'
              args: ['/tmp/setup-user']
              expectedOutput: ['1001']
            containerRunOptions:
              user: '1001:1001'
            """);
        Passed(user, "id");
        Passed(user, "setup runs as that user too");
    }

    [TestMethod]
    [RequiresDockerImage(RequiresDockerImageAttribute.Upstream)]
    public async Task CST_containeropts_bind_mounts_and_capabilities_run_only_when_allowed()
    {
        var shared = Path.Combine(_dir, "test");
        Directory.CreateDirectory(shared);
        File.WriteAllText(Path.Combine(shared, "from-host.txt"), "mounted");
        var yaml = $"""
            commandTests:
            - name: "Test bindMounts containerRunOptions"
              command: "test"
              args:
                - "-d"
                - "/tmp/test"
              exitCode: 0
            - name: "the host file"
              command: cat
              args: [/tmp/test/from-host.txt]
              expectedOutput: ['^mounted$']
            containerRunOptions:
              capabilities:
                - "sys_admin"
              bindMounts:
                - "{shared}:/tmp/test"
            """;
        var refused = await Assert.ThrowsExactlyAsync<BakeryException>(() => Run(yaml));
        Assert.AreEqual("BAKE300", refused.Code);
        StringAssert.Contains(refused.Message, "BakeryAllowPrivilegedCommandTests=true");

        var (results, log) = await Run(yaml, allowPrivileged: true);
        Passed(results, "Test bindMounts containerRunOptions");
        Passed(results, "the host file");
        Assert.IsTrue(log.Warnings.Any(w => w.Code == "BAKE339"), "a run with host folders is announced");
    }

    [TestMethod]
    [RequiresDockerImage(RequiresDockerImageAttribute.Upstream)]
    public async Task CST_containeropts_privileged_reaches_the_engine()
    {
        const string yaml = """
            commandTests:
            - name: "privileged"
              command: grep
              args: ['CapEff', '/proc/self/status']
            containerRunOptions:
              privileged: true
            """;
        Assert.AreEqual("BAKE300", (await Assert.ThrowsExactlyAsync<BakeryException>(() => Run(yaml))).Code);
        var (results, log) = await Run(yaml.Replace("args: ['CapEff', '/proc/self/status']", $"args: ['CapEff', '/proc/self/status']\n  expectedOutput: ['{HostCapabilities("CapBnd")}']"), allowPrivileged: true);
        Assert.IsTrue(log.Warnings.Any(w => w.Code == "BAKE339" && w.Message.Contains("privileged", StringComparison.Ordinal)));
        var check = results["privileged"];
        // Where the engine itself cannot grant every capability (dockerd in a container without
        // CAP_SYS_RESOURCE, as here), the request still reached it: its refusal is the check's failure.
        if (!check.Passed && check.Failure!.Contains("unable to apply caps", StringComparison.Ordinal))
            Assert.Inconclusive($"Skipped: the engine refuses privileged containers on this machine ({check.Failure}); the request reached it, as the failure shows.");
        Passed(results, "privileged");
    }

    [TestMethod]
    [RequiresDockerImage(RequiresDockerImageAttribute.Upstream)]
    public async Task Capabilities_are_added_to_the_default_set()
    {
        var defaults = await DefaultCapabilitiesAsync();
        const long netAdmin = 1L << 12;
        Assert.AreEqual(0L, defaults & netAdmin, "NET_ADMIN is not in the engine's default set");
        var (results, _) = await Run($"""
            commandTests:
            - name: with NET_ADMIN
              command: grep
              args: ['CapEff', '/proc/self/status']
              expectedOutput: ['CapEff:\s+{defaults | netAdmin:x16}\s*$']
            containerRunOptions:
              capabilities: [NET_ADMIN]
            """);
        Passed(results, "with NET_ADMIN");
    }

    [TestMethod]
    [RequiresDockerImage(RequiresDockerImageAttribute.Upstream)]
    public async Task Global_variables_setup_teardown_and_expansion_apply_as_in_CST()
    {
        var (results, log) = await Run("""
            globalEnvVars:
              - key: PATH
                value: /opt/tools/bin:$PATH
              - key: STAGE
                value: verify
            commandTests:
            - name: global variables reach the container, expanded
              command: printenv
              args: [PATH]
              expectedOutput: ['^/opt/tools/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin\n$']
            - name: args expand from the image's environment before the shell sees them
              command: sh
              args: ['-c', 'echo "$STAGE/$UNSET_IN_IMAGE/x"']
              expectedOutput: ['^verify//x\n$']
            - name: test variables win over global ones
              envVars:
                - key: STAGE
                  value: test
              command: printenv
              args: [STAGE]
              expectedOutput: ['^test\n$']
            - name: setup persists for the command, teardown runs after
              setup: [['sh', '-c', 'echo prepared > /tmp/state'], ['sh', '-c', 'echo again >> /tmp/state']]
              teardown: [['sh', '-c', 'cat /tmp/state && exit 4']]
              command: cat
              args: [/tmp/state]
              expectedOutput: ['^prepared\nagain\n$']
            - name: exit codes and error output
              command: sh
              args: ['-c', 'echo broken >&2; exit 3']
              exitCode: 3
              expectedError: ['broken']
              excludedOutput: ['.+']
            - name: failing twin
              command: sh
              args: ['-c', 'echo out; echo err >&2']
              expectedOutput: ['^nothing$']
              excludedError: ['err']
            """);
        Passed(results, "global variables reach the container, expanded");
        Passed(results, "args expand from the image's environment before the shell sees them");
        Passed(results, "test variables win over global ones");
        Passed(results, "setup persists for the command, teardown runs after");
        Passed(results, "exit codes and error output");
        var twin = results["failing twin"];
        Assert.IsFalse(twin.Passed);
        StringAssert.Contains(twin.Failure, "output does not match /^nothing$/");
        StringAssert.Contains(twin.Failure, "error output matches excluded /err/");
        var teardown = log.Warnings.Single(w => w.Code == "BAKE337");
        StringAssert.Contains(teardown.Message, "setup persists for the command, teardown runs after");
        StringAssert.Contains(teardown.Message, "exited with code 4");
    }

    [TestMethod]
    [RequiresDockerImage(RequiresDockerImageAttribute.Upstream)]
    public async Task A_tty_merges_error_output_and_an_engine_refusal_fails_only_that_test()
    {
        var (tty, _) = await Run("""
            commandTests:
            - name: on a tty
              command: sh
              args: ['-c', 'echo on-stderr >&2']
              expectedOutput: ['on-stderr']
            containerRunOptions:
              allocateTty: true
            """);
        Passed(tty, "on a tty");

        var (results, _) = await Run("""
            commandTests:
            - name: no such program
              command: /no/such/program
            - name: still runs
              command: 'true'
            """);
        Assert.IsFalse(results["no such program"].Passed);
        StringAssert.Contains(results["no such program"].Failure, "BAKE336");
        Passed(results, "still runs");
    }

    [TestMethod]
    [RequiresDockerImage(RequiresDockerImageAttribute.RuntimeBase)]
    public async Task BakeryAllowPrivilegedCommandTests_lets_a_bake_run_bind_mounts()
    {
        using var registry = RegistryProcess.Start();
        using var workspace = new BakeryWorkspace("privileged");
        var runtime = Oci.Model.ImageReference.Parse(RequiresDockerImageAttribute.Image(RequiresDockerImageAttribute.RuntimeBase));
        workspace.AddBasePackage(new Core.Descriptors.BaseImageDescriptor
        {
            Id = "Tests.Privileged.Runtime",
            Version = "1.0.0",
            Image = new Core.Descriptors.DescriptorImage { Registry = runtime.Registry, Repository = runtime.Repository, Digest = runtime.Digest!.Value.ToString() },
        });
        var dir = workspace.CreateProject("mounts", BakeryWorkspace.BaseReference("Tests.Privileged.Runtime", "1.0.0") +
            "\n  <ItemGroup><BakeryVerify Include=\"policy.yaml\" /></ItemGroup>");
        var shared = Path.Combine(_dir, "shared");
        Directory.CreateDirectory(shared);
        File.WriteAllText(Path.Combine(shared, "settings.txt"), "from the host");
        File.WriteAllText(Path.Combine(dir, "policy.yaml"), $"""
            schemaVersion: 2.0.0
            commandTests:
              - name: reads the mounted folder
                command: cat
                args: [/mnt/shared/settings.txt]
                expectedOutput: ['from the host']
            containerRunOptions:
              bindMounts: ['{shared}:/mnt/shared:ro']
            """);

        var refused = workspace.Bake(dir, "BakeryBuildId=1", $"ContainerRegistry={registry.Address}", "BakeryRunCommandTests=true");
        Assert.AreNotEqual(0, refused.ExitCode, refused.Output);
        StringAssert.Contains(refused.Output, "error BAKE300");
        StringAssert.Contains(refused.Output, "BakeryAllowPrivilegedCommandTests=true");
        using (var client = new Oci.Registry.RegistryClient(registry.Address))
            Assert.IsEmpty(await client.ListTagsAsync("tests/mounts"), "refused before anything was pushed");

        var allowed = workspace.Bake(dir, "BakeryBuildId=2", $"ContainerRegistry={registry.Address}", "BakeryRunCommandTests=true", "BakeryAllowPrivilegedCommandTests=true");
        Assert.AreEqual(0, allowed.ExitCode, allowed.Output);
        StringAssert.Contains(allowed.Output, "warning BAKE339");
        StringAssert.Contains(allowed.Output, "Ran 1 command test(s): 0 failed");
    }

    /// <summary>The engine's default effective capabilities, read in a container of the image.</summary>
    private static async Task<long> DefaultCapabilitiesAsync()
    {
        using var runtime = ContainerRuntimes.Connect();
        Assert.IsNull(await runtime.UnavailableReasonAsync(CancellationToken.None));
        await runtime.PullAsync(Image, CancellationToken.None);
        await using var run = await ContainerRun.StartAsync(runtime, new ContainerSpec(Image, ["grep"], ["CapEff", "/proc/self/status"]), CancellationToken.None);
        Assert.AreEqual(0L, await run.WaitAsync(TimeSpan.FromMinutes(1), CancellationToken.None));
        var line = (await run.OutputAsync(CancellationToken.None)).Stdout.Trim();
        return long.Parse(line.Split('\t', ' ').Last(), NumberStyles.HexNumber, CultureInfo.InvariantCulture);
    }

    /// <summary>A capability line of this process, as a privileged container gets the host's bounding set.</summary>
    private static string HostCapabilities(string field) =>
        File.ReadLines("/proc/self/status").Single(l => l.StartsWith(field + ":", StringComparison.Ordinal)).Split('\t', ' ').Last();
}
