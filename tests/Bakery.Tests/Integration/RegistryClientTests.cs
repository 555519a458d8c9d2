using System.Diagnostics;
using System.Text;
using Bakery.Oci.Model;
using Bakery.Oci.Registry;
using Bakery.Tests.Infrastructure;

namespace Bakery.Tests.Integration;

/// <summary>The registry client against a real registry, with a fault-injecting proxy in front where needed.</summary>
[TestClass]
[TestCategory("Integration")]
public sealed class RegistryClientTests
{
    private static RegistryProcess s_registry = null!;
    private string _work = null!;

    [ClassInitialize]
    public static void Initialize(TestContext _) => s_registry = RegistryProcess.Start();

    [ClassCleanup]
    public static void Cleanup() => s_registry?.Dispose();

    [TestInitialize]
    public void CreateWork() => _work = TestPaths.NewTempDirectory("client");

    [TestCleanup]
    public void DeleteWork() => Directory.Delete(_work, recursive: true);

    private static RegistryClientOptions Fast(RegistryClientOptions? options = null) => (options ?? new RegistryClientOptions()) with
    {
        Credentials = new RegistryCredentials(new Dictionary<string, string?>()),
        Retry = new RetryPolicy { MaxAttempts = 4, InitialDelay = TimeSpan.FromMilliseconds(50), MaxDelay = TimeSpan.FromSeconds(3) },
    };

    private string RandomBlob(int size, out Digest digest)
    {
        var bytes = new byte[size];
        Random.Shared.NextBytes(bytes);
        digest = Digest.Compute(bytes);
        var path = Path.Combine(_work, digest.Hex);
        File.WriteAllBytes(path, bytes);
        return path;
    }

    [TestMethod]
    public async Task Chunked_upload_round_trips_and_the_download_is_digest_checked()
    {
        await using var proxy = await RegistryProxy.StartAsync(s_registry);
        using var client = new RegistryClient(proxy.Address, Fast() with { ChunkSize = 64 * 1024 });
        var path = RandomBlob(300 * 1024, out var digest);

        Assert.IsFalse(await client.BlobExistsAsync("client/chunked", digest));
        await client.UploadBlobAsync("client/chunked", digest, path);

        Assert.IsTrue(await client.BlobExistsAsync("client/chunked", digest));
        Assert.AreEqual(5, proxy.Log.Count(l => l.StartsWith("PATCH", StringComparison.Ordinal)), "300 KiB in 64 KiB chunks");
        Assert.AreEqual(300 * 1024, client.BlobBytesUploaded);
        var copy = Path.Combine(_work, "copy");
        await client.DownloadBlobAsync("client/chunked", digest, copy);
        CollectionAssert.AreEqual(File.ReadAllBytes(path), File.ReadAllBytes(copy));
    }

    [TestMethod]
    public async Task Corrupted_blob_is_refused_and_nothing_is_written()
    {
        await using var proxy = await RegistryProxy.StartAsync(s_registry);
        using var client = new RegistryClient(proxy.Address, Fast());
        var path = RandomBlob(4096, out var digest);
        await client.UploadBlobAsync("client/corrupt", digest, path);
        proxy.CorruptBody = (request, body) => request.Path.Value!.Contains("/blobs/") ? [.. body, (byte)'!'] : body;

        var small = await Assert.ThrowsExactlyAsync<RegistryException>(() => client.GetBlobAsync("client/corrupt", digest));
        Assert.AreEqual(RegistryFailure.DigestMismatch, small.Failure);
        var target = Path.Combine(_work, "never");
        var streamed = await Assert.ThrowsExactlyAsync<RegistryException>(() => client.DownloadBlobAsync("client/corrupt", digest, target));
        Assert.AreEqual(RegistryFailure.DigestMismatch, streamed.Failure);
        Assert.IsFalse(File.Exists(target), "no partial file is left behind");
        Assert.IsEmpty(Directory.GetFiles(_work, "never*"));
    }

