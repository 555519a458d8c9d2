using System.Net.Http.Headers;
using Bakery.Core;
using Bakery.Core.Descriptors;
using Bakery.Oci.Registry;

namespace Bakery.Tests.Unit;

[TestClass]
public sealed class RegistryLogicTests
{
    [TestMethod]
    public void Backoff_doubles_and_is_capped()
    {
        var policy = new RetryPolicy { InitialDelay = TimeSpan.FromMilliseconds(100), MaxDelay = TimeSpan.FromSeconds(1) };
        var now = DateTimeOffset.UtcNow;
        Assert.AreEqual(TimeSpan.FromMilliseconds(100), policy.DelayFor(1, null, now));
        Assert.AreEqual(TimeSpan.FromMilliseconds(400), policy.DelayFor(3, null, now));
        Assert.AreEqual(TimeSpan.FromSeconds(1), policy.DelayFor(10, null, now));
    }

    [TestMethod]
    public void Retry_After_in_seconds_or_as_a_date_is_honoured_up_to_the_cap()
    {
        var policy = new RetryPolicy { MaxDelay = TimeSpan.FromSeconds(20) };
        var now = new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);
        Assert.AreEqual(TimeSpan.FromSeconds(7), policy.DelayFor(1, new RetryConditionHeaderValue(TimeSpan.FromSeconds(7)), now));
        Assert.AreEqual(TimeSpan.FromSeconds(3), policy.DelayFor(1, new RetryConditionHeaderValue(now.AddSeconds(3)), now));
        Assert.AreEqual(TimeSpan.FromSeconds(20), policy.DelayFor(1, new RetryConditionHeaderValue(TimeSpan.FromHours(1)), now));
    }

    [TestMethod]
    public void Bearer_challenge_parameters_are_parsed_with_commas_inside_quotes()
    {
        var p = AuthChallenge.ParseParameters("""realm="https://auth.example/token",service="registry.example",scope="repository:a/b:pull,push" """);
        Assert.AreEqual("https://auth.example/token", p["realm"]);
        Assert.AreEqual("registry.example", p["service"]);
        Assert.AreEqual("repository:a/b:pull,push", p["scope"]);
    }

    [TestMethod]
    public void Environment_credentials_win_over_docker_config()
    {
        var credentials = new RegistryCredentials(new Dictionary<string, string?>
        {
            ["DOTNET_CONTAINER_REGISTRY_UNAME"] = "sdk-user",
            ["DOTNET_CONTAINER_REGISTRY_PWORD"] = "pw",
            ["DOCKER_CONFIG"] = "/nonexistent",
        });
        Assert.AreEqual(new RegistryCredential("sdk-user", "pw"), credentials.Find("any.registry"));
        Assert.IsNull(new RegistryCredentials(new Dictionary<string, string?> { ["DOCKER_CONFIG"] = "/nonexistent" }).Find("any.registry"));
    }

    [TestMethod]
    [DataRow("https://registry.example/v1/", "registry.example")]
    [DataRow("localhost:5000", "localhost:5000")]
    [DataRow("http://localhost:5000", "localhost:5000")]
    public void Docker_config_keys_are_matched_by_host(string key, string host) => Assert.AreEqual(host, RegistryCredentials.HostOf(key));

    [TestMethod]
    [DataRow("localhost:5000", true)]
    [DataRow("127.0.0.1:5000", true)]
    [DataRow("[::1]:5000", true)]
    [DataRow("registry.example", false)]
    public void Loopback_registries_use_plain_http(string registry, bool insecure) =>
        Assert.AreEqual(insecure, new RegistryClientOptions().IsInsecure(registry));

    [TestMethod]
    public void Base_selection_needs_exactly_one_trusted_base()
    {
        Assert.AreEqual("BAKE201", Assert.ThrowsExactly<BakeryException>(() => BaseImageSelector.Select([], null, false)).Code);
        var two = new[] { new BaseImageItem("A", "1", "/a.json"), new BaseImageItem("B", "1", "/b.json") };
        var several = Assert.ThrowsExactly<BakeryException>(() => BaseImageSelector.Select(two, null, false));
        Assert.AreEqual("BAKE202", several.Code);
        StringAssert.Contains(several.Message, "A 1, B 1");
        Assert.AreEqual("BAKE205", Assert.ThrowsExactly<BakeryException>(() => BaseImageSelector.Select([], "localhost:5000/x:1", false)).Code);
        var untrusted = BaseImageSelector.Select([], "localhost:5000/x:1", allowUntrusted: true);
        Assert.IsFalse(untrusted.IsTrusted);
        Assert.AreEqual("BAKE208", Assert.ThrowsExactly<BakeryException>(() => BaseImageSelector.Select([], "not a reference", true)).Code);
        Assert.AreEqual("BAKE208", Assert.ThrowsExactly<BakeryException>(() => BaseImageSelector.Select([], "localhost:5000/", true)).Code);
    }
}
