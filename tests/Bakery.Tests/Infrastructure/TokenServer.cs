using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace Bakery.Tests.Infrastructure;

/// <summary>
/// A Docker-registry token service on loopback, as CNCF Distribution's <c>auth: token</c> expects one:
/// GET with Basic credentials, and OAuth2 POST (<c>grant_type=password</c> and <c>refresh_token</c>),
/// issuing ES256 JWTs with an <c>x5c</c> chain to the CA in its root bundle, granting each user the
/// actions its rules allow per repository (the intersection of what was asked). It records every
/// request, and can misbehave on purpose: refuse GET (as GCR does), issue tokens that expire early.
/// </summary>
internal sealed class TokenServer : IAsyncDisposable
{
    public const string Service = "bakery-test-registry";
    public const string Issuer = "bakery-test-token-issuer";

    private readonly WebApplication _app;
    private readonly X509Certificate2 _signer;
    private readonly ECDsa _signingKey;
    private readonly Dictionary<string, (string Password, List<Grant> Grants)> _users = new(StringComparer.Ordinal);
    private readonly Dictionary<string, string> _refreshTokens = new(StringComparer.Ordinal);
    private readonly List<Grant> _anonymous = [];
    private readonly List<TokenRequest> _requests = [];

    /// <summary>What a user may do in the repositories matching a pattern (exact, or ending in <c>*</c>).</summary>
    public sealed record Grant(string RepositoryPattern, params string[] Actions)
    {
        public bool Covers(string repository) =>
            RepositoryPattern.EndsWith('*') ? repository.StartsWith(RepositoryPattern[..^1], StringComparison.Ordinal) : repository == RepositoryPattern;
    }

    public sealed record TokenRequest(string Method, string? GrantType, string? User, IReadOnlyList<string> Scopes, string Granted, int Status);

    private TokenServer(WebApplication app, int port, string host, bool https, X509Certificate2 signer, string rootBundle)
    {
        _app = app;
        Port = port;
        Realm = $"{(https ? "https" : "http")}://{host}:{port}/token";
        _signer = signer;
        _signingKey = signer.GetECDsaPrivateKey()!;
        RootBundlePath = rootBundle;
    }

    public int Port { get; }

    /// <summary>The realm registries name in their challenge.</summary>
    public string Realm { get; }

    /// <summary>The CA bundle Distribution's <c>rootcertbundle</c> points at.</summary>
    public string RootBundlePath { get; }

