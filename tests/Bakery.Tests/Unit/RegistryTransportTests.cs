using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Web;
using Bakery.Oci.Registry;

namespace Bakery.Tests.Unit;

/// <summary>
/// The transport handlers against scripted answers (no sockets): tokens per scope, proactive and
/// reactive refresh, the OAuth2 flows, realm checks, lazy credential lookup, and the retry handler.
/// </summary>
[TestClass]
public sealed class RegistryTransportTests
{
    private const string Registry = "registry.corp.example";
    private const string Realm = "https://auth.corp.example/token";

    /// <summary>A clock the test moves.</summary>
    private sealed class ManualTime : TimeProvider
    {
        public DateTimeOffset Now { get; set; } = new(2026, 3, 1, 0, 0, 0, TimeSpan.Zero);
        public long Ticks { get; set; } = 1_000_000;
        public override DateTimeOffset GetUtcNow() => Now;
        public override long GetTimestamp() => Ticks;
        public override long TimestampFrequency => TimeSpan.TicksPerSecond;

        public void Advance(TimeSpan by)
        {
            Now += by;
            Ticks += by.Ticks;
        }
    }

    private sealed class Scripted(Func<HttpRequestMessage, Task<HttpResponseMessage>> answer) : HttpMessageHandler
    {
        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken) => answer(request);
    }

    /// <summary>
    /// A registry that wants "Bearer tok-N" issued for the request's scope, and its token service:
    /// GET (Basic or anonymous) and POST, each recorded; tokens can be revoked.
    /// </summary>
    private sealed class FakeRegistry
    {
        public readonly Dictionary<string, string> Issued = [];
        public readonly HashSet<string> Revoked = [];
        public readonly List<string> TokenRequests = [];
        public int Challenges;
        public int ExpiresIn = 300;
        public bool RefuseGet;
        public string? RequiredUser;
        public string RealmUrl = Realm;
        public string Scheme = "Bearer";

        public Task<HttpResponseMessage> RegistryAsync(HttpRequestMessage request)
        {
            var scope = request.Options.TryGetValue(new HttpRequestOptionsKey<string>("bakery.scope"), out var s) ? s : "";
            var auth = request.Headers.Authorization;
            if (Scheme == "Basic")
            {
                if (auth?.Scheme == "Basic" && Encoding.UTF8.GetString(Convert.FromBase64String(auth.Parameter!)) == "robot:pw") return Ok();
                Challenges++;
                return Challenge("Basic realm=\"r\"");
            }
            if (auth?.Scheme == "Bearer" && Issued.TryGetValue(auth.Parameter!, out var granted) && granted == scope && !Revoked.Contains(auth.Parameter!)) return Ok();
            Challenges++;
            return Challenge($"Bearer realm=\"{RealmUrl}\",service=\"{Registry}\",scope=\"{scope}\"" + (auth is null ? "" : ",error=\"invalid_token\""));
        }

        public async Task<HttpResponseMessage> TokensAsync(HttpRequestMessage request)
        {
            string scope;
            string grant;
            if (request.Method == HttpMethod.Post)
            {
                var form = HttpUtility.ParseQueryString(await request.Content!.ReadAsStringAsync());
                grant = form["grant_type"]!;
                scope = form["scope"] ?? "";
                if (grant == "refresh_token" && form["refresh_token"] != "refresh-1") return new HttpResponseMessage(HttpStatusCode.Unauthorized);
                if (grant == "password" && (form["username"] != RequiredUser || form["password"] != "pw")) return new HttpResponseMessage(HttpStatusCode.Unauthorized);
            }
            else
            {
                var query = HttpUtility.ParseQueryString(request.RequestUri!.Query);
                scope = string.Join(' ', query.GetValues("scope") ?? []);
                grant = request.Headers.Authorization is null ? "anonymous" : "basic";
                if (RefuseGet) { TokenRequests.Add("GET refused"); return new HttpResponseMessage(HttpStatusCode.NotFound); }
                if (RequiredUser is not null && request.Headers.Authorization?.Parameter != Convert.ToBase64String(Encoding.UTF8.GetBytes($"{RequiredUser}:pw")))
                    return new HttpResponseMessage(HttpStatusCode.Unauthorized);
            }
            var token = $"tok-{Issued.Count + 1}";
            // The registry checks the first scope the client asked for (what the request needs).
            Issued[token] = scope.Split(' ')[0] == "" ? "" : string.Join(' ', scope.Split(' ').Where(x => x.StartsWith("repository:", StringComparison.Ordinal)).Take(1));
            TokenRequests.Add($"{request.Method} {grant} {scope}");
            return new HttpResponseMessage(HttpStatusCode.OK)
            {
                Content = new StringContent($$"""{"token":"{{token}}","expires_in":{{ExpiresIn}}}"""),
            };
        }

        private static Task<HttpResponseMessage> Ok() => Task.FromResult(new HttpResponseMessage(HttpStatusCode.OK) { Content = new ByteArrayContent([]) });

        private static Task<HttpResponseMessage> Challenge(string header)
        {
            var response = new HttpResponseMessage(HttpStatusCode.Unauthorized) { Content = new ByteArrayContent([]) };
            response.Headers.TryAddWithoutValidation("WWW-Authenticate", header);
            return Task.FromResult(response);
        }
    }

    private static (HttpMessageInvoker Client, ManualTime Time) Pipeline(FakeRegistry fake, RegistryCredentials? credentials = null, RegistryRole role = RegistryRole.Pull, bool insecure = false)
    {
        var time = new ManualTime();
        var options = new RegistryClientOptions { Time = time, Credentials = credentials ?? RegistryCredentials.None };
        var tokens = new TokenService(Registry, insecure, new HttpMessageInvoker(new Scripted(fake.TokensAsync)), options);
        var auth = new AuthenticationHandler(Registry, role, options.Credentials, tokens, options, new Scripted(fake.RegistryAsync));
        return (new HttpMessageInvoker(auth), time);
    }

    private static HttpRequestMessage Get(string repository, string scope) =>
        RegistryRequest.Create(HttpMethod.Get, new Uri($"https://{Registry}/v2/{repository}/manifests/1.0"), repository, scope, $"read manifest 1.0 of {repository}");

    private static RegistryCredentials User(string user) => new(new Dictionary<string, string?> { ["BAKERY_REGISTRY_USERNAME"] = user, ["BAKERY_REGISTRY_PASSWORD"] = "pw" });

    [TestMethod]
    public async Task A_token_is_fetched_once_per_scope_and_reused()
    {
        var fake = new FakeRegistry();
        var (client, _) = Pipeline(fake);
        for (var i = 0; i < 5; i++)
            Assert.AreEqual(HttpStatusCode.OK, (await client.SendAsync(Get("team/app", "repository:team/app:pull"), default)).StatusCode);
        Assert.HasCount(1, fake.TokenRequests);
        Assert.AreEqual(1, fake.Challenges, "one 401, then the token is presented up front");
    }

    [TestMethod]
    public async Task Once_the_token_service_is_known_a_new_scope_gets_its_token_before_the_request()
    {
        var fake = new FakeRegistry();
        var (client, _) = Pipeline(fake);
        await client.SendAsync(Get("team/app", "repository:team/app:pull"), default);
        await client.SendAsync(Get("team/lib", "repository:team/lib:pull"), default);
        await client.SendAsync(Get("team/lib", "repository:team/lib:pull"), default);
        Assert.HasCount(2, fake.TokenRequests);
        Assert.AreEqual(1, fake.Challenges, "no 401 for the second scope");
    }

    [TestMethod]
    public async Task A_token_about_to_expire_is_fetched_again_before_use()
    {
        var fake = new FakeRegistry { ExpiresIn = 60 };
        var (client, time) = Pipeline(fake);
        await client.SendAsync(Get("team/app", "repository:team/app:pull"), default);
        time.Advance(TimeSpan.FromSeconds(40));
        await client.SendAsync(Get("team/app", "repository:team/app:pull"), default);
        Assert.HasCount(1, fake.TokenRequests, "still fresh after 40 of 60 s");
        time.Advance(TimeSpan.FromSeconds(15));
        await client.SendAsync(Get("team/app", "repository:team/app:pull"), default);
        Assert.HasCount(2, fake.TokenRequests, "within the last tenth of its life it is replaced");
        Assert.AreEqual(1, fake.Challenges);
    }

    [TestMethod]
    public async Task A_token_the_registry_rejects_is_fetched_again_once()
    {
        var fake = new FakeRegistry();
        var (client, _) = Pipeline(fake);
        await client.SendAsync(Get("team/app", "repository:team/app:pull"), default);
        fake.Revoked.Add("tok-1");
        Assert.AreEqual(HttpStatusCode.OK, (await client.SendAsync(Get("team/app", "repository:team/app:pull"), default)).StatusCode);
        Assert.HasCount(2, fake.TokenRequests);

        fake.Revoked.Add("tok-2");
        fake.Revoked.Add("tok-3");
        var error = await Assert.ThrowsExactlyAsync<RegistryException>(() => client.SendAsync(Get("team/app", "repository:team/app:pull"), default));
        Assert.AreEqual(RegistryFailure.Unauthorized, error.Failure);
        StringAssert.Contains(error.Message, Registry);
    }

    [TestMethod]
    public async Task User_and_password_go_by_GET_with_Basic()
    {
        var fake = new FakeRegistry { RequiredUser = "robot" };
        var (client, _) = Pipeline(fake, User("robot"));
        Assert.AreEqual(HttpStatusCode.OK, (await client.SendAsync(Get("team/app", "repository:team/app:pull,push"), default)).StatusCode);
        Assert.AreEqual("GET basic repository:team/app:pull,push", fake.TokenRequests.Single());
    }

    [TestMethod]
    public async Task A_refused_GET_falls_back_to_the_OAuth2_password_grant()
    {
        var fake = new FakeRegistry { RequiredUser = "robot", RefuseGet = true };
        var (client, _) = Pipeline(fake, User("robot"));
        Assert.AreEqual(HttpStatusCode.OK, (await client.SendAsync(Get("team/app", "repository:team/app:pull"), default)).StatusCode);
        CollectionAssert.AreEqual(new[] { "GET refused", "POST password repository:team/app:pull" }, fake.TokenRequests);
    }

    [TestMethod]
    public async Task An_identity_token_goes_by_OAuth2_refresh_token_POST_only()
    {
        var fake = new FakeRegistry();
        var identity = new RegistryCredentials(new Dictionary<string, string?> { ["BAKERY_REGISTRY_USERNAME"] = "<token>", ["BAKERY_REGISTRY_PASSWORD"] = "refresh-1" });
        var (client, _) = Pipeline(fake, identity);
        Assert.AreEqual(HttpStatusCode.OK, (await client.SendAsync(Get("team/app", "repository:team/app:pull"), default)).StatusCode);
        Assert.AreEqual("POST refresh_token repository:team/app:pull", fake.TokenRequests.Single());

        var (refused, _) = Pipeline(new FakeRegistry(), new RegistryCredentials(new Dictionary<string, string?>
            { ["BAKERY_REGISTRY_USERNAME"] = "<token>", ["BAKERY_REGISTRY_PASSWORD"] = "stale" }));
        var error = await Assert.ThrowsExactlyAsync<RegistryException>(() => refused.SendAsync(Get("team/app", "repository:team/app:pull"), default));
        Assert.AreEqual(RegistryFailure.Unauthorized, error.Failure);
        StringAssert.Contains(error.Message, "identity token was refused");
    }

    [TestMethod]
    public async Task Wrong_credentials_say_which_registry_and_where_they_came_from()
    {
        var fake = new FakeRegistry { RequiredUser = "robot" };
        var (client, _) = Pipeline(fake, User("intruder"));
        var error = await Assert.ThrowsExactlyAsync<RegistryException>(() => client.SendAsync(Get("team/app", "repository:team/app:pull"), default));
        Assert.AreEqual(RegistryFailure.Unauthorized, error.Failure);
        StringAssert.Contains(error.Message, $"Registry {Registry} refused the credentials from BAKERY_REGISTRY_USERNAME/BAKERY_REGISTRY_PASSWORD");
    }

    [TestMethod]
    [DataRow("http://auth.other.example/token", false)]
    [DataRow("http://registry.corp.example/token", false)]
    [DataRow("http://10.1.2.3/token", false)]
    [DataRow("https://10.1.2.3/token", false)]
    [DataRow("https://169.254.169.254/latest", false)]
    [DataRow("ftp://auth.corp.example/token", false)]
    [DataRow("/token", false)]
    [DataRow("https://auth.other.example/token", true)]
    public async Task Credentials_go_to_a_realm_on_another_host_only_over_HTTPS_and_never_to_private_addresses(string realm, bool allowed)
    {
        var fake = new FakeRegistry { RealmUrl = realm, RequiredUser = "robot" };
        var (client, _) = Pipeline(fake, User("robot"));
        if (allowed)
        {
            Assert.AreEqual(HttpStatusCode.OK, (await client.SendAsync(Get("team/app", "repository:team/app:pull"), default)).StatusCode);
            return;
        }
        var error = await Assert.ThrowsExactlyAsync<RegistryException>(() => client.SendAsync(Get("team/app", "repository:team/app:pull"), default));
        Assert.IsTrue(error.Failure is RegistryFailure.UnsafeRealm or RegistryFailure.TokenService, error.Message);
        Assert.IsEmpty(fake.TokenRequests, "nothing was sent to the realm");
    }

    [TestMethod]
    public void An_insecure_registry_may_name_a_plain_HTTP_realm_on_its_own_host_only()
    {
        var options = new RegistryClientOptions();
        var service = new TokenService("localhost:5000", registryInsecure: true, new HttpMessageInvoker(new Scripted(_ => throw new InvalidOperationException())), options);
        Assert.AreEqual("http://127.0.0.1:5001/token", service.ValidateRealm("http://127.0.0.1:5001/token", "r").ToString(), "loopback is the same machine");
        Assert.AreEqual(RegistryFailure.UnsafeRealm, Assert.ThrowsExactly<RegistryException>(() => service.ValidateRealm("http://auth.corp.example/token", "r")).Failure);
    }

    [TestMethod]
    public async Task Basic_challenges_are_answered_with_the_credentials_of_the_role()
    {
        var fake = new FakeRegistry { Scheme = "Basic" };
        var (client, _) = Pipeline(fake, User("robot"));
        Assert.AreEqual(HttpStatusCode.OK, (await client.SendAsync(Get("a", "repository:a:pull"), default)).StatusCode);
        Assert.AreEqual(HttpStatusCode.OK, (await client.SendAsync(Get("b", "repository:b:pull"), default)).StatusCode);
        Assert.AreEqual(1, fake.Challenges, "Basic is sent up front once known");

        var (anonymous, _) = Pipeline(new FakeRegistry { Scheme = "Basic" });
        var error = await Assert.ThrowsExactlyAsync<RegistryException>(() => anonymous.SendAsync(Get("a", "repository:a:pull"), default));
        StringAssert.Contains(error.Message, "no credentials were found");
    }

    [TestMethod]
    public async Task Credentials_are_not_looked_up_until_a_registry_asks_for_them()
    {
        var dir = Infrastructure.TestPaths.NewTempDirectory("lazy");
        try
        {
            File.WriteAllText(Path.Combine(dir, "config.json"), """{"credsStore":"not-installed"}""");
            var credentials = new RegistryCredentials(new Dictionary<string, string?> { ["DOCKER_CONFIG"] = dir, ["PATH"] = dir });
            var open = new Scripted(_ => Task.FromResult(new HttpResponseMessage(HttpStatusCode.OK)));
            var options = new RegistryClientOptions { Credentials = credentials };
            var tokens = new TokenService(Registry, false, new HttpMessageInvoker(new Scripted(_ => throw new InvalidOperationException())), options);
            using var anonymous = new HttpMessageInvoker(new AuthenticationHandler(Registry, RegistryRole.Pull, credentials, tokens, options, open));
            Assert.AreEqual(HttpStatusCode.OK, (await anonymous.SendAsync(Get("a", "repository:a:pull"), default)).StatusCode, "an anonymous registry never runs the helper");

            var (challenged, _) = Pipeline(new FakeRegistry(), credentials);
            var error = await Assert.ThrowsExactlyAsync<RegistryException>(() => challenged.SendAsync(Get("a", "repository:a:pull"), default));
            Assert.AreEqual(RegistryFailure.CredentialHelper, error.Failure);
            StringAssert.Contains(error.Message, "docker-credential-not-installed is not on the PATH");
            StringAssert.Contains(error.Message, "'credsStore'");
            Assert.AreEqual("a", error.Repository, "the message says which repository needed it");

            var (hostile, _) = Pipeline(new FakeRegistry { RealmUrl = "http://collector.other.example/token" }, credentials);
            var refused = await Assert.ThrowsExactlyAsync<RegistryException>(() => hostile.SendAsync(Get("a", "repository:a:pull"), default));
            Assert.AreEqual(RegistryFailure.UnsafeRealm, refused.Failure, "the realm is refused before any credential is looked up");
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [TestMethod]
    public async Task The_retry_handler_resends_after_503_and_resets_but_not_upload_session_steps()
    {
        var calls = 0;
        var inner = new Scripted(_ =>
        {
            calls++;
            if (calls == 1) return Task.FromResult(new HttpResponseMessage(HttpStatusCode.ServiceUnavailable));
            if (calls == 2) throw new HttpRequestException(HttpRequestError.ConnectionError, "reset", new IOException("reset", new SocketException((int)SocketError.ConnectionReset)));
            return Task.FromResult(new HttpResponseMessage(HttpStatusCode.OK));
        });
        var options = new RegistryClientOptions { Retry = new RetryPolicy { MaxAttempts = 4, InitialDelay = TimeSpan.FromMilliseconds(1) } };
        var failures = new TransportFailures(Registry, EnvironmentProxy.None, CertificateTrust.SystemOnly, options.RequestTimeout, null);
        using var client = new HttpMessageInvoker(new RetryHandler(Registry, options, failures, inner));
        Assert.AreEqual(HttpStatusCode.OK, (await client.SendAsync(Get("a", "repository:a:pull"), default)).StatusCode);
        Assert.AreEqual(3, calls);

        calls = 1;
        var step = Get("a", "repository:a:pull,push");
        step.Options.Set(RegistryRequest.NotRetried, true);
        var error = await Assert.ThrowsExactlyAsync<RegistryException>(() => client.SendAsync(step, default));
        Assert.AreEqual(2, calls, "a session step is sent once; the uploader resumes it");
        Assert.IsTrue(error.IsTransient);
        StringAssert.Contains(error.Message, "the connection was reset");
    }

    [TestMethod]
    public async Task A_slow_answer_reports_still_waiting_and_times_out_with_advice()
    {
        var reports = new List<RegistryProgress>();
        var options = new RegistryClientOptions
        {
            RequestTimeout = TimeSpan.FromSeconds(1),
            WaitNoticeInterval = TimeSpan.FromMilliseconds(200),
            Retry = new RetryPolicy { MaxAttempts = 2, InitialDelay = TimeSpan.FromMilliseconds(1) },
            Progress = new SyncProgress(reports),
        };
        var failures = new TransportFailures(Registry, EnvironmentProxy.None, CertificateTrust.SystemOnly, options.RequestTimeout, null);
        using var client = new HttpMessageInvoker(new RetryHandler(Registry, options, failures, new CancellingHandler()));
        var error = await Assert.ThrowsExactlyAsync<RegistryException>(() => client.SendAsync(Get("team/app", "repository:team/app:pull"), default));
        Assert.AreEqual(RegistryFailure.Unreachable, error.Failure);
        StringAssert.Contains(error.Message, "did not read manifest 1.0 of team/app within 1 s after 2 attempts");
        StringAssert.Contains(error.Message, "BakeryRegistryTimeout");
        Assert.IsGreaterThanOrEqualTo(4, reports.Count, "still-waiting lines while each attempt is pending");
        Assert.IsTrue(reports.All(r => r.Kind == RegistryProgressKind.Waiting));
        StringAssert.StartsWith(reports[0].Message, $"Still waiting for {Registry} to read manifest 1.0 of team/app");
    }

    /// <summary>Never answers; ends only when the attempt is cancelled.</summary>
    private sealed class CancellingHandler : HttpMessageHandler
    {
        protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken ct)
        {
            await Task.Delay(Timeout.Infinite, ct);
            return new HttpResponseMessage(HttpStatusCode.OK);
        }
    }

    private sealed class SyncProgress(List<RegistryProgress> reports) : IProgress<RegistryProgress>
    {
        public void Report(RegistryProgress value)
        {
            lock (reports) reports.Add(value);
        }
    }

    [TestMethod]
    public void Transfer_progress_is_throttled_and_has_bytes_total_and_rate()
    {
        var time = new ManualTime();
        var reports = new List<RegistryProgress>();
        var meter = new TransferMeter(new SyncProgress(reports), RegistryProgressKind.Upload, "r.example", "team/app", "blob abc", 100L << 20,
            TimeSpan.FromSeconds(5), time);
        for (var second = 0; second < 20; second++)
        {
            time.Advance(TimeSpan.FromSeconds(1));
            meter.Add(5L << 20);
        }
        Assert.HasCount(4, reports, "one line per 5 s over 20 s");
        Assert.AreEqual(25L << 20, reports[0].BytesDone);
        Assert.AreEqual(100L << 20, reports[^1].BytesDone);
        Assert.AreEqual(5.0 * (1 << 20), reports[1].BytesPerSecond, 1);
        Assert.AreEqual("Uploading blob abc to r.example/team/app: 25.0 MiB of 100.0 MiB (25%), 5.0 MiB/s", reports[0].Message);

        var quiet = new List<RegistryProgress>();
        var small = new TransferMeter(new SyncProgress(quiet), RegistryProgressKind.Download, "r", "x", "blob", 10, TimeSpan.FromSeconds(5), time);
        small.Add(10);
        Assert.IsEmpty(quiet, "a transfer shorter than the interval says nothing");
    }

    [TestMethod]
    public void Transient_failures_are_told_from_ones_that_fail_the_same_way_again()
    {
        Assert.IsTrue(RetryPolicy.IsTransient(new HttpRequestException(HttpRequestError.ConnectionError, "refused")));
        Assert.IsTrue(RetryPolicy.IsTransient(new HttpRequestException(HttpRequestError.ResponseEnded, "cut")));
        Assert.IsTrue(RetryPolicy.IsTransient(new TimeoutException()));
        Assert.IsTrue(RetryPolicy.IsTransient(new IOException("reset", new SocketException((int)SocketError.ConnectionReset))));
        Assert.IsFalse(RetryPolicy.IsTransient(new HttpRequestException(HttpRequestError.SecureConnectionError, "untrusted")));
        Assert.IsFalse(RetryPolicy.IsTransient(new HttpRequestException(HttpRequestError.NameResolutionError, "no such host")));
        Assert.IsFalse(RetryPolicy.IsTransient(new HttpRequestException(HttpRequestError.ProxyTunnelError, "403 from proxy")));
        Assert.IsFalse(RetryPolicy.IsTransient(new InvalidOperationException()));
        Assert.IsTrue(RetryPolicy.IsTransient(HttpStatusCode.TooManyRequests));
        Assert.IsFalse(RetryPolicy.IsTransient(HttpStatusCode.BadRequest));
    }

    [TestMethod]
    public void Challenges_with_several_scopes_and_an_error_are_read_whole()
    {
        var response = new HttpResponseMessage(HttpStatusCode.Unauthorized);
        response.Headers.TryAddWithoutValidation("WWW-Authenticate",
            "Bearer realm=\"https://auth.example/token\",service=\"reg\",scope=\"repository:team/app:pull,push repository:global/base:pull\",error=\"insufficient_scope\"");
        var challenge = AuthChallenge.From(response)!;
        Assert.IsTrue(challenge.IsBearer);
        CollectionAssert.AreEqual(new[] { "repository:team/app:pull,push", "repository:global/base:pull" }, challenge.Scopes.ToArray());
        Assert.AreEqual("insufficient_scope", challenge.Error);
        Assert.AreEqual("a\"b", AuthChallenge.ParseParameters("""x="a\"b" """)["x"]);
    }

    [TestMethod]
    public void What_a_token_grants_is_read_for_the_message()
    {
        static string Part(string json) => Convert.ToBase64String(Encoding.UTF8.GetBytes(json)).TrimEnd('=').Replace('+', '-').Replace('/', '_');
        var jwt = $"{Part("{}")}.{Part("""{"access":[{"type":"repository","name":"global/runtime","actions":["pull"]}]}""")}.sig";
        Assert.AreEqual("repository:global/runtime:pull", AuthenticationHandler.Granted(jwt));
        Assert.IsNull(AuthenticationHandler.Granted("opaque-token"));
    }

    [TestMethod]
    [DataRow("localhost:5000", "localhost", true)]
    [DataRow("registry.corp.example", "registry.corp.example", false)]
    [DataRow("registry.corp.example:443", "registry.corp.example", false)]
    [DataRow("[::1]:5000", "::1", true)]
    [DataRow("127.0.0.1:5000", "127.0.0.1", true)]
    public void Registry_hosts_are_split_from_their_port(string registry, string host, bool loopback)
    {
        Assert.AreEqual(host, RegistryHost.HostOf(registry));
        Assert.AreEqual(loopback, RegistryHost.IsLoopback(RegistryHost.HostOf(registry)));
    }

    [TestMethod]
    public void Docker_Hub_is_reached_at_registry_1_and_others_where_they_are_named()
    {
        using var hub = new RegistryTransport("docker.io", new RegistryClientOptions { Credentials = RegistryCredentials.None });
        Assert.AreEqual(new Uri("https://registry-1.docker.io/v2/"), hub.BaseUri);
        using var other = new RegistryTransport("ghcr.io", new RegistryClientOptions { Credentials = RegistryCredentials.None });
        Assert.AreEqual(new Uri("https://ghcr.io/v2/"), other.BaseUri);
    }

    [TestMethod]
    public void The_registry_timeout_is_whole_seconds_with_a_documented_default()
    {
        Assert.AreEqual(TimeSpan.FromSeconds(60), RegistryClientOptions.ParseTimeout(null));
        Assert.AreEqual(TimeSpan.FromSeconds(60), new RegistryClientOptions().RequestTimeout);
        Assert.AreEqual(TimeSpan.FromSeconds(15), RegistryClientOptions.ParseTimeout(" 15 "));
        StringAssert.Contains(Assert.ThrowsExactly<FormatException>(() => RegistryClientOptions.ParseTimeout("0")).Message, "whole number of seconds");
        Assert.ThrowsExactly<FormatException>(() => RegistryClientOptions.ParseTimeout("2.5"));
    }
}