    [TestMethod]
    public async Task Transient_503_is_retried_honouring_Retry_After()
    {
        await using var proxy = await RegistryProxy.StartAsync(s_registry);
        var image = await TestImages.PushBaseAsync(s_registry.Address, "client/retry");
        var failures = 2;
        proxy.Fault = r => r.Path.Value!.Contains("/manifests/") && Interlocked.Decrement(ref failures) >= 0 ? (503, "1") : null;
        using var client = new RegistryClient(proxy.Address, Fast());

        var watch = Stopwatch.StartNew();
        var manifest = await client.GetManifestAsync("client/retry", image.Digest.ToString());

        Assert.AreEqual(image.Digest, manifest.Digest);
        Assert.AreEqual(3, proxy.Log.Count(l => l.Contains("/manifests/")), "two refusals, then success");
        Assert.IsGreaterThanOrEqualTo(1.9, watch.Elapsed.TotalSeconds, "Retry-After: 1 is honoured twice rather than the 50 ms backoff");
    }

    [TestMethod]
    public async Task Persistent_429_gives_up_after_the_bounded_number_of_attempts()
    {
        await using var proxy = await RegistryProxy.StartAsync(s_registry);
        proxy.Fault = _ => (429, null);
        using var client = new RegistryClient(proxy.Address, Fast());

        var error = await Assert.ThrowsExactlyAsync<RegistryException>(() => client.GetManifestAsync("client/busy", "1.0"));

        Assert.AreEqual(RegistryFailure.Rejected, error.Failure);
        Assert.AreEqual(429, error.StatusCode);
        Assert.AreEqual(4, proxy.Requests);
        StringAssert.Contains(error.Message, proxy.Address);
    }

    [TestMethod]
    public async Task Registry_that_is_down_fails_fast_as_unreachable()
    {
        using var client = new RegistryClient($"localhost:{RegistryProcess.FreePort()}", Fast());
        var watch = Stopwatch.StartNew();
        var error = await Assert.ThrowsExactlyAsync<RegistryException>(() => client.GetManifestAsync("any/repo", "1.0"));
        Assert.AreEqual(RegistryFailure.Unreachable, error.Failure);
        StringAssert.Contains(error.Message, "connection refused");
        Assert.IsLessThan(30, watch.Elapsed.TotalSeconds, "bounded retries, no hang");
    }

    [TestMethod]
    public async Task Cross_repository_mount_links_an_existing_blob_without_upload()
    {
        using var client = new RegistryClient(s_registry.Address, Fast());
        var path = RandomBlob(2048, out var digest);
        await client.UploadBlobAsync("client/mount-source", digest, path);
        var before = client.BlobBytesUploaded;

        Assert.IsTrue(await client.TryMountBlobAsync("client/mount-target", digest, "client/mount-source"));
        Assert.IsTrue(await client.BlobExistsAsync("client/mount-target", digest));
        Assert.AreEqual(before, client.BlobBytesUploaded);

        var (_, missing) = (RandomBlob(16, out var other), other);
        Assert.IsFalse(await client.TryMountBlobAsync("client/mount-target", missing, "client/mount-source"), "an unknown blob is not mounted");
    }

    [TestMethod]
    public async Task Bearer_token_is_fetched_from_the_realm_with_basic_credentials()
    {
        await using var proxy = await RegistryProxy.StartAsync(s_registry);
        proxy.BearerCredentials = ("robot", "s3cret");
        var env = new Dictionary<string, string?> { ["BAKERY_REGISTRY_USERNAME"] = "robot", ["BAKERY_REGISTRY_PASSWORD"] = "s3cret" };
        using var client = new RegistryClient(proxy.Address, Fast() with { Credentials = new RegistryCredentials(env) });
        var path = RandomBlob(1024, out var digest);

        await client.UploadBlobAsync("client/bearer", digest, path);

        Assert.IsTrue(await client.BlobExistsAsync("client/bearer", digest));
        Assert.IsTrue(proxy.Log.Any(l => l.StartsWith("GET /token", StringComparison.Ordinal)));

        using var anonymous = new RegistryClient(proxy.Address, Fast());
        var error = await Assert.ThrowsExactlyAsync<RegistryException>(() => anonymous.BlobExistsAsync("client/bearer", digest));
        Assert.AreEqual(RegistryFailure.Unauthorized, error.Failure);
    }

