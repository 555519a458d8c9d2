using System.Text;
using Bakery.Oci.Model;
using Bakery.Oci.Registry;
using Bakery.Tests.Infrastructure;

namespace Bakery.Tests.Integration;

/// <summary>
/// The registry client against CNCF Distribution configured with <c>auth: token</c>, trusting a token
/// server the test runs (real ES256 JWTs with an x5c chain Distribution verifies against its
/// rootcertbundle): the Docker token GET, OAuth2 password and refresh-token POST, wrong credentials,
/// a token that expires mid-push, per-repository scopes and mounts, and credential helpers.
/// </summary>
[TestClass]
[TestCategory("Integration")]
public sealed class RegistryTokenAuthTests
{
    private static TestCertificateAuthority s_ca = null!;
    private static TokenServer s_tokens = null!;
    private static RegistryProcess s_registry = null!;
    private static string s_directory = null!;
    private string _work = null!;

    [ClassInitialize]
    public static async Task Initialize(TestContext _)
    {
        s_directory = TestPaths.NewTempDirectory("token-auth");
        s_ca = TestCertificateAuthority.Create("Bakery test token CA");
        s_tokens = await TokenServer.StartAsync(s_ca, s_directory);
        s_tokens.AddUser("platform", "platform-secret", new TokenServer.Grant("*", "pull", "push"));
        s_tokens.AddUser("team", "team-secret", new TokenServer.Grant("global/*", "pull"), new TokenServer.Grant("team/*", "pull", "push"));
        s_tokens.AddUser("pusher", "pusher-secret", new TokenServer.Grant("team/*", "pull", "push"));
        s_registry = RegistryProcess.StartWithTokenAuth(s_tokens);
    }

    [ClassCleanup]
    public static async Task Cleanup()
    {
        s_registry?.Dispose();
        if (s_tokens is not null) await s_tokens.DisposeAsync();
        s_ca?.Dispose();
        if (s_directory is not null) Directory.Delete(s_directory, recursive: true);
    }

    [TestInitialize]
    public void CreateWork() => _work = TestPaths.NewTempDirectory("token-client");

    [TestCleanup]
    public void DeleteWork() => Directory.Delete(_work, recursive: true);

    private static RegistryClientOptions Options(RegistryCredentials credentials, RegistryRole role = RegistryRole.Push) => new()
    {
        Credentials = credentials,
        Role = role,
        Retry = new RetryPolicy { MaxAttempts = 3, InitialDelay = TimeSpan.FromMilliseconds(50) },
    };

    private static RegistryCredentials User(string user, string password) =>
        new(new Dictionary<string, string?> { ["BAKERY_REGISTRY_USERNAME"] = user, ["BAKERY_REGISTRY_PASSWORD"] = password });

    private string Blob(int size, out Digest digest)
    {
        var bytes = new byte[size];
        Random.Shared.NextBytes(bytes);
        digest = Digest.Compute(bytes);
        var path = Path.Combine(_work, digest.Hex);
        File.WriteAllBytes(path, bytes);
        return path;
    }

    private static string Unique(string prefix) => $"{prefix}-{Guid.NewGuid():N}"[..(prefix.Length + 9)];

    [TestMethod]
    public async Task Basic_credentials_get_a_token_by_GET_and_it_is_reused_for_the_whole_push()
    {
        var repository = Unique("team/basic");
        var before = s_tokens.Requests.Count;
        using var client = new RegistryClient(s_registry.Address, Options(User("platform", "platform-secret")));
        var image = await TestImages.PushBaseAsync(s_registry.Address, repository, "token", Options(User("platform", "platform-secret")));

        for (var i = 0; i < 3; i++)
        {
            var path = Blob(2048, out var digest);
            Assert.IsFalse(await client.BlobExistsAsync(repository, digest));
            await client.UploadBlobAsync(repository, digest, path);
            Assert.IsTrue(await client.BlobExistsAsync(repository, digest));
        }
        var manifest = await client.GetManifestAsync(repository, image.Digest.ToString());
        Assert.AreEqual(image.Digest, manifest.Digest);
        await client.PutManifestAsync(repository, "again", manifest.Bytes, manifest.MediaType);

        Assert.AreEqual(1, client.TokensFetched, "one pull,push token serves every request on the repository");
        var issued = s_tokens.Requests.Skip(before).Where(r => r.Status == 200).ToList();
        Assert.IsTrue(issued.All(r => r.Method == "GET" && r.User == "platform"), string.Join("; ", issued));
        CollectionAssert.Contains(issued.Last().Scopes.ToList(), $"repository:{repository}:pull,push");
    }

