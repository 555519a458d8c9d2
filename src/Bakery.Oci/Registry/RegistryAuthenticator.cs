using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;

namespace Bakery.Oci.Registry;

/// <summary>
/// Answers a registry's 401 challenge: Basic with the credentials we have, or Bearer by fetching a
/// token from the realm the registry names (with Basic credentials when we have them).
/// Tokens are kept per scope for the client's lifetime.
/// </summary>
internal sealed class RegistryAuthenticator(string registry, RegistryCredential? credential, HttpClient http)
{
    private readonly Dictionary<string, AuthenticationHeaderValue> _byScope = new(StringComparer.Ordinal);
    private AuthenticationHeaderValue? _basic;

    public bool HasCredential => credential is not null;

    public AuthenticationHeaderValue? CurrentFor(string scope) =>
        _byScope.TryGetValue(scope, out var header) ? header : _basic;

    /// <summary>Returns the header to retry with, or null when the challenge cannot be answered.</summary>
    public async Task<AuthenticationHeaderValue?> AnswerAsync(HttpResponseMessage challenge, string repository, string scope, CancellationToken ct)
    {
        foreach (var header in challenge.Headers.WwwAuthenticate)
        {
            if (header.Scheme.Equals("Basic", StringComparison.OrdinalIgnoreCase))
            {
                if (credential is null) return null;
                _basic = BasicHeader(credential);
                return _basic;
            }
            if (header.Scheme.Equals("Bearer", StringComparison.OrdinalIgnoreCase))
            {
                var token = await FetchTokenAsync(ParseParameters(header.Parameter ?? ""), repository, scope, ct);
                var bearer = new AuthenticationHeaderValue("Bearer", token);
                _byScope[scope] = bearer;
                return bearer;
            }
        }
        return null;
    }

    private async Task<string> FetchTokenAsync(Dictionary<string, string> parameters, string repository, string scope, CancellationToken ct)
    {
        if (!parameters.TryGetValue("realm", out var realm))
            throw new RegistryException(RegistryFailure.Unauthorized, registry, repository, $"Registry {registry} asked for a bearer token but named no realm to get it from.");
        var query = new List<string>();
        if (parameters.TryGetValue("service", out var service)) query.Add("service=" + Uri.EscapeDataString(service));
        query.Add("scope=" + Uri.EscapeDataString(parameters.TryGetValue("scope", out var challengeScope) ? challengeScope : scope));
        var uri = realm + (realm.Contains('?') ? "&" : "?") + string.Join('&', query);
        using var request = new HttpRequestMessage(HttpMethod.Get, uri);
        if (credential is not null) request.Headers.Authorization = BasicHeader(credential);
        using var response = await http.SendAsync(request, ct);
        if (!response.IsSuccessStatusCode)
            throw new RegistryException(RegistryFailure.Unauthorized, registry, repository,
                $"The token service {realm} refused a token for {scope} ({(int)response.StatusCode}).", (int)response.StatusCode);
        using var doc = JsonDocument.Parse(await response.Content.ReadAsByteArrayAsync(ct));
        foreach (var name in new[] { "token", "access_token" })
            if (doc.RootElement.TryGetProperty(name, out var value) && value.GetString() is { Length: > 0 } token)
                return token;
        throw new RegistryException(RegistryFailure.Unauthorized, registry, repository, $"The token service {realm} answered without a token.");
    }

    private static AuthenticationHeaderValue BasicHeader(RegistryCredential c) =>
        new("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes($"{c.Username}:{c.Password}")));

    /// <summary>Parses <c>realm="…",service="…",scope="…"</c> (values may contain commas inside quotes).</summary>
    internal static Dictionary<string, string> ParseParameters(string text)
    {
        var result = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        var i = 0;
        while (i < text.Length)
        {
            while (i < text.Length && (text[i] == ',' || text[i] == ' ')) i++;
            var eq = text.IndexOf('=', i);
            if (eq < 0) break;
            var key = text[i..eq].Trim();
            i = eq + 1;
            string value;
            if (i < text.Length && text[i] == '"')
            {
                var end = text.IndexOf('"', i + 1);
                if (end < 0) end = text.Length;
                value = text[(i + 1)..end];
                i = end + 1;
            }
            else
            {
                var end = text.IndexOf(',', i);
                if (end < 0) end = text.Length;
                value = text[i..end].Trim();
                i = end;
            }
            result[key] = value;
        }
        return result;
    }
}
