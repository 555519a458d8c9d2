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
    public static void Initialize(TestContext _) => s_registry = SharedRegistry.Instance;


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

    /// <summary>Lets one request through the fault: true the first time only.</summary>
    private static Func<Microsoft.AspNetCore.Http.HttpRequest, bool> Once(Func<Microsoft.AspNetCore.Http.HttpRequest, bool> match)
    {
        var fired = 0;
        return r => match(r) && Interlocked.Exchange(ref fired, 1) == 0;
    }

    [TestMethod]
    public async Task A_chunked_upload_cut_by_a_connection_reset_resumes_its_session()
    {
        await using var proxy = await RegistryProxy.StartAsync(s_registry);
        var log = new List<string>();
        using var client = new RegistryClient(proxy.Address, Fast() with { ChunkSize = 64 * 1024, Log = log.Add });
        var path = RandomBlob(300 * 1024, out var digest);
        var patches = 0;
        proxy.Abort = r => r.Method == "PATCH" && Interlocked.Increment(ref patches) == 3;

        await client.UploadBlobAsync("client/resume", digest, path);

        CollectionAssert.AreEqual(File.ReadAllBytes(path), await DownloadAsync(client, "client/resume", digest));
        Assert.AreEqual(1, proxy.Log.Count(l => l.StartsWith("POST", StringComparison.Ordinal)), "the same session, resumed");
        // The status request may itself be retried (it can meet the cut connection in the pool), so at least one.
        Assert.IsTrue(proxy.Log.Count(l => l.StartsWith("GET /v2/client/resume/blobs/uploads/", StringComparison.Ordinal)) >= 1, "the registry was asked how far it got");
        Assert.AreEqual(6, proxy.Log.Count(l => l.StartsWith("PATCH", StringComparison.Ordinal)), "five chunks and the one cut");
        Assert.IsTrue(log.Any(l => l.Contains("was interrupted", StringComparison.Ordinal) && l.Contains("resuming", StringComparison.Ordinal)), string.Join("; ", log));
    }

    [TestMethod]
    public async Task A_single_PUT_upload_cut_by_a_connection_reset_starts_a_new_session()
    {
        await using var proxy = await RegistryProxy.StartAsync(s_registry);
        using var client = new RegistryClient(proxy.Address, Fast());
        var path = RandomBlob(8 * 1024, out var digest);
        proxy.Abort = Once(r => r.Method == "PUT" && r.Path.Value!.Contains("/blobs/uploads/"));

        await client.UploadBlobAsync("client/restart", digest, path);

        Assert.IsTrue(await client.BlobExistsAsync("client/restart", digest));
        Assert.AreEqual(2, proxy.Log.Count(l => l.StartsWith("POST", StringComparison.Ordinal)));
        Assert.AreEqual(8 * 1024, client.BlobBytesUploaded, "counted once");
    }

    [TestMethod]
    public async Task A_manifest_cut_mid_body_is_read_again_and_a_blob_download_starts_over()
    {
        await using var proxy = await RegistryProxy.StartAsync(s_registry);
        var image = await TestImages.PushBaseAsync(s_registry.Address, "client/cut");
        using var client = new RegistryClient(proxy.Address, Fast());
        proxy.CutBody = Once(r => r.Path.Value!.Contains("/manifests/"));
        Assert.AreEqual(image.Digest, (await client.GetManifestAsync("client/cut", image.Digest.ToString())).Digest);
        Assert.AreEqual(2, proxy.Log.Count(l => l.Contains("/manifests/", StringComparison.Ordinal)));

        var layer = image.Manifest.Layers![0].ParsedDigest;
        proxy.CutBody = Once(r => r.Path.Value!.Contains("/blobs/"));
        var target = Path.Combine(_work, "layer");
        await client.DownloadBlobAsync("client/cut", layer, target);
        Assert.AreEqual(layer, Digest.Compute(File.ReadAllBytes(target)));
        Assert.IsEmpty(Directory.GetFiles(_work, "layer.tmp-*"), "the broken attempt left nothing behind");
    }

    [TestMethod]
    public async Task A_registry_slow_to_answer_is_reported_as_still_waiting_then_retried()
    {
        await using var proxy = await RegistryProxy.StartAsync(s_registry);
        var image = await TestImages.PushBaseAsync(s_registry.Address, "client/slow");
        var reports = new List<RegistryProgress>();
        using var client = new RegistryClient(proxy.Address, Fast() with
        {
            RequestTimeout = TimeSpan.FromSeconds(2),
            WaitNoticeInterval = TimeSpan.FromMilliseconds(400),
            Progress = new Collect(reports),
        });
        var stalls = 0;
        proxy.Stall = r => r.Path.Value!.Contains("/manifests/") && Interlocked.Increment(ref stalls) == 1 ? TimeSpan.FromSeconds(10) : null;

        var watch = Stopwatch.StartNew();
        var manifest = await client.GetManifestAsync("client/slow", image.Digest.ToString());

        Assert.AreEqual(image.Digest, manifest.Digest);
        Assert.IsLessThan(8, watch.Elapsed.TotalSeconds, "the stalled attempt was given up after the request timeout");
        Assert.IsTrue(reports.Any(r => r.Kind == RegistryProgressKind.Waiting && r.Message.StartsWith($"Still waiting for {proxy.Address} to read manifest", StringComparison.Ordinal)),
            string.Join("; ", reports.Select(r => r.Message)));
    }

    private sealed class Collect(List<RegistryProgress> reports) : IProgress<RegistryProgress>
    {
        public void Report(RegistryProgress value)
        {
            lock (reports) reports.Add(value);
        }
    }

    [TestMethod]
    public async Task Large_transfers_report_bytes_done_total_and_rate()
    {
        var reports = new List<RegistryProgress>();
        using var client = new RegistryClient(s_registry.Address, Fast() with { ChunkSize = 256 * 1024, ProgressInterval = TimeSpan.Zero, Progress = new Collect(reports) });
        var path = RandomBlob(1024 * 1024, out var digest);

        await client.UploadBlobAsync("client/progress", digest, path);
        await client.DownloadBlobAsync("client/progress", digest, Path.Combine(_work, "down"));

        var up = reports.Where(r => r.Kind == RegistryProgressKind.Upload).ToList();
        var down = reports.Where(r => r.Kind == RegistryProgressKind.Download).ToList();
        Assert.IsNotEmpty(up);
        Assert.IsNotEmpty(down);
        Assert.AreEqual(1024 * 1024, up[^1].BytesDone);
        Assert.AreEqual(1024 * 1024, down[^1].BytesDone);
        Assert.IsTrue(up.All(r => r.BytesTotal == 1024 * 1024 && r.Repository == "client/progress"));
        Assert.IsTrue(up.Zip(up.Skip(1)).All(p => p.First.BytesDone <= p.Second.BytesDone), "monotonic");
        StringAssert.Contains(up[^1].Message, $"Uploading blob {digest.Hex[..12]} to {s_registry.Address}/client/progress: 1.0 MiB of 1.0 MiB (100%)");
    }

    [TestMethod]
    public async Task A_blob_is_streamed_from_one_registry_into_another_and_checked_on_the_way()
    {
        using var other = RegistryProcess.Start();
        await using var source = await RegistryProxy.StartAsync(s_registry);
        using var from = new RegistryClient(source.Address, Fast());
        using var to = new RegistryClient(other.Address, Fast() with { ChunkSize = 64 * 1024 });
        var path = RandomBlob(300 * 1024, out var digest);
        await from.UploadBlobAsync("copy/source", digest, path);

        source.CutBody = Once(r => r.Method == "GET" && r.Path.Value!.Contains("/blobs/"));
        await to.UploadBlobAsync("copy/target", BlobSource.FromRegistry(from, "copy/source", digest, 300 * 1024));
        CollectionAssert.AreEqual(File.ReadAllBytes(path), await to.GetBlobAsync("copy/target", digest), "a source cut mid-stream was read again");
        // Resumed where the registry got to, or — when the cut left the registry with part of a chunk its session state
        // no longer matches — restarted once: never more than the blob twice.
        Assert.IsTrue(to.BlobBytesUploaded is >= 300 * 1024 and <= 2 * 300 * 1024, $"{to.BlobBytesUploaded} bytes sent");

        var tampered = RandomBlob(200 * 1024, out var tamperedDigest);
        await from.UploadBlobAsync("copy/source", tamperedDigest, tampered);
        source.CutBody = null;
        source.CorruptBody = (request, body) => request.Path.Value!.Contains(tamperedDigest.Hex) ? [.. body[..^1], (byte)(body[^1] ^ 0xff)] : body;
        var error = await Assert.ThrowsExactlyAsync<RegistryException>(() => to.UploadBlobAsync("copy/target", BlobSource.FromRegistry(from, "copy/source", tamperedDigest, 200 * 1024)));
        Assert.AreEqual(RegistryFailure.DigestMismatch, error.Failure);
        Assert.IsFalse(await to.BlobExistsAsync("copy/target", tamperedDigest), "wrong content is never committed");
    }

    [TestMethod]
    public async Task A_streamed_upload_refused_with_401_mid_session_starts_again_with_a_fresh_token()
    {
        using var other = RegistryProcess.Start();
        await using var target = await RegistryProxy.StartAsync(other);
        using var from = new RegistryClient(s_registry.Address, Fast());
        using var to = new RegistryClient(target.Address, Fast());
        var path = RandomBlob(20 * 1024, out var digest);
        await from.UploadBlobAsync("copy/expired", digest, path);
        string? Expired(Microsoft.AspNetCore.Http.HttpRequest r) => r.Method == "PUT" && r.Path.Value!.Contains("/blobs/uploads/") ? "Bearer realm=\"http://localhost:1/token\",error=\"invalid_token\"" : null;
        var fired = 0;
        target.Challenge = r => Expired(r) is { } c && Interlocked.Exchange(ref fired, 1) == 0 ? c : null;

        // The body streams from the other registry and cannot be sent again: the upload starts a new session instead.
        await to.UploadBlobAsync("copy/expired", BlobSource.FromRegistry(from, "copy/expired", digest, 20 * 1024));

        Assert.IsTrue(await to.BlobExistsAsync("copy/expired", digest));
        Assert.AreEqual(2, target.Log.Count(l => l.StartsWith("POST", StringComparison.Ordinal)));
    }

    private async Task<byte[]> DownloadAsync(RegistryClient client, string repository, Digest digest)
    {
        var target = Path.Combine(_work, "download-" + digest.Hex[..8]);
        await client.DownloadBlobAsync(repository, digest, target);
        return File.ReadAllBytes(target);
    }
}
