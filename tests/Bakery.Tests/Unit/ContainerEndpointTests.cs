using System.Security.Cryptography;
using System.Text;
using Bakery.Core;
using Bakery.Core.Containers;

namespace Bakery.Tests.Unit;

/// <summary>Which engine endpoint RUN steps and command tests use, from variables and docker's configuration (given, not read from this machine).</summary>
[TestClass]
public sealed class ContainerEndpointTests
{
    private static ContainerEndpoint Resolve(Dictionary<string, string> variables, Dictionary<string, string>? files = null, bool root = true) =>
        ContainerEndpoint.Resolve(new ContainerEndpoint.HostFacts(
            name => variables.GetValueOrDefault(name),
            path => files?.ContainsKey(path) == true,
            path => files?.GetValueOrDefault(path),
            "/home/dev",
            root));

    private static string ContextMeta(string name) =>
        $"/home/dev/.docker/contexts/meta/{Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(name)))}/meta.json";

    [TestMethod]
    public void Docker_host_wins_then_the_current_context_then_the_default_socket()
    {
        Assert.AreEqual("unix:///var/run/docker.sock", Resolve([]).Uri.ToString());
        Assert.AreEqual(ContainerEngineKind.Docker, Resolve([]).Kind);

        var explicitHost = Resolve(new() { ["DOCKER_HOST"] = "unix:///tmp/other.sock", ["DOCKER_CONTEXT"] = "ci" });
        Assert.AreEqual("unix:///tmp/other.sock", explicitHost.Uri.ToString());
        Assert.AreEqual("DOCKER_HOST", explicitHost.Source);

        var files = new Dictionary<string, string>
        {
            ["/home/dev/.docker/config.json"] = """{ "currentContext": "colima" }""",
            [ContextMeta("colima")] = """{ "Name": "colima", "Endpoints": { "docker": { "Host": "unix:///home/dev/.colima/docker.sock" } } }""",
        };
        var fromConfig = Resolve([], files);
        Assert.AreEqual("unix:///home/dev/.colima/docker.sock", fromConfig.Uri.ToString());
        Assert.AreEqual("docker context 'colima'", fromConfig.Source);

        Assert.AreEqual("unix:///var/run/docker.sock", Resolve(new() { ["DOCKER_CONTEXT"] = "default" }, files).Uri.ToString(), "DOCKER_CONTEXT overrides currentContext");
        var missing = Resolve(new() { ["DOCKER_CONTEXT"] = "gone" }, files);
        StringAssert.Contains(missing.Problem, "docker context 'gone' has no docker endpoint");
    }

    [TestMethod]
    public void Docker_config_folder_comes_from_DOCKER_CONFIG()
    {
        var meta = $"/etc/ci-docker/contexts/meta/{Convert.ToHexStringLower(SHA256.HashData("remote"u8))}/meta.json";
        var endpoint = Resolve(new() { ["DOCKER_CONFIG"] = "/etc/ci-docker" }, new()
        {
            ["/etc/ci-docker/config.json"] = """{ "currentContext": "remote" }""",
            [meta] = """{ "Endpoints": { "docker": { "Host": "tcp://127.0.0.1:2375" } } }""",
        });
        Assert.AreEqual("tcp://127.0.0.1:2375/", endpoint.Uri.ToString());
        Assert.IsNull(endpoint.Problem);
    }

    [TestMethod]
    public void Podman_uses_its_own_variable_then_docker_host_then_the_rootless_or_rootful_socket()
    {
        var podman = new Dictionary<string, string> { [ContainerEndpoint.EngineVariable] = "podman" };
        Assert.AreEqual("unix:///run/podman/podman.sock", Resolve(podman).Uri.ToString());
        Assert.AreEqual(ContainerEngineKind.Podman, Resolve(podman).Kind);

        var rootless = new Dictionary<string, string>(podman) { ["XDG_RUNTIME_DIR"] = "/run/user/1000" };
        Assert.AreEqual("unix:///run/user/1000/podman/podman.sock", Resolve(rootless, root: false).Uri.ToString());
        Assert.AreEqual("unix:///run/podman/podman.sock", Resolve(rootless, root: true).Uri.ToString(), "root without a rootless socket uses the rootful one");
        Assert.AreEqual("unix:///run/user/0/podman/podman.sock",
            Resolve(new(podman) { ["XDG_RUNTIME_DIR"] = "/run/user/0" }, new() { ["/run/user/0/podman/podman.sock"] = "" }, root: true).Uri.ToString(),
            "a rootless socket that exists is used");

        Assert.AreEqual("unix:///tmp/podman.sock", Resolve(new(podman) { ["DOCKER_HOST"] = "unix:///tmp/podman.sock" }).Uri.ToString());
        Assert.AreEqual("unix:///tmp/mine.sock", Resolve(new(podman) { ["DOCKER_HOST"] = "unix:///tmp/podman.sock", ["CONTAINER_HOST"] = "unix:///tmp/mine.sock" }).Uri.ToString());
        Assert.AreEqual(ContainerEngineKind.Docker, Resolve(new() { [ContainerEndpoint.EngineVariable] = "Docker" }).Kind);
    }

    [TestMethod]
    public void Endpoints_Bakery_cannot_speak_are_a_problem_and_an_unknown_engine_is_BAKE502()
    {
        StringAssert.Contains(Resolve(new() { ["DOCKER_HOST"] = "ssh://builder@build-host" }).Problem, "'ssh://'");
        StringAssert.Contains(Resolve(new() { ["DOCKER_HOST"] = "not a uri" }).Problem, "not an endpoint URI");
        var error = Assert.ThrowsExactly<BakeryException>(() => Resolve(new() { [ContainerEndpoint.EngineVariable] = "containerd" }));
        Assert.AreEqual("BAKE502", error.Code);
        StringAssert.Contains(error.Message, "BAKERY_CONTAINER_ENGINE");
    }
}