    [TestMethod]
    public async Task A_token_service_that_refuses_GET_is_asked_by_OAuth2_password_POST()
    {
        var repository = Unique("team/post");
        s_tokens.RefuseGet = true;
        try
        {
            var before = s_tokens.Requests.Count;
            using var client = new RegistryClient(s_registry.Address, Options(User("pusher", "pusher-secret")));
            var path = Blob(1024, out var digest);
            await client.UploadBlobAsync(repository, digest, path);
            Assert.IsTrue(await client.BlobExistsAsync(repository, digest));
            var asked = s_tokens.Requests.Skip(before).ToList();
            Assert.AreEqual(404, asked[0].Status, "the GET was refused");
            Assert.IsTrue(asked.Any(r => r is { Method: "POST", GrantType: "password", User: "pusher", Status: 200 }), string.Join("; ", asked));
        }
        finally
        {
            s_tokens.RefuseGet = false;
        }
    }

    [TestMethod]
    public async Task An_identity_token_in_config_json_is_exchanged_by_refresh_token_POST()
    {
        var repository = Unique("team/identity");
        var identity = s_tokens.IssueIdentityToken("pusher");
        var dockerConfig = Path.Combine(_work, "docker");
        Directory.CreateDirectory(dockerConfig);
        var auth = Convert.ToBase64String(Encoding.UTF8.GetBytes("00000000-0000-0000-0000-000000000000:"));
        File.WriteAllText(Path.Combine(dockerConfig, "config.json"),
            "{\"auths\":{\"" + s_registry.Address + "\":{\"auth\":\"" + auth + "\",\"identitytoken\":\"" + identity + "\"}}}");
        var before = s_tokens.Requests.Count;

        using var client = new RegistryClient(s_registry.Address, Options(new RegistryCredentials(new Dictionary<string, string?> { ["DOCKER_CONFIG"] = dockerConfig })));
        var path = Blob(1024, out var digest);
        await client.UploadBlobAsync(repository, digest, path);

        Assert.IsTrue(await client.BlobExistsAsync(repository, digest));
        var asked = s_tokens.Requests.Skip(before).ToList();
        Assert.IsTrue(asked.All(r => r is { Method: "POST", GrantType: "refresh_token", User: "pusher" }), string.Join("; ", asked));
    }

