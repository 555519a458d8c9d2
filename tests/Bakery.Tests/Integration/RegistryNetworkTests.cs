using System.Net;
using Bakery.Oci.Model;
using Bakery.Oci.Registry;
using Bakery.Tests.Infrastructure;

namespace Bakery.Tests.Integration;

/// <summary>
/// The registry client in a company network: an HTTPS registry with a private CA (SSL_CERT_FILE,
/// SSL_CERT_DIR), insecure registries as the SDK means them, and a forward proxy (CONNECT for HTTPS,
/// absolute-form for HTTP) chosen by HTTPS_PROXY / HTTP_PROXY / NO_PROXY. The registries are real
/// Distribution processes reached under <c>.test</c> names that only the test's host map resolves
/// (to 127.0.0.1), so nothing leaves the machine.
/// </summary>
[TestClass]
[TestCategory("Integration")]
public sealed class RegistryNetworkTests
{
    private static string s_directory = null!;
    private static TestCertificateAuthority s_ca = null!;
    private static RegistryProcess s_tls = null!;
    private static RegistryProcess s_plain = null!;
    private static string s_caFile = null!;
    private string _work = null!;

    [ClassInitialize]
    public static void Initialize(TestContext _)
    {
        s_directory = TestPaths.NewTempDirectory("network");
        s_ca = TestCertificateAuthority.Create("Bakery test corporate CA");
        s_caFile = s_ca.WriteCertificatePem(s_directory, "corporate-ca.pem");
        using var certificate = s_ca.Issue(TestHosts.Registry, [TestHosts.Registry, TestHosts.Other, "localhost"], [IPAddress.Loopback]);
        s_tls = RegistryProcess.StartTls(TestCertificateAuthority.WriteKeyPair(certificate, s_directory, "registry"));
        s_plain = RegistryProcess.Start();
    }

    [ClassCleanup]
    public static void Cleanup()
    {
        s_tls?.Dispose();
        s_plain?.Dispose();
        s_ca?.Dispose();
        if (s_directory is not null) Directory.Delete(s_directory, recursive: true);
    }

    [TestInitialize]
    public void CreateWork() => _work = TestPaths.NewTempDirectory("network-client");

    [TestCleanup]
    public void DeleteWork() => Directory.Delete(_work, recursive: true);

    private static string TlsRegistry => s_tls.AddressAs(TestHosts.Registry);
    private static string PlainRegistry => s_plain.AddressAs(TestHosts.Other);

    private static RegistryClientOptions Options(Dictionary<string, string?>? environment = null) => new()
    {
        Credentials = RegistryCredentials.None,
        HostAddresses = TestHosts.Map,
        Proxy = new EnvironmentProxy(environment ?? []),
        Trust = CertificateTrust.FromEnvironment(environment ?? []),
        Retry = new RetryPolicy { MaxAttempts = 2, InitialDelay = TimeSpan.FromMilliseconds(20) },
    };

    private async Task<Digest> RoundTripAsync(RegistryClient client, string repository)
    {
        var bytes = new byte[4096];
        Random.Shared.NextBytes(bytes);
        var digest = Digest.Compute(bytes);
        var path = Path.Combine(_work, digest.Hex);
        await File.WriteAllBytesAsync(path, bytes);
        await client.UploadBlobAsync(repository, digest, path);
        CollectionAssert.AreEqual(bytes, await client.GetBlobAsync(repository, digest));
        return digest;
    }

    [TestMethod]
    public async Task An_HTTPS_registry_signed_by_a_private_CA_is_trusted_through_SSL_CERT_FILE()
    {
        using var client = new RegistryClient(TlsRegistry, Options(new() { ["SSL_CERT_FILE"] = s_caFile }));
        await RoundTripAsync(client, "tls/file");
    }

    [TestMethod]
    public async Task An_HTTPS_registry_signed_by_a_private_CA_is_trusted_through_SSL_CERT_DIR()
    {
        var dir = Path.Combine(_work, "certs");
        Directory.CreateDirectory(dir);
        File.Copy(s_caFile, Path.Combine(dir, "corporate.crt"));
        File.WriteAllText(Path.Combine(dir, "README"), "not a certificate");
        using var client = new RegistryClient(TlsRegistry, Options(new() { ["SSL_CERT_DIR"] = $"/nonexistent{Path.PathSeparator}{dir}" }));
        await RoundTripAsync(client, "tls/dir");
    }

