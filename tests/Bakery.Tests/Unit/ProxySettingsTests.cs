using Bakery.Oci.Registry;

namespace Bakery.Tests.Unit;

/// <summary>HTTPS_PROXY / HTTP_PROXY / NO_PROXY as HttpClient's default proxy reads them, with loopback always direct.</summary>
[TestClass]
public sealed class ProxySettingsTests
{
    private static EnvironmentProxy With(params (string Name, string Value)[] variables) =>
        new(variables.ToDictionary(v => v.Name, v => (string?)v.Value));

    [TestMethod]
    public void HTTPS_and_HTTP_requests_use_their_own_variable_and_lower_case_wins()
    {
        var proxy = With(("HTTPS_PROXY", "http://upper:3128"), ("https_proxy", "http://lower:3128"), ("HTTP_PROXY", "plain:8080"));
        Assert.AreEqual(new Uri("http://lower:3128/"), proxy.GetProxy(new Uri("https://registry.corp.example/v2/")));
        Assert.AreEqual(new Uri("http://plain:8080/"), proxy.GetProxy(new Uri("http://registry.corp.example/v2/")), "a proxy without a scheme is http://");
        Assert.AreEqual("http://lower:3128 (from https_proxy)", proxy.Describe(new Uri("https://registry.corp.example/v2/")));
    }

    [TestMethod]
    public void ALL_PROXY_covers_both_and_nothing_set_means_direct()
    {
        var all = With(("ALL_PROXY", "http://everything:3128"));
        Assert.AreEqual(new Uri("http://everything:3128/"), all.GetProxy(new Uri("https://r.example/")));
        Assert.AreEqual(new Uri("http://everything:3128/"), all.GetProxy(new Uri("http://r.example/")));
        var none = With();
        Assert.IsNull(none.GetProxy(new Uri("https://r.example/")));
        Assert.IsTrue(none.IsBypassed(new Uri("https://r.example/")));
        Assert.IsNull(none.Describe(new Uri("https://r.example/")));
    }

    [TestMethod]
    public void Upper_case_HTTP_PROXY_is_ignored_in_a_CGI_request_as_dotnet_does()
    {
        var proxy = With(("HTTP_PROXY", "http://injected:1"), ("REQUEST_METHOD", "GET"));
        Assert.IsNull(proxy.GetProxy(new Uri("http://r.example/")));
    }

    [TestMethod]
    [DataRow("localhost")]
    [DataRow("127.0.0.1")]
    [DataRow("127.1.2.3")]
    [DataRow("[::1]")]
    [DataRow("registry.localhost")]
    public void Loopback_is_always_direct(string host)
    {
        var proxy = With(("HTTPS_PROXY", "http://proxy:3128"), ("HTTP_PROXY", "http://proxy:3128"));
        Assert.IsNull(proxy.GetProxy(new Uri($"https://{host}:5000/v2/")));
        Assert.IsNull(proxy.GetProxy(new Uri($"http://{host}:5000/v2/")));
    }

    [TestMethod]
    [DataRow("corp.example", "registry.corp.example", 443, true)]
    [DataRow("corp.example", "corp.example", 443, true)]
    [DataRow("corp.example", "notcorp.example", 443, false)]
    [DataRow(".corp.example", "registry.corp.example", 443, true)]
    [DataRow(".corp.example", "corp.example", 443, true)]
    [DataRow("*.corp.example", "a.b.corp.example", 443, true)]
    [DataRow("registry.corp.example:5000", "registry.corp.example", 5000, true)]
    [DataRow("registry.corp.example:5000", "registry.corp.example", 443, false)]
    [DataRow("10.0.0.0/8", "10.1.2.3", 443, true)]
    [DataRow("10.0.0.0/8", "11.1.2.3", 443, false)]
    [DataRow("192.0.2.7", "192.0.2.7", 443, true)]
    [DataRow("[2001:db8::1]:443", "[2001:db8::1]", 443, true)]
    [DataRow("*", "anything.example", 443, true)]
    [DataRow("other.example, corp.example", "x.corp.example", 443, true)]
    [DataRow("other.example corp.example", "x.corp.example", 443, true)]
    [DataRow("CORP.EXAMPLE", "Registry.Corp.Example", 443, true)]
    [DataRow("", "registry.corp.example", 443, false)]
    public void NO_PROXY_matches_domains_suffixes_ports_addresses_and_networks(string noProxy, string host, int port, bool direct)
    {
        Assert.AreEqual(direct, NoProxyList.Parse(noProxy).Matches(host, port));
        var proxy = With(("HTTPS_PROXY", "http://proxy:3128"), ("NO_PROXY", noProxy));
        Assert.AreEqual(direct, proxy.GetProxy(new Uri($"https://{host}:{port}/v2/")) is null, $"{noProxy} for {host}:{port}");
    }

    [TestMethod]
    public void Lower_case_no_proxy_wins_over_upper_case()
    {
        var proxy = With(("HTTPS_PROXY", "http://proxy:3128"), ("no_proxy", "a.example"), ("NO_PROXY", "b.example"));
        Assert.IsNull(proxy.GetProxy(new Uri("https://a.example/")));
        Assert.IsNotNull(proxy.GetProxy(new Uri("https://b.example/")));
        Assert.AreEqual("no_proxy", proxy.NoProxySource);
    }

    [TestMethod]
    public void Credentials_in_the_proxy_URL_answer_its_407_and_are_not_shown()
    {
        var proxy = With(("HTTPS_PROXY", "http://build%40corp:s3cr%3At@proxy.corp.example:3128"));
        var credential = proxy.Credentials!.GetCredential(new Uri("http://proxy.corp.example:3128"), "Basic");
        Assert.AreEqual("build@corp", credential?.UserName);
        Assert.AreEqual("s3cr:t", credential?.Password);
        Assert.AreEqual("http://proxy.corp.example:3128 (from HTTPS_PROXY)", proxy.Describe(new Uri("https://r.example/")));
    }

    [TestMethod]
    public void The_platform_default_applies_only_when_no_variable_is_set_and_never_to_loopback()
    {
        var platform = new System.Net.WebProxy("http://system-proxy:8080");
        var fromPlatform = new EnvironmentProxy(new Dictionary<string, string?>(), platform);
        Assert.AreEqual(new Uri("http://system-proxy:8080/"), fromPlatform.GetProxy(new Uri("https://r.example/")));
        Assert.IsNull(fromPlatform.GetProxy(new Uri("https://localhost:5000/")));
        var fromEnvironment = new EnvironmentProxy(new Dictionary<string, string?> { ["HTTPS_PROXY"] = "http://env:1" }, platform);
        Assert.AreEqual(new Uri("http://env:1/"), fromEnvironment.GetProxy(new Uri("https://r.example/")));
    }
}
