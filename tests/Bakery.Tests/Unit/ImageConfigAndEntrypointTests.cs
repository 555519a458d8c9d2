using System.Text;
using System.Text.Json;
using Bakery.Core;
using Bakery.Core.Baking;
using Bakery.Oci.Model;

namespace Bakery.Tests.Unit;

[TestClass]
public sealed class ImageConfigAndEntrypointTests
{
    private const string BaseConfig = """
        {"architecture":"amd64","os":"linux","config":{"Env":["PATH=/usr/bin","KEEP=1"],"Entrypoint":["/init"],"Cmd":["serve"],"Healthcheck":{"Test":["CMD","true"]}},
         "rootfs":{"type":"layers","diff_ids":["sha256:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"]},
         "history":[{"created_by":"base"}],"vendor.extension":{"x":1}}
        """;

    [TestMethod]
    public void Edits_keep_fields_we_do_not_model()
    {
        var config = ImageConfig.Parse(Encoding.UTF8.GetBytes(BaseConfig));
        config.SetEnvironment([new("PATH", "/app:/usr/bin"), new("NEW", "2")]);
        config.AddLayer(Digest.Compute("layer"u8), "bakery: app", DateTimeOffset.UnixEpoch);
        config.SetLabels([new("b", "2"), new("a", "1")]);

        using var doc = JsonDocument.Parse(config.ToBytes());
        var root = doc.RootElement;
        Assert.AreEqual(1, root.GetProperty("vendor.extension").GetProperty("x").GetInt32());
        Assert.AreEqual("CMD", root.GetProperty("config").GetProperty("Healthcheck").GetProperty("Test")[0].GetString());
        CollectionAssert.AreEqual(new[] { "PATH=/app:/usr/bin", "KEEP=1", "NEW=2" },
            root.GetProperty("config").GetProperty("Env").EnumerateArray().Select(e => e.GetString()).ToArray());
        Assert.AreEqual(2, root.GetProperty("rootfs").GetProperty("diff_ids").GetArrayLength());
        Assert.AreEqual(2, root.GetProperty("history").GetArrayLength());
        CollectionAssert.AreEqual(new[] { "a", "b" }, root.GetProperty("config").GetProperty("Labels").EnumerateObject().Select(p => p.Name).ToArray(), "labels are sorted");
    }

    [TestMethod]
    public void Ports_default_to_tcp_and_are_sorted()
    {
        var config = ImageConfig.Parse("""{"config":{}}"""u8);
        config.AddExposedPorts(["9000/udp", "8080"]);
        CollectionAssert.AreEqual(new[] { "8080/tcp", "9000/udp" }, config.ExposedPorts.ToArray());
    }

    private static ContainerSettings App(string? instruction = null) => new()
    {
        AppCommand = ["dotnet", "/app/app.dll"],
        AppCommandArgs = ["--urls", "http://+:8080"],
        DefaultArgs = ["--verbose"],
        AppCommandInstruction = instruction,
    };

    [TestMethod]
    public void Base_without_entrypoint_gets_the_app_as_entrypoint()
    {
        var (entrypoint, cmd) = EntrypointResolver.Resolve(App(), [], ["bash"]);
        CollectionAssert.AreEqual(new[] { "dotnet", "/app/app.dll", "--urls", "http://+:8080" }, entrypoint!.ToArray());
        CollectionAssert.AreEqual(new[] { "--verbose" }, cmd!.ToArray());
    }

    [TestMethod]
    public void Base_with_entrypoint_gets_the_app_as_default_args()
    {
        var (entrypoint, cmd) = EntrypointResolver.Resolve(App(), ["/init"], []);
        CollectionAssert.AreEqual(new[] { "/init" }, entrypoint!.ToArray());
        CollectionAssert.AreEqual(new[] { "dotnet", "/app/app.dll", "--urls", "http://+:8080", "--verbose" }, cmd!.ToArray());
    }

    [TestMethod]
    public void Instruction_None_keeps_the_base_and_explicit_entrypoint_wins()
    {
        var (entrypoint, cmd) = EntrypointResolver.Resolve(App("None"), ["/init"], ["serve"]);
        CollectionAssert.AreEqual(new[] { "/init" }, entrypoint!.ToArray());
        CollectionAssert.AreEqual(new[] { "--verbose" }, cmd!.ToArray());

        var legacy = App() with { Entrypoint = ["/bin/app"], EntrypointArgs = ["run"] };
        var (e2, c2) = EntrypointResolver.Resolve(legacy, ["/init"], []);
        CollectionAssert.AreEqual(new[] { "/bin/app" }, e2!.ToArray());
        CollectionAssert.AreEqual(new[] { "run" }, c2!.ToArray());
    }

    [TestMethod]
    public void Unknown_instruction_is_BAKE502()
    {
        Assert.AreEqual("BAKE502", Assert.ThrowsExactly<BakeryException>(() => EntrypointResolver.Resolve(App("Sometimes"), [], [])).Code);
    }
}