    [TestMethod]
    public async Task Without_the_CA_the_registry_is_not_trusted_and_the_error_says_why_and_what_to_do()
    {
        using var client = new RegistryClient(TlsRegistry, Options(new() { ["SSL_CERT_FILE"] = Path.Combine(_work, "missing.pem") }));
        var error = await Assert.ThrowsExactlyAsync<RegistryException>(() => client.ManifestExistsAsync("tls/untrusted", "1.0"));

        Assert.AreEqual(RegistryFailure.Tls, error.Failure);
        StringAssert.Contains(error.Message, $"registry {TlsRegistry}");
        StringAssert.Contains(error.Message, "its certificate is not trusted");
        StringAssert.Contains(error.Message, "CN=registry.bakery.test");
        StringAssert.Contains(error.Message, "missing.pem, which does not exist");
        var bake = Core.Baking.RegistryErrors.WhilePushing(error, $"{TlsRegistry}/tls/untrusted");
        Assert.AreEqual("BAKE421", bake.Code);
        StringAssert.Contains(bake.Message, "SSL_CERT_FILE");
        StringAssert.Contains(bake.Message, "BakeryInsecureRegistries");
    }

    [TestMethod]
    public async Task An_insecure_registry_is_HTTPS_without_verification_or_else_plain_HTTP()
    {
        using (var unverified = new RegistryClient(TlsRegistry, Options() with { InsecureRegistries = [TlsRegistry] }))
            await RoundTripAsync(unverified, "insecure/tls");

        var details = new List<string>();
        using (var plain = new RegistryClient(PlainRegistry, Options() with { InsecureRegistries = [PlainRegistry], Detail = details.Add }))
            await RoundTripAsync(plain, "insecure/plain");
        Assert.IsTrue(details.Any(d => d.Contains("using plain HTTP", StringComparison.Ordinal)), string.Join("; ", details));

        using var notListed = new RegistryClient(PlainRegistry, Options());
        var error = await Assert.ThrowsExactlyAsync<RegistryException>(() => notListed.ManifestExistsAsync("insecure/plain", "1.0"));
        Assert.AreEqual(RegistryFailure.Tls, error.Failure, "a registry not listed as insecure is HTTPS only");
    }

    [TestMethod]
    public async Task HTTPS_goes_through_the_proxy_as_a_CONNECT_tunnel_and_NO_PROXY_goes_direct()
    {
        using var proxy = ForwardProxy.Start(TestHosts.Map);
        using (var client = new RegistryClient(TlsRegistry, Options(new() { ["HTTPS_PROXY"] = proxy.Url, ["SSL_CERT_FILE"] = s_caFile })))
            await RoundTripAsync(client, "proxy/tunnel");
        Assert.IsTrue(proxy.Requests.Count > 0 && proxy.Requests.All(r => r == $"CONNECT {TlsRegistry}"), string.Join("; ", proxy.Requests));

        foreach (var noProxy in new[] { TestHosts.Registry, ".bakery.test", $"{TestHosts.Registry}:{s_tls.Port}", "*" })
        {
            using var direct = ForwardProxy.Start(TestHosts.Map);
            using var client = new RegistryClient(TlsRegistry, Options(new() { ["https_proxy"] = direct.Url, ["no_proxy"] = noProxy, ["SSL_CERT_FILE"] = s_caFile }));
            await RoundTripAsync(client, "proxy/direct");
            Assert.IsEmpty(direct.Requests, $"NO_PROXY={noProxy} goes direct");
        }

        using var otherPort = ForwardProxy.Start(TestHosts.Map);
        using (var client = new RegistryClient(TlsRegistry, Options(new() { ["HTTPS_PROXY"] = otherPort.Url, ["NO_PROXY"] = $"{TestHosts.Registry}:1", ["SSL_CERT_FILE"] = s_caFile })))
            await RoundTripAsync(client, "proxy/port");
        Assert.IsNotEmpty(otherPort.Requests, "a NO_PROXY entry for another port does not apply");
    }