    /// <summary>The JWT's <c>exp</c>: how long Distribution accepts a token (plus its 60 s leeway).</summary>
    public TimeSpan TokenLifetime { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>The <c>expires_in</c> told to clients; null tells the truth.</summary>
    public int? ReportedExpiresIn { get; set; }

    /// <summary>When set, the next tokens' <c>exp</c> lies this far in the past (Distribution rejects them after its leeway).</summary>
    public TimeSpan? Backdate { get; set; }

    /// <summary>Answer GET with 404, as token services that only speak OAuth2 POST do.</summary>
    public bool RefuseGet { get; set; }

    /// <summary>Answer 200 with no token in it: a token service that is broken in its own way.</summary>
    public bool OmitToken { get; set; }

    public IReadOnlyList<TokenRequest> Requests
    {
        get { lock (_requests) return [.. _requests]; }
    }

    public static async Task<TokenServer> StartAsync(TestCertificateAuthority ca, string directory, string host = "localhost", X509Certificate2? tls = null)
    {
        var port = RegistryProcess.FreePort();
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(k => k.Listen(IPAddress.Loopback, port, listen =>
        {
            if (tls is not null) listen.UseHttps(tls);
        }));
        var app = builder.Build();
        var signer = ca.Issue("bakery test token signer", [], serverAuth: false);
        var server = new TokenServer(app, port, host, tls is not null, signer, ca.WriteCertificatePem(directory, "token-root.pem"));
        app.MapGet("/token", server.GetAsync);
        app.MapPost("/token", server.PostAsync);
        await app.StartAsync();
        return server;
    }

    public void AddUser(string user, string password, params Grant[] grants)
    {
        lock (_users) _users[user] = (password, [.. grants]);
    }

    public void AllowAnonymous(params Grant[] grants)
    {
        lock (_users) _anonymous.AddRange(grants);
    }

    /// <summary>An identity (refresh) token for a user, as <c>docker login</c> with a token or <c>az acr login</c> stores it.</summary>
    public string IssueIdentityToken(string user)
    {
        var token = "refresh-" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16));
        lock (_users) _refreshTokens[token] = user;
        return token;
    }

    public int Count(Func<TokenRequest, bool> predicate) => Requests.Count(predicate);

    /// <summary>The last token issued, for probing the registry with it directly.</summary>
    public string? LastToken { get; private set; }

    private async Task GetAsync(HttpContext context)
    {
        var scopes = context.Request.Query["scope"].Where(s => s is not null).SelectMany(s => s!.Split(' ', StringSplitOptions.RemoveEmptyEntries)).ToList();
        if (RefuseGet)
        {
            Record("GET", null, null, scopes, "", 404);
            context.Response.StatusCode = 404;
            return;
        }
        string? user = null;
        var header = context.Request.Headers.Authorization.ToString();
        if (header.StartsWith("Basic ", StringComparison.Ordinal))
        {
            var decoded = Encoding.UTF8.GetString(Convert.FromBase64String(header[6..]));
            var colon = decoded.IndexOf(':');
            user = decoded[..Math.Max(colon, 0)];
            if (colon < 0 || !Valid(user, decoded[(colon + 1)..]))
            {
                Record("GET", null, user, scopes, "", 401);
                context.Response.StatusCode = 401;
                context.Response.Headers.WWWAuthenticate = "Basic realm=\"bakery-test-token\"";
                return;
            }
        }
        await IssueAsync(context, "GET", null, user, scopes, context.Request.Query["offline_token"] == "true", context.Request.Query["service"].ToString());
    }

    private async Task PostAsync(HttpContext context)
    {
        var form = await context.Request.ReadFormAsync();
        var grant = form["grant_type"].ToString();
        var scopes = form["scope"].ToString().Split(' ', StringSplitOptions.RemoveEmptyEntries).ToList();
        string? user;
        if (grant == "password")
        {
            user = form["username"].ToString();
            if (!Valid(user, form["password"].ToString())) { Record("POST", grant, user, scopes, "", 401); context.Response.StatusCode = 401; return; }
        }
        else if (grant == "refresh_token")
        {
            lock (_users) user = _refreshTokens.TryGetValue(form["refresh_token"].ToString(), out var owner) ? owner : null;
            if (user is null) { Record("POST", grant, null, scopes, "", 401); context.Response.StatusCode = 401; return; }
        }
        else
        {
            Record("POST", grant, null, scopes, "", 400);
            context.Response.StatusCode = 400;
            return;
        }
        await IssueAsync(context, "POST", grant, user, scopes, form["access_type"] == "offline", form["service"].ToString());
    }

    private bool Valid(string user, string password)
    {
        lock (_users) return _users.TryGetValue(user, out var entry) && entry.Password == password;
    }

    /// <summary>Issues a token for the registry that asked (its <c>service</c> is the token's audience: one registry's token is no good at another).</summary>
    private async Task IssueAsync(HttpContext context, string method, string? grant, string? user, List<string> scopes, bool offline, string service)
    {
        var access = new JsonArray();
        var granted = new List<string>();
        List<Grant> rules;
        lock (_users) rules = user is null ? [.. _anonymous] : [.. _users[user].Grants, .. _anonymous];
        foreach (var scope in scopes)
        {
            var first = scope.IndexOf(':');
            var last = scope.LastIndexOf(':');
            if (first < 0 || last <= first) continue;
            var (type, name, actions) = (scope[..first], scope[(first + 1)..last], scope[(last + 1)..].Split(','));
            var allowed = type == "repository"
                ? actions.Where(a => rules.Any(r => r.Covers(name) && r.Actions.Contains(a))).Distinct().ToArray()
                : [];
            if (allowed.Length == 0) continue;
            access.Add(new JsonObject { ["type"] = type, ["name"] = name, ["actions"] = new JsonArray(allowed.Select(a => (JsonNode)a).ToArray()) });
            granted.Add($"{type}:{name}:{string.Join(',', allowed)}");
        }
        var now = DateTimeOffset.UtcNow - (Backdate ?? TimeSpan.Zero);
        var claims = new JsonObject
        {
            ["iss"] = Issuer,
            ["sub"] = user ?? "",
            ["aud"] = string.IsNullOrEmpty(service) ? Service : service,
            ["exp"] = (now + TokenLifetime).ToUnixTimeSeconds(),
            ["nbf"] = now.AddSeconds(-5).ToUnixTimeSeconds(),
            ["iat"] = now.ToUnixTimeSeconds(),
            ["jti"] = Guid.NewGuid().ToString("N"),
            ["access"] = access,
        };
        var header = new JsonObject { ["typ"] = "JWT", ["alg"] = "ES256", ["x5c"] = new JsonArray(Convert.ToBase64String(_signer.RawData)) };
        var signingInput = $"{Base64Url(Encoding.UTF8.GetBytes(header.ToJsonString()))}.{Base64Url(Encoding.UTF8.GetBytes(claims.ToJsonString()))}";
        // JWS ES256: the raw r||s signature (IEEE P1363), which is .NET's default format.
        var signature = _signingKey.SignData(Encoding.ASCII.GetBytes(signingInput), HashAlgorithmName.SHA256);
        var jwt = $"{signingInput}.{Base64Url(signature)}";
        LastToken = jwt;
        var answer = new JsonObject
        {
            ["token"] = jwt,
            ["access_token"] = jwt,
            ["expires_in"] = ReportedExpiresIn ?? (int)TokenLifetime.TotalSeconds,
            ["issued_at"] = DateTimeOffset.UtcNow.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", System.Globalization.CultureInfo.InvariantCulture),
        };
        if (offline && user is not null) answer["refresh_token"] = IssueIdentityToken(user);
        if (OmitToken) { answer.Remove("token"); answer.Remove("access_token"); }
        Record(method, grant, user, scopes, string.Join(' ', granted), 200);
        context.Response.ContentType = "application/json";
        await context.Response.WriteAsync(answer.ToJsonString());
    }

    private void Record(string method, string? grant, string? user, IReadOnlyList<string> scopes, string granted, int status)
    {
        lock (_requests) _requests.Add(new TokenRequest(method, grant, user, scopes, granted, status));
    }

    private static string Base64Url(byte[] bytes) => Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
        _signingKey.Dispose();
        _signer.Dispose();
    }
}