    [TestMethod]
    [System.Runtime.Versioning.SupportedOSPlatform("linux")]
    public async Task A_credential_helper_answering_the_token_user_gives_an_identity_token()
    {
        var repository = Unique("team/helper");
        var identity = s_tokens.IssueIdentityToken("pusher");
        var bin = Path.Combine(_work, "bin");
        Directory.CreateDirectory(bin);
        var helper = Path.Combine(bin, "docker-credential-corp");
        File.WriteAllText(helper, "#!/bin/sh\n[ \"$1\" = get ] || exit 2\nread server\necho \"$server\" >> \"$0.log\"\n"
            + "echo '{\"ServerURL\":\"'$server'\",\"Username\":\"<token>\",\"Secret\":\"" + identity + "\"}'\n");
        File.SetUnixFileMode(helper, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        var dockerConfig = Path.Combine(_work, "docker");
        Directory.CreateDirectory(dockerConfig);
        File.WriteAllText(Path.Combine(dockerConfig, "config.json"), "{\"credHelpers\":{\"" + s_registry.Address + "\":\"corp\"}}");
        var before = s_tokens.Requests.Count;

        using var client = new RegistryClient(s_registry.Address, Options(new RegistryCredentials(new Dictionary<string, string?> { ["DOCKER_CONFIG"] = dockerConfig, ["PATH"] = bin })));
        var path = Blob(512, out var digest);
        await client.UploadBlobAsync(repository, digest, path);
        await client.UploadBlobAsync(repository, digest, path);

        StringAssert.Contains(File.ReadAllText(helper + ".log"), s_registry.Address);
        Assert.HasCount(1, File.ReadAllLines(helper + ".log"), "the helper is asked once per client");
        Assert.IsTrue(s_tokens.Requests.Skip(before).All(r => r is { Method: "POST", GrantType: "refresh_token" }));
    }

    [TestMethod]
    public async Task Wrong_credentials_are_refused_with_the_registry_named()
    {
        using var client = new RegistryClient(s_registry.Address, Options(User("team", "wrong")));
        var path = Blob(256, out var digest);
        var error = await Assert.ThrowsExactlyAsync<RegistryException>(() => client.UploadBlobAsync(Unique("team/wrong"), digest, path));
        Assert.AreEqual(RegistryFailure.Unauthorized, error.Failure);
        StringAssert.Contains(error.Message, $"Registry {s_registry.Address} refused the credentials from BAKERY_REGISTRY_USERNAME/BAKERY_REGISTRY_PASSWORD");

        var bake = Core.Baking.RegistryErrors.WhilePushing(error, $"{s_registry.Address}/team/wrong");
        Assert.AreEqual("BAKE403", bake.Code);
        StringAssert.Contains(bake.Message, s_registry.Address);
        StringAssert.Contains(bake.Message, $"docker login {s_registry.Address}");

        using var anonymous = new RegistryClient(s_registry.Address, Options(RegistryCredentials.None));
        var none = await Assert.ThrowsExactlyAsync<RegistryException>(() => anonymous.BlobExistsAsync("global/runtime", digest));
        Assert.AreEqual(RegistryFailure.Unauthorized, none.Failure);
    }

    [TestMethod]
    public async Task Scopes_are_per_repository_the_team_may_pull_the_global_store_and_not_push_there()
    {
        var global = Unique("global/runtime");
        var image = await TestImages.PushBaseAsync(s_registry.Address, global, "global", Options(User("platform", "platform-secret")));
        using var team = new RegistryClient(s_registry.Address, Options(User("team", "team-secret")));

        var fetched = await team.GetImageAsync(global, image.Digest.ToString());
        Assert.AreEqual(image.Digest, fetched.Digest);

        var path = Blob(512, out var digest);
        var refused = await Assert.ThrowsExactlyAsync<RegistryException>(() => team.UploadBlobAsync(global, digest, path));
        Assert.AreEqual(RegistryFailure.Unauthorized, refused.Failure);
        StringAssert.Contains(refused.Message, $"does not allow the credentials from BAKERY_REGISTRY_USERNAME/BAKERY_REGISTRY_PASSWORD to push to {global}");
        StringAssert.Contains(refused.Message, $"granted repository:{global}:pull");
        Assert.AreEqual("BAKE403", Core.Baking.RegistryErrors.WhilePushing(refused, $"{s_registry.Address}/{global}").Code);

        var own = Unique("team/app");
        await team.UploadBlobAsync(own, digest, path);
        Assert.IsTrue(await team.BlobExistsAsync(own, digest));
    }

    [TestMethod]
    public async Task A_mount_asks_pull_on_the_source_and_push_on_the_target_and_a_refused_mount_is_no_error()
    {
        var global = Unique("global/base");
        var image = await TestImages.PushBaseAsync(s_registry.Address, global, "mount", Options(User("platform", "platform-secret")));
        var layer = image.Manifest.Layers![0].ParsedDigest;
        var target = Unique("team/mounted");
        var before = s_tokens.Requests.Count;

        using var team = new RegistryClient(s_registry.Address, Options(User("team", "team-secret")));
        Assert.IsTrue(await team.TryMountBlobAsync(target, layer, global));
        Assert.IsTrue(await team.BlobExistsAsync(target, layer));
        var mountToken = s_tokens.Requests.Skip(before).First(r => r.Scopes.Contains($"repository:{global}:pull"));
        CollectionAssert.Contains(mountToken.Scopes.ToList(), $"repository:{target}:pull,push");
        StringAssert.Contains(mountToken.Granted, $"repository:{global}:pull");

        var details = new List<string>();
        using var pusher = new RegistryClient(s_registry.Address, Options(User("pusher", "pusher-secret")) with { Detail = details.Add });
        var other = Unique("team/unmounted");
        Assert.IsFalse(await pusher.TryMountBlobAsync(other, layer, global), "pusher may not pull the source: the registry refuses the mount");
        Assert.IsTrue(details.Any(d => d.Contains("refused to mount", StringComparison.Ordinal)), string.Join("; ", details));
        Assert.IsFalse(await pusher.BlobExistsAsync(other, layer));
    }

    [TestMethod]
    public async Task A_token_that_expires_mid_push_is_fetched_again_and_the_push_completes()
    {
        var repository = Unique("team/expiry");
        // Tokens Distribution stops accepting within a few seconds (exp 57 s ago, 60 s leeway), while clients are told 300 s.
        s_tokens.ReportedExpiresIn = 300;
        s_tokens.TokenLifetime = TimeSpan.FromSeconds(3);
        s_tokens.Backdate = TimeSpan.FromSeconds(60);
        try
        {
            using var client = new RegistryClient(s_registry.Address, Options(User("pusher", "pusher-secret")) with { ChunkSize = 16 * 1024 });
            var first = Blob(40 * 1024, out var firstDigest);
            await client.UploadBlobAsync(repository, firstDigest, first);
            Assert.AreEqual(1, client.TokensFetched);
            s_tokens.Backdate = null;
            s_tokens.TokenLifetime = TimeSpan.FromMinutes(5);

            // Until Distribution rejects the first token (at most ~4 s).
            var deadline = DateTime.UtcNow.AddSeconds(15);
            while (DateTime.UtcNow < deadline && await StillAccepted(repository, firstDigest)) await Task.Delay(250);

            var second = Blob(40 * 1024, out var secondDigest);
            await client.UploadBlobAsync(repository, secondDigest, second);
            Assert.IsTrue(await client.BlobExistsAsync(repository, secondDigest));
            Assert.AreEqual(2, client.TokensFetched, "the rejected token was replaced once, mid-push");
        }
        finally
        {
            s_tokens.ReportedExpiresIn = null;
            s_tokens.TokenLifetime = TimeSpan.FromMinutes(5);
            s_tokens.Backdate = null;
        }

        async Task<bool> StillAccepted(string repo, Digest digest)
        {
            using var probe = new HttpClient();
            var token = s_tokens.LastToken;
            using var request = new HttpRequestMessage(HttpMethod.Head, $"http://{s_registry.Address}/v2/{repo}/blobs/{digest}");
            request.Headers.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", token);
            using var response = await probe.SendAsync(request);
            return response.IsSuccessStatusCode;
        }
    }

    [TestMethod]
    [System.Runtime.Versioning.SupportedOSPlatform("linux")]
    public async Task A_credential_store_that_is_not_installed_matters_only_when_a_registry_asks_for_credentials()
    {
        using var anonymousRegistry = RegistryProcess.Start();
        var dockerConfig = Path.Combine(_work, "docker");
        Directory.CreateDirectory(dockerConfig);
        File.WriteAllText(Path.Combine(dockerConfig, "config.json"), "{\"credsStore\":\"desktop\"}");
        var credentials = new RegistryCredentials(new Dictionary<string, string?> { ["DOCKER_CONFIG"] = dockerConfig, ["PATH"] = Path.Combine(_work, "empty-bin") });

        using (var client = new RegistryClient(anonymousRegistry.Address, Options(credentials)))
        {
            var path = Blob(512, out var digest);
            await client.UploadBlobAsync("team/anonymous", digest, path);
            Assert.IsTrue(await client.BlobExistsAsync("team/anonymous", digest), "docker pulls and pushes here without the helper; so does Bakery");
        }

        using var secured = new RegistryClient(s_registry.Address, Options(credentials));
        var error = await Assert.ThrowsExactlyAsync<RegistryException>(() => secured.BlobExistsAsync("team/app", Digest.Compute("x"u8)));
        Assert.AreEqual(RegistryFailure.CredentialHelper, error.Failure);
        StringAssert.Contains(error.Message, "docker-credential-desktop is not on the PATH");
        StringAssert.Contains(error.Message, "Install docker-credential-desktop");
        var bake = Core.Baking.RegistryErrors.WhilePushing(error, $"{s_registry.Address}/team/app");
        Assert.AreEqual("BAKE423", bake.Code);
        StringAssert.Contains(bake.Message, s_registry.Address);
    }

    [TestMethod]
    public async Task A_token_service_that_answers_without_a_token_is_BAKE424_naming_the_registry()
    {
        await using var tokens = await TokenServer.StartAsync(s_ca, _work);
        tokens.AddUser("team", "team-secret", new TokenServer.Grant("*", "pull", "push"));
        tokens.OmitToken = true;
        using var registry = RegistryProcess.StartWithTokenAuth(tokens);
        using var client = new RegistryClient(registry.Address, Options(User("team", "team-secret")));

        var error = await Assert.ThrowsExactlyAsync<RegistryException>(() => client.BlobExistsAsync("team/app", Digest.Compute("x"u8)));

        Assert.AreEqual(RegistryFailure.TokenService, error.Failure);
        var bake = Core.Baking.RegistryErrors.WhilePushing(error, $"{registry.Address}/team/app");
        Assert.AreEqual("BAKE424", bake.Code);
        StringAssert.Contains(bake.Message, registry.Address);
    }

    [TestMethod]
    public async Task Credentials_are_not_sent_to_a_token_service_on_another_host_over_plain_HTTP()
    {
        await using var elsewhere = await TokenServer.StartAsync(s_ca, _work, host: TestHosts.Auth);
        elsewhere.AddUser("team", "team-secret", new TokenServer.Grant("*", "pull", "push"));
        using var registry = RegistryProcess.StartWithTokenAuth(elsewhere);
        using var client = new RegistryClient(registry.Address, Options(User("team", "team-secret")) with { HostAddresses = TestHosts.Map });

        var error = await Assert.ThrowsExactlyAsync<RegistryException>(() => client.BlobExistsAsync("team/app", Digest.Compute("x"u8)));

        Assert.AreEqual(RegistryFailure.UnsafeRealm, error.Failure);
        StringAssert.Contains(error.Message, $"http://{TestHosts.Auth}:{elsewhere.Port}/token");
        Assert.IsEmpty(elsewhere.Requests, "nothing, and no credential, reached the token service");
        Assert.AreEqual("BAKE422", Core.Baking.RegistryErrors.WhilePushing(error, "x").Code);
    }

    [TestMethod]
    public async Task A_token_service_on_another_host_over_HTTPS_with_a_private_CA_is_followed()
    {
        using var tls = s_ca.Issue(TestHosts.Auth, [TestHosts.Auth]);
        await using var elsewhere = await TokenServer.StartAsync(s_ca, _work, host: TestHosts.Auth, tls: tls);
        elsewhere.AddUser("team", "team-secret", new TokenServer.Grant("team/*", "pull", "push"));
        using var registry = RegistryProcess.StartWithTokenAuth(elsewhere);
        var trust = CertificateTrust.FromEnvironment(new Dictionary<string, string?> { ["SSL_CERT_FILE"] = s_ca.WriteCertificatePem(_work) });
        using var client = new RegistryClient(registry.Address, Options(User("team", "team-secret")) with { HostAddresses = TestHosts.Map, Trust = trust });

        var path = Blob(512, out var digest);
        await client.UploadBlobAsync("team/app", digest, path);

        Assert.IsTrue(await client.BlobExistsAsync("team/app", digest));
        Assert.IsTrue(elsewhere.Requests.Any(r => r is { User: "team", Status: 200 }));
    }
}