    [TestMethod]
    public async Task Plain_HTTP_goes_through_HTTP_PROXY_in_absolute_form()
    {
        using var proxy = ForwardProxy.Start(TestHosts.Map);
        var environment = new Dictionary<string, string?> { ["HTTP_PROXY"] = proxy.Url, ["HTTPS_PROXY"] = proxy.Url };
        using (var client = new RegistryClient(PlainRegistry, Options(environment) with { InsecureRegistries = [PlainRegistry] }))
            await RoundTripAsync(client, "proxy/plain");
        Assert.IsTrue(proxy.Requests.Any(r => r.StartsWith($"GET http://{PlainRegistry}/v2/proxy/plain/blobs/", StringComparison.Ordinal)), string.Join("; ", proxy.Requests));
        Assert.IsTrue(proxy.Requests.Any(r => r == $"CONNECT {PlainRegistry}"), "HTTPS was tried first, through the tunnel");
    }

    [TestMethod]
    public async Task A_proxy_that_wants_credentials_gets_them_from_the_proxy_URL()
    {
        using var proxy = ForwardProxy.Start(TestHosts.Map, ("build", "proxy-secret"));
        var url = $"http://build:proxy-secret@127.0.0.1:{proxy.Port}";
        using var client = new RegistryClient(TlsRegistry, Options(new() { ["HTTPS_PROXY"] = url, ["SSL_CERT_FILE"] = s_caFile }));
        await RoundTripAsync(client, "proxy/auth");
        Assert.IsTrue(proxy.Requests.Count >= 2, "a 407 first, then the tunnel with Proxy-Authorization");
    }

    [TestMethod]
    public async Task Loopback_registries_never_go_through_the_proxy()
    {
        using var proxy = ForwardProxy.Start(TestHosts.Map);
        using var client = new RegistryClient(s_plain.Address, Options(new() { ["HTTPS_PROXY"] = proxy.Url, ["HTTP_PROXY"] = proxy.Url, ["ALL_PROXY"] = proxy.Url }));
        await RoundTripAsync(client, "proxy/loopback");
        Assert.IsEmpty(proxy.Requests);
    }

    [TestMethod]
    public async Task A_dead_proxy_is_named_in_the_error()
    {
        var dead = $"http://127.0.0.1:{RegistryProcess.FreePort()}";
        using var client = new RegistryClient(TlsRegistry, Options(new() { ["HTTPS_PROXY"] = dead, ["SSL_CERT_FILE"] = s_caFile }));
        var error = await Assert.ThrowsExactlyAsync<RegistryException>(() => client.ManifestExistsAsync("proxy/dead", "1.0"));

        Assert.AreEqual(RegistryFailure.Proxy, error.Failure);
        StringAssert.Contains(error.Message, $"through the proxy {dead} (from HTTPS_PROXY)");
        StringAssert.Contains(error.Message, "connection refused");
        StringAssert.Contains(error.Message, $"add {TestHosts.Registry} to NO_PROXY");
        var bake = Core.Baking.RegistryErrors.WhileResolvingBase(error, $"{TlsRegistry}/proxy/dead:1.0", "");
        Assert.AreEqual("BAKE420", bake.Code);
        StringAssert.Contains(bake.Message, TlsRegistry);
    }

    [TestMethod]
    public async Task A_proxy_that_cannot_reach_the_registry_is_named_too()
    {
        using var proxy = ForwardProxy.Start(new Dictionary<string, IPAddress>());
        using var client = new RegistryClient(TlsRegistry, Options(new() { ["HTTPS_PROXY"] = proxy.Url, ["SSL_CERT_FILE"] = s_caFile }));
        var error = await Assert.ThrowsExactlyAsync<RegistryException>(() => client.ManifestExistsAsync("proxy/unknown", "1.0"));
        Assert.AreEqual(RegistryFailure.Proxy, error.Failure);
        StringAssert.Contains(error.Message, $"would not open a tunnel to {TlsRegistry}");
        StringAssert.Contains(error.Message, proxy.Url);
    }
}
