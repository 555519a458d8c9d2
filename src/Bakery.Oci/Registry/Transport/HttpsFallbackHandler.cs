namespace Bakery.Oci.Registry;

/// <summary>
/// For an insecure registry, as the .NET SDK does: HTTPS first (its certificate is not verified), and
/// when the TLS handshake fails, plain HTTP — remembered for every later request of the client, and for
/// a few minutes for every client of the process that reaches the registry the same way (<paramref name="route"/>:
/// directly or through one proxy), since a bake opens several and each would pay a failed handshake. A
/// registry named without a port is tried on 443, then on 80.
/// </summary>
internal sealed class HttpsFallbackHandler(string authority, string route, Action<string>? log, HttpMessageHandler inner) : DelegatingHandler(inner)
{
    private static readonly TimeSpan Remembered = TimeSpan.FromMinutes(5);
    private static readonly System.Collections.Concurrent.ConcurrentDictionary<string, DateTime> PlainHttpSeen = new(StringComparer.OrdinalIgnoreCase);
    private readonly string _host = RegistryHost.HostOf(authority);
    private readonly bool _explicitPort = RegistryHost.HasPort(authority);
    private readonly string _seenKey = Key(authority, route);
    private volatile bool _useHttp = PlainHttpSeen.TryGetValue(Key(authority, route), out var seen) && DateTime.UtcNow - seen < Remembered;

    /// <summary>The memo is per registry and route (directly, or through one proxy): a proxy may reach HTTPS where the direct route cannot.</summary>
    private static string Key(string authority, string route) => $"{authority} {route}";

    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken ct)
    {
        var uri = request.RequestUri!;
        if (uri.Scheme != Uri.UriSchemeHttps || !string.Equals(uri.IdnHost, _host, StringComparison.OrdinalIgnoreCase)) return await base.SendAsync(request, ct);
        if (_useHttp)
        {
            request.RequestUri = ToHttp(uri);
            return await base.SendAsync(request, ct);
        }
        try
        {
            return await base.SendAsync(request, ct);
        }
        catch (HttpRequestException e) when (e.HttpRequestError == HttpRequestError.SecureConnectionError
            || (!_explicitPort && e.HttpRequestError == HttpRequestError.ConnectionError))
        {
            request.RequestUri = ToHttp(uri);
            HttpResponseMessage response;
            try
            {
                response = await base.SendAsync(request, ct);
            }
            catch (HttpRequestException second) when (second.HttpRequestError == HttpRequestError.ConnectionError && e.HttpRequestError == HttpRequestError.SecureConnectionError)
            {
                // Neither works: the TLS failure says more than "connection refused" on the HTTP port.
                request.RequestUri = uri;
                System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(e);
                throw;
            }
            catch (HttpRequestException)
            {
                // HTTP answered and then failed (a reset): HTTP it is; the retry policy decides about this request.
                _useHttp = true;
                throw;
            }
            if (!_useHttp) log?.Invoke($"{authority} does not speak HTTPS; using plain HTTP, as for every insecure registry.");
            _useHttp = true;
            PlainHttpSeen[_seenKey] = DateTime.UtcNow;
            return response;
        }
    }

    private Uri ToHttp(Uri uri) => new UriBuilder(uri) { Scheme = Uri.UriSchemeHttp, Port = _explicitPort ? uri.Port : -1 }.Uri;
}
