using System.Collections.Concurrent;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;

namespace Bakery.Oci.Registry;

/// <summary>
/// Answers the registry's 401 challenges (as the .NET SDK's AuthHandshakeMessageHandler does): Basic
/// with the credentials found for the client's role, or Bearer with a token from the registry's token
/// service. Credentials are looked up only when a challenge asks for them. Tokens are kept per scope
/// and reused until they expire; once the registry's token service is known, a token for a new scope
/// is fetched before the request rather than after a 401. A token the registry rejects (expired
/// early, revoked) is fetched again once.
/// </summary>
internal sealed class AuthenticationHandler(string registry, RegistryRole role, RegistryCredentials credentials, TokenService tokens,
    RegistryClientOptions options, HttpMessageHandler inner) : DelegatingHandler(inner)
{
    private readonly string _apiHost = RegistryHost.HostOf(RegistryHost.ApiAuthority(registry));
    private readonly ConcurrentDictionary<string, BearerToken> _tokens = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, SemaphoreSlim> _fetching = new(StringComparer.Ordinal);
    private readonly SemaphoreSlim _lookupGate = new(1, 1);
    private CredentialLookup? _lookup;
    private RegistryException? _lookupFailure;
    private volatile AuthChallenge? _tokenService;
    private volatile AuthenticationHeaderValue? _basic;
    private int _tokensFetched;

    /// <summary>Tokens fetched from the token service by this client (reused tokens count once).</summary>
    public int TokensFetched => Volatile.Read(ref _tokensFetched);

    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken ct)
    {
        if (!string.Equals(request.RequestUri!.IdnHost, _apiHost, StringComparison.OrdinalIgnoreCase)) return await base.SendAsync(request, ct);
        var scope = RegistryRequest.ScopeOf(request) ?? "";
        var repository = RegistryRequest.RepositoryOf(request);
        var presented = await HeaderForAsync(scope, repository, ct);
        request.Headers.Authorization = presented;
        var response = await base.SendAsync(request, ct);
        if (response.StatusCode != HttpStatusCode.Unauthorized || AuthChallenge.From(response) is not { } challenge) return response;
        if (!RegistryRequest.CanReplayBody(request))
        {
            // The body cannot be sent again; the uploader resumes its session, and the next request gets a fresh token.
            Forget(scope, presented);
            return response;
        }
        await DrainAsync(response, ct);
        var answer = await AnswerAsync(challenge, scope, repository, presented, ct);
        request.Headers.Authorization = answer;
        response = await base.SendAsync(request, ct);
        if (response.StatusCode != HttpStatusCode.Unauthorized) return response;
        var refusal = AuthChallenge.From(response) ?? challenge;
        response.Dispose();
        throw await RefusedAsync(refusal, repository, scope, answer, ct);
    }

    private async Task<AuthenticationHeaderValue?> HeaderForAsync(string scope, string repository, CancellationToken ct)
    {
        if (scope.Length > 0 && _tokens.TryGetValue(scope, out var token) && options.Time.GetUtcNow() < token.ExpiresAt) return token.Header;
        if (scope.Length > 0 && _tokenService is { } service) return (await TokenForAsync(scope, service, repository, null, ct)).Header;
        return _basic;
    }

    private async Task<AuthenticationHeaderValue> AnswerAsync(AuthChallenge challenge, string scope, string repository, AuthenticationHeaderValue? presented, CancellationToken ct)
    {
        if (challenge.IsBasic)
        {
            var lookup = await LookupAsync(repository, ct);
            if (lookup.Credential is not { } credential) throw NoCredentials(repository, lookup);
            var basic = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes($"{credential.Username}:{credential.Password}")));
            _basic = basic;
            return basic;
        }
        // Remember the token service without this request's scope, for the scopes of later requests.
        var service = challenge with
        {
            Parameters = challenge.Parameters.Where(p => p.Key is not ("scope" or "error")).ToDictionary(p => p.Key, p => p.Value, StringComparer.OrdinalIgnoreCase),
        };
        _tokenService = service;
        return (await TokenForAsync(scope, challenge, repository, presented, ct)).Header;
    }

    private async Task<BearerToken> TokenForAsync(string scope, AuthChallenge challenge, string repository, AuthenticationHeaderValue? rejected, CancellationToken ct)
    {
        var gate = _fetching.GetOrAdd(scope, _ => new SemaphoreSlim(1, 1));
        await gate.WaitAsync(ct);
        try
        {
            if (_tokens.TryGetValue(scope, out var cached) && options.Time.GetUtcNow() < cached.ExpiresAt && cached.Header.Parameter != rejected?.Parameter)
                return cached;
            // The realm is checked before credentials are looked up: a hostile challenge never even starts a credential helper.
            tokens.ValidateRealm(challenge.Realm, repository);
            var lookup = await LookupAsync(repository, ct);
            var scopes = scope.Split(' ', StringSplitOptions.RemoveEmptyEntries).Concat(challenge.Scopes).Distinct(StringComparer.Ordinal).ToList();
            var token = await tokens.FetchAsync(challenge, scopes, lookup, repository, ct);
            _tokens[scope] = token;
            Interlocked.Increment(ref _tokensFetched);
            return token;
        }
        finally
        {
            gate.Release();
        }
    }

    private void Forget(string scope, AuthenticationHeaderValue? presented)
    {
        if (_tokens.TryGetValue(scope, out var token) && token.Header.Parameter == presented?.Parameter) _tokens.TryRemove(scope, out _);
    }

    private async Task<CredentialLookup> LookupAsync(string repository, CancellationToken ct)
    {
        await _lookupGate.WaitAsync(ct);
        try
        {
            if (_lookupFailure is { } failed) throw new RegistryException(failed.Failure, registry, repository, failed.Message);
            if (_lookup is { } found) return found;
            try
            {
                _lookup = credentials.Resolve(registry, role);
                if (_lookup.Credential is not null) options.Detail?.Invoke($"Credentials for {registry} from {_lookup.Source}.");
                return _lookup;
            }
            catch (RegistryException e)
            {
                _lookupFailure = e;
                throw new RegistryException(e.Failure, registry, repository, e.Message);
            }
        }
        finally
        {
            _lookupGate.Release();
        }
    }

    private RegistryException NoCredentials(string repository, CredentialLookup lookup) =>
        new(RegistryFailure.Unauthorized, registry, repository,
            $"Registry {registry} requires authentication for {repository} and no credentials were found (looked in {(lookup.Searched.Count == 0 ? "nowhere" : string.Join(", ", lookup.Searched))}).", 401);

    private async Task<RegistryException> RefusedAsync(AuthChallenge refusal, string repository, string scope, AuthenticationHeaderValue answer, CancellationToken ct)
    {
        var lookup = await LookupAsync(repository, ct);
        var who = lookup.Credential is null ? "anonymous requests" : $"the credentials from {lookup.Source}";
        if (answer.Scheme == "Basic")
            return new(RegistryFailure.Unauthorized, registry, repository, $"Registry {registry} refused {who} for {repository}.", 401);
        if (refusal.Error != "invalid_token" && (refusal.Error == "insufficient_scope" || refusal.Scopes.Count > 0))
        {
            var granted = Granted(answer.Parameter);
            return new(RegistryFailure.Unauthorized, registry, repository,
                $"Registry {registry} does not allow {who} to {Needed(refusal.Scopes.Count > 0 ? refusal.Scopes : scope.Split(' '))}"
                + (granted is null ? "." : $" (the token service granted {granted})."), 401);
        }
        return new(RegistryFailure.Unauthorized, registry, repository, $"Registry {registry} rejected the token issued to {who} for {repository}.", 401);
    }

    /// <summary>"push to team/app and pull from base/runtime" from scopes.</summary>
    private static string Needed(IEnumerable<string> scopes)
    {
        var parts = new List<string>();
        foreach (var scope in scopes)
        {
            var fields = scope.Split(':');
            if (fields.Length < 3) { parts.Add(scope); continue; }
            var name = string.Join(':', fields[1..^1]);
            var actions = fields[^1].Split(',');
            parts.Add(actions.Contains("push") ? $"push to {name}" : actions.Contains("pull") ? $"pull from {name}" : $"{fields[^1]} {name}");
        }
        return string.Join(" and ", parts);
    }

    /// <summary>What a JWT's <c>access</c> claim grants, read without verifying it (for the message only).</summary>
    internal static string? Granted(string? jwt)
    {
        var parts = jwt?.Split('.');
        if (parts is not { Length: 3 }) return null;
        try
        {
            var payload = parts[1].Replace('-', '+').Replace('_', '/');
            payload += new string('=', (4 - payload.Length % 4) % 4);
            using var doc = JsonDocument.Parse(Convert.FromBase64String(payload));
            if (!doc.RootElement.TryGetProperty("access", out var access) || access.ValueKind != JsonValueKind.Array) return null;
            var grants = access.EnumerateArray()
                .Select(a => $"{a.GetProperty("type").GetString()}:{a.GetProperty("name").GetString()}:{string.Join(',', a.GetProperty("actions").EnumerateArray().Select(x => x.GetString()))}")
                .ToList();
            return grants.Count == 0 ? "no access" : string.Join(" ", grants);
        }
        catch (Exception e) when (e is FormatException or JsonException or KeyNotFoundException or InvalidOperationException)
        {
            return null;
        }
    }

    private static async Task DrainAsync(HttpResponseMessage response, CancellationToken ct)
    {
        try { await response.Content.CopyToAsync(Stream.Null, ct); }
        catch (HttpRequestException) { }
        catch (IOException) { }
        response.Dispose();
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            _lookupGate.Dispose();
            foreach (var gate in _fetching.Values) gate.Dispose();
        }
        base.Dispose(disposing);
    }
}