    [TestMethod]
    public async Task Basic_auth_credentials_come_from_docker_config_json()
    {
        using var secured = RegistryProcess.Start(("alice", "wonderland"));
        var dockerConfig = Path.Combine(_work, "docker");
        Directory.CreateDirectory(dockerConfig);
        var auth = Convert.ToBase64String(Encoding.UTF8.GetBytes("alice:wonderland"));
        File.WriteAllText(Path.Combine(dockerConfig, "config.json"), "{\"auths\":{\"http://" + secured.Address + "/v1/\":{\"auth\":\"" + auth + "\"}}}");
        var credentials = new RegistryCredentials(new Dictionary<string, string?> { ["DOCKER_CONFIG"] = dockerConfig });

        using var client = new RegistryClient(secured.Address, Fast() with { Credentials = credentials });
        var path = RandomBlob(512, out var digest);
        await client.UploadBlobAsync("client/basic", digest, path);
        Assert.IsTrue(await client.BlobExistsAsync("client/basic", digest));

        using var anonymous = new RegistryClient(secured.Address, Fast());
        var error = await Assert.ThrowsExactlyAsync<RegistryException>(() => anonymous.BlobExistsAsync("client/basic", digest));
        Assert.AreEqual(RegistryFailure.Unauthorized, error.Failure);
        StringAssert.Contains(error.Message, "no credentials were found");
    }

    /// <summary>A credential helper speaking docker's protocol: `get`, the server on stdin, JSON out; it logs what it was asked.</summary>
    [System.Runtime.Versioning.SupportedOSPlatform("linux")]
    private string WriteHelper(string name, string body)
    {
        var bin = Path.Combine(_work, "helpers");
        Directory.CreateDirectory(bin);
        var path = Path.Combine(bin, "docker-credential-" + name);
        File.WriteAllText(path, "#!/bin/sh\n[ \"$1\" = get ] || exit 2\nread server\necho \"$server\" >> \"$0.log\"\n" + body + "\n");
        File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        return bin;
    }

    [TestMethod]
    [System.Runtime.Versioning.SupportedOSPlatform("linux")]
    public async Task Credential_helpers_from_config_json_are_asked_per_registry_and_as_the_store()
    {
        using var secured = RegistryProcess.Start(("bob", "builder"));
        var bin = WriteHelper("vault", "echo '{\"ServerURL\":\"'$server'\",\"Username\":\"bob\",\"Secret\":\"builder\"}'");
        WriteHelper("empty", "echo 'credentials not found in native keychain' >&2; exit 1");
        WriteHelper("broken", "echo 'keychain locked' >&2; exit 1");
        var dockerConfig = Path.Combine(_work, "helper-config");
        Directory.CreateDirectory(dockerConfig);
        RegistryCredentials With(string json)
        {
            File.WriteAllText(Path.Combine(dockerConfig, "config.json"), json);
            return new RegistryCredentials(new Dictionary<string, string?> { ["DOCKER_CONFIG"] = dockerConfig, ["PATH"] = bin });
        }

        using (var client = new RegistryClient(secured.Address, Fast() with { Credentials = With("{\"credHelpers\":{\"" + secured.Address + "\":\"vault\"},\"credsStore\":\"broken\"}") }))
        {
            var path = RandomBlob(256, out var digest);
            await client.UploadBlobAsync("client/helper", digest, path);
            Assert.IsTrue(await client.BlobExistsAsync("client/helper", digest));
        }
        StringAssert.Contains(File.ReadAllText(Path.Combine(bin, "docker-credential-vault.log")), secured.Address, "the helper was asked for this registry");

        Assert.AreEqual(new RegistryCredential("bob", "builder"), With("{\"credsStore\":\"vault\"}").Find("other.example"), "the store answers for every registry");
        Assert.IsNull(With("{\"credsStore\":\"empty\"}").Find("other.example"), "'not found' is no credential");
        var broken = Assert.ThrowsExactly<RegistryException>(() => With("{\"credsStore\":\"broken\"}").Find("other.example"));
        StringAssert.Contains(broken.Message, "keychain locked");
        var missing = Assert.ThrowsExactly<RegistryException>(() => With("{\"credsStore\":\"nowhere\"}").Find("other.example"));
        StringAssert.Contains(missing.Message, "docker-credential-nowhere is not on the PATH");
    }
}
