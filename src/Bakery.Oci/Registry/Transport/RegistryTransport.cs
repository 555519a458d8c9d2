using System.Net;
using System.Net.Sockets;

namespace Bakery.Oci.Registry;

/// <summary>
/// The HTTP pipeline of one registry client, apart from the API it speaks:
/// retry (timeouts, "still waiting", the retry policy) → authentication (challenges, tokens per scope)
/// → HTTPS-to-HTTP fallback for insecure registries → sockets (proxy, certificate trust, fixed host
/// addresses). Token requests take the same sockets through their own retry handler.
/// </summary>
internal sealed class RegistryTransport : IDisposable
{
    private readonly SocketsHttpHandler _sockets;
    private readonly HttpMessageInvoker _tokenInvoker;
    private readonly AuthenticationHandler _auth;

    public RegistryTransport(string registry, RegistryClientOptions options)
    {
        var authority = RegistryHost.ApiAuthority(registry);
        var insecure = options.IsInsecure(registry);
        BaseUri = new Uri($"https://{authority}/v2/");
        var failures = new TransportFailures(registry, options.Proxy, options.Trust, options.RequestTimeout, insecure ? RegistryHost.HostOf(authority) : null);
        _sockets = new SocketsHttpHandler
        {
            ConnectTimeout = options.ConnectTimeout,
            AllowAutoRedirect = true,
            AutomaticDecompression = DecompressionMethods.None,
            UseProxy = true,
            Proxy = options.Proxy,
            PooledConnectionIdleTimeout = TimeSpan.FromSeconds(30),
            SslOptions = { RemoteCertificateValidationCallback = failures.ValidateCertificate },
        };
        if (options.HostAddresses.Count > 0) _sockets.ConnectCallback = ConnectWith(options.HostAddresses);

        HttpMessageHandler toRegistry = insecure ? new HttpsFallbackHandler(authority, Route(options.Proxy, BaseUri), options.Detail, _sockets) : _sockets;
        _tokenInvoker = new HttpMessageInvoker(new RetryHandler(registry, options, failures, _sockets), disposeHandler: false);
        var tokens = new TokenService(registry, insecure, _tokenInvoker, options);
        _auth = new AuthenticationHandler(registry, options.Role, options.Credentials, tokens, options, toRegistry);
        Http = new HttpClient(new RetryHandler(registry, options, failures, _auth), disposeHandler: false) { Timeout = Timeout.InfiniteTimeSpan };
        Http.DefaultRequestHeaders.UserAgent.ParseAdd("Bakery.Sdk/1.0");
    }

    /// <summary><c>https://host[:port]/v2/</c> (an insecure registry falls back to http per request).</summary>
    public Uri BaseUri { get; }

    public HttpClient Http { get; }

    public int TokensFetched => _auth.TokensFetched;

    /// <summary>How requests to <paramref name="uri"/> leave: "direct" or the proxy's address.</summary>
    private static string Route(IWebProxy? proxy, Uri uri) =>
        proxy is null || proxy.IsBypassed(uri) ? "direct" : proxy.GetProxy(uri)?.ToString() ?? "direct";

    /// <summary>Connects the listed host names to their fixed address; every other name through DNS as usual.</summary>
    private static Func<SocketsHttpConnectionContext, CancellationToken, ValueTask<Stream>> ConnectWith(IReadOnlyDictionary<string, IPAddress> addresses) =>
        Connector(new Dictionary<string, IPAddress>(addresses, StringComparer.OrdinalIgnoreCase));

    private static Func<SocketsHttpConnectionContext, CancellationToken, ValueTask<Stream>> Connector(Dictionary<string, IPAddress> addresses) =>
        async (context, ct) =>
        {
            var endpoint = context.DnsEndPoint;
            var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
            try
            {
                if (addresses.TryGetValue(endpoint.Host, out var address)) await socket.ConnectAsync(new IPEndPoint(address, endpoint.Port), ct);
                else await socket.ConnectAsync(endpoint, ct);
                return new NetworkStream(socket, ownsSocket: true);
            }
            catch
            {
                socket.Dispose();
                throw;
            }
        };

    public void Dispose()
    {
        Http.Dispose();
        _tokenInvoker.Dispose();
        _auth.Dispose();
        _sockets.Dispose();
    }
}
