using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;

namespace Bakery.Oci.Registry;

/// <summary>A bearer token for a set of scopes, and when it must be fetched again.</summary>
internal sealed record BearerToken(string Token, DateTimeOffset ExpiresAt)
{
    public AuthenticationHeaderValue Header { get; } = new("Bearer", Token);
}

/// <summary>
/// Gets bearer tokens from the realm a registry names, as the Docker token specification and its
/// OAuth2 variant describe: an identity token is exchanged by POST (<c>grant_type=refresh_token</c>);
/// a user and password go by GET with Basic auth, and by POST (<c>grant_type=password</c>) when the GET
/// is refused; without credentials the GET is anonymous. The realm is checked first: credentials go
/// to another host only over HTTPS, and never to a private address the registry is not on.
/// </summary>
internal sealed class TokenService(string registry, bool registryInsecure, HttpMessageInvoker http, RegistryClientOptions options)
{
    private const string ClientId = "bakery-sdk";
    private const long MaxTokenAnswer = 1024 * 1024;

    public async Task<BearerToken> FetchAsync(AuthChallenge challenge, IReadOnlyList<string> scopes, CredentialLookup lookup, string repository, CancellationToken ct)
    {
        var realm = ValidateRealm(challenge.Realm, repository);
        var credential = lookup.Credential;
        var scopeText = scopes.Count > 0 ? string.Join(' ', scopes) : "the registry";
        if (credential?.IdentityToken is { Length: > 0 } identity)
        {
            var (token, status) = await PostAsync(realm, challenge.Service, scopes, repository, ct,
                ("grant_type", "refresh_token"), ("refresh_token", identity));
            return token ?? throw Refused(realm, lookup, scopeText, repository, $"POST {status}",
                status is 400 or 401 or 403 ? "the identity token was refused: log in again to get a new one" : null);
        }
        var (got, getStatus) = await GetAsync(realm, challenge.Service, scopes, credential, repository, ct);
        if (got is not null) return got;
        if (credential is null)
        {
            if (getStatus is 401 or 403)
                throw new RegistryException(RegistryFailure.Unauthorized, registry, repository,
                    $"Registry {registry} requires authentication for {repository} and no credentials were found (looked in {Searched(lookup)}).", getStatus);
            throw Failed(realm, repository, $"GET {getStatus}");
        }
        if (getStatus is 400 or 401 or 403 or 404 or 405)
        {
            options.Detail?.Invoke($"The token service {realm.GetLeftPart(UriPartial.Path)} refused the GET ({getStatus}); trying OAuth2 POST with the password.");
            var (posted, postStatus) = await PostAsync(realm, challenge.Service, scopes, repository, ct,
                ("grant_type", "password"), ("username", credential.Username), ("password", credential.Password));
            if (posted is not null) return posted;
            if (getStatus is 401 or 403 || postStatus is 400 or 401 or 403)
                throw Refused(realm, lookup, scopeText, repository, $"GET {getStatus}, POST {postStatus}", null);
            throw Failed(realm, repository, $"GET {getStatus}, POST {postStatus}");
        }
        throw Failed(realm, repository, $"GET {getStatus}");
    }

    private async Task<(BearerToken? Token, int Status)> GetAsync(Uri realm, string? service, IReadOnlyList<string> scopes, RegistryCredential? credential,
        string repository, CancellationToken ct)
    {
        var query = new List<string>();
        if (service is not null) query.Add("service=" + Uri.EscapeDataString(service));
        query.AddRange(scopes.Select(s => "scope=" + Uri.EscapeDataString(s)));
        if (credential is not null) query.Add("account=" + Uri.EscapeDataString(credential.Username));
        var builder = new UriBuilder(realm);
        var existing = builder.Query.TrimStart('?');
        builder.Query = string.Join('&', (existing.Length > 0 ? [existing] : Array.Empty<string>()).Concat(query));
        using var request = Request(HttpMethod.Get, builder.Uri, repository, scopes);
        if (credential is not null)
            request.Headers.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes($"{credential.Username}:{credential.Password}")));
        return await SendAsync(request, realm, repository, ct);
    }

    private async Task<(BearerToken? Token, int Status)> PostAsync(Uri realm, string? service, IReadOnlyList<string> scopes, string repository,
        CancellationToken ct, params (string Key, string Value)[] grant)
    {
        var form = new List<KeyValuePair<string, string>>(grant.Select(g => KeyValuePair.Create(g.Key, g.Value)))
        {
            KeyValuePair.Create("client_id", ClientId),
        };
        if (service is not null) form.Add(KeyValuePair.Create("service", service));
        if (scopes.Count > 0) form.Add(KeyValuePair.Create("scope", string.Join(' ', scopes)));
        using var request = Request(HttpMethod.Post, realm, repository, scopes);
        request.Content = new FormUrlEncodedContent(form);
        return await SendAsync(request, realm, repository, ct);
    }

    private static HttpRequestMessage Request(HttpMethod method, Uri uri, string repository, IReadOnlyList<string> scopes)
    {
        var request = new HttpRequestMessage(method, uri);
        request.Options.Set(RegistryRequest.Repository, repository);
        request.Options.Set(RegistryRequest.Action, $"issue a token for {string.Join(' ', scopes)}");
        request.Options.Set(RegistryRequest.BufferUpTo, MaxTokenAnswer);
        return request;
    }

    private async Task<(BearerToken? Token, int Status)> SendAsync(HttpRequestMessage request, Uri realm, string repository, CancellationToken ct)
    {
        var asked = options.Time.GetUtcNow();
        using var response = await http.SendAsync(request, ct);
        if (!response.IsSuccessStatusCode) return (null, (int)response.StatusCode);
        var bytes = await response.Content.ReadAsByteArrayAsync(ct);
        try
        {
            using var doc = JsonDocument.Parse(bytes);
            var root = doc.RootElement;
            string? token = null;
            foreach (var name in new[] { "token", "access_token" })
                if (root.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String && value.GetString() is { Length: > 0 } found)
                {
                    token = found;
                    break;
                }
            if (token is null) throw Failed(realm, repository, "an answer without a token");
            // The spec's default lifetime is 60 s. Timed from our own clock: a token service's issued_at may be skewed.
            var lifetime = root.TryGetProperty("expires_in", out var expires) && expires.ValueKind == JsonValueKind.Number && expires.TryGetInt32(out var seconds) && seconds > 0
                ? TimeSpan.FromSeconds(seconds) : TimeSpan.FromSeconds(60);
            var margin = TimeSpan.FromTicks(Math.Min(lifetime.Ticks / 10, TimeSpan.FromSeconds(10).Ticks));
            return (new BearerToken(token, asked + lifetime - margin), (int)response.StatusCode);
        }
        catch (JsonException)
        {
            throw Failed(realm, repository, "an answer that is not JSON");
        }
    }

    /// <summary>
    /// A realm must be an absolute http(s) URL. Plain HTTP only for an insecure registry whose realm is on
    /// its own host; an IP-literal realm on a private, link-local or loopback address only when the
    /// registry is on that same host.
    /// </summary>
    internal Uri ValidateRealm(string? realm, string repository)
    {
        if (realm is null || !Uri.TryCreate(realm, UriKind.Absolute, out var uri) || (uri.Scheme != Uri.UriSchemeHttps && uri.Scheme != Uri.UriSchemeHttp))
            throw new RegistryException(RegistryFailure.TokenService, registry, repository,
                $"Registry {registry} asked for a bearer token but named no usable token service (realm '{realm}').");
        var registryHost = RegistryHost.HostOf(RegistryHost.ApiAuthority(registry));
        var sameHost = RegistryHost.SameHost(uri.IdnHost, registryHost);
        if (uri.Scheme == Uri.UriSchemeHttp && !(registryInsecure && sameHost))
            throw new RegistryException(RegistryFailure.UnsafeRealm, registry, repository,
                sameHost
                    ? $"Registry {registry} is spoken to over HTTPS but names the token service {uri.GetLeftPart(UriPartial.Path)} over plain HTTP; credentials are not sent there."
                    : $"Registry {registry} names the token service {uri.GetLeftPart(UriPartial.Path)}, on another host over plain HTTP; credentials are not sent there. A token service on another host must use HTTPS.");
        if (IPAddress.TryParse(uri.IdnHost, out var ip) && IsPrivate(ip) && !sameHost)
            throw new RegistryException(RegistryFailure.UnsafeRealm, registry, repository,
                $"Registry {registry} names the token service {uri.GetLeftPart(UriPartial.Path)}, a private address it is not on; credentials are not sent there.");
        return uri;
    }

    private static bool IsPrivate(IPAddress ip)
    {
        if (ip.IsIPv4MappedToIPv6) ip = ip.MapToIPv4();
        if (IPAddress.IsLoopback(ip) || ip.IsIPv6LinkLocal || ip.IsIPv6SiteLocal || ip.IsIPv6UniqueLocal || ip.Equals(IPAddress.IPv6Any)) return true;
        return new[] { "0.0.0.0/8", "10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "169.254.0.0/16" }.Any(n => IPNetwork.Parse(n).Contains(ip));
    }

    private RegistryException Refused(Uri realm, CredentialLookup lookup, string scopes, string repository, string statuses, string? advice) =>
        new(RegistryFailure.Unauthorized, registry, repository,
            $"Registry {registry} refused the credentials from {lookup.Source} for {repository}: its token service {realm.GetLeftPart(UriPartial.Path)} gave no token for {scopes} ({statuses}){(advice is null ? "" : "; " + advice)}.", 401);

    private RegistryException Failed(Uri realm, string repository, string what) =>
        new(RegistryFailure.TokenService, registry, repository,
            $"The token service {realm.GetLeftPart(UriPartial.Path)} of registry {registry} gave no token ({what}).");

    private static string Searched(CredentialLookup lookup) => lookup.Searched.Count == 0 ? "nowhere" : string.Join(", ", lookup.Searched);
}
