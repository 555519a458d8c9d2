using System.Net;

namespace Bakery.Oci.Registry;

/// <summary>
/// The forward proxy as <c>HttpClient</c>'s default proxy reads it from the environment: <c>https_proxy</c>
/// / <c>HTTPS_PROXY</c> for HTTPS, <c>http_proxy</c> / <c>HTTP_PROXY</c> for HTTP (the upper-case one is
/// ignored in a CGI request, as .NET does), <c>all_proxy</c> / <c>ALL_PROXY</c> for both, and
/// <c>no_proxy</c> / <c>NO_PROXY</c> for what goes direct. Lower case wins over upper case. Credentials in
/// the proxy URL (<c>http://user:password@proxy:3128</c>) answer the proxy's 407. Loopback is always direct.
/// Without any of these variables the platform's default proxy applies (Windows and macOS settings).
/// </summary>
public sealed class EnvironmentProxy : IWebProxy
{
    private readonly IWebProxy? _platform;
    private readonly NoProxyList _bypass;
    private readonly CredentialCache _credentials = new();

    public EnvironmentProxy(IReadOnlyDictionary<string, string?> environment, IWebProxy? platformDefault = null)
    {
        string? Get(string name) => environment.TryGetValue(name, out var value) && !string.IsNullOrWhiteSpace(value) ? value.Trim() : null;
        (Uri Uri, string Source)? Pick(params string[] names)
        {
            foreach (var name in names)
                if (Get(name) is { } value && ParseProxy(value) is { } uri) return (uri, name);
            return null;
        }
        var cgi = Get("REQUEST_METHOD") is not null;
        var https = Pick("https_proxy", "HTTPS_PROXY", "all_proxy", "ALL_PROXY");
        var http = cgi ? Pick("http_proxy", "all_proxy", "ALL_PROXY") : Pick("http_proxy", "HTTP_PROXY", "all_proxy", "ALL_PROXY");
        (HttpsProxy, HttpsSource) = https is { } s ? (s.Uri, s.Source) : (null, null);
        (HttpProxy, HttpSource) = http is { } h ? (h.Uri, h.Source) : (null, null);
        var noProxy = Get("no_proxy") is { } lower ? (lower, "no_proxy") : Get("NO_PROXY") is { } upper ? (upper, "NO_PROXY") : ("", null);
        _bypass = NoProxyList.Parse(noProxy.Item1);
        NoProxySource = noProxy.Item2;
        foreach (var uri in new[] { HttpsProxy, HttpProxy })
            if (uri is { UserInfo.Length: > 0 } && _credentials.GetCredential(uri, "Basic") is null)
            {
                var parts = uri.UserInfo.Split(':', 2);
                var credential = new NetworkCredential(Uri.UnescapeDataString(parts[0]), parts.Length > 1 ? Uri.UnescapeDataString(parts[1]) : "");
                foreach (var scheme in new[] { "Basic", "Digest", "NTLM", "Negotiate" }) _credentials.Add(uri, scheme, credential);
            }
        _platform = HttpsProxy is null && HttpProxy is null ? platformDefault : null;
    }

    public static EnvironmentProxy FromProcess() => new(ProcessEnvironment.Snapshot(), HttpClient.DefaultProxy);

    /// <summary>A proxy that sends everything direct.</summary>
    public static EnvironmentProxy None { get; } = new(new Dictionary<string, string?>());

    public Uri? HttpsProxy { get; }
    public Uri? HttpProxy { get; }

    /// <summary>The variable each proxy came from, for messages.</summary>
    public string? HttpsSource { get; }
    public string? HttpSource { get; }
    public string? NoProxySource { get; }

    private ICredentials? _assigned;

    /// <summary>The proxy's credentials: those assigned, else the platform proxy's, else those in the proxy URLs.</summary>
    public ICredentials? Credentials
    {
        get => _assigned ?? _platform?.Credentials ?? _credentials;
        set => _assigned = value;
    }

    public Uri? GetProxy(Uri destination)
    {
        if (IsBypassed(destination)) return null;
        if (_platform is not null) return _platform.GetProxy(destination);
        return destination.Scheme == Uri.UriSchemeHttps ? HttpsProxy : HttpProxy;
    }

    public bool IsBypassed(Uri host)
    {
        if (RegistryHost.IsLoopback(host.IdnHost)) return true;
        if (_platform is not null) return _platform.IsBypassed(host);
        var proxy = host.Scheme == Uri.UriSchemeHttps ? HttpsProxy : HttpProxy;
        return proxy is null || _bypass.Matches(host.IdnHost, host.Port);
    }

    /// <summary>"http://proxy:3128 (from HTTPS_PROXY)", or null when <paramref name="destination"/> goes direct.</summary>
    public string? Describe(Uri destination)
    {
        if (GetProxy(destination) is not { } proxy) return null;
        var source = _platform is not null ? "the system proxy settings"
            : destination.Scheme == Uri.UriSchemeHttps ? HttpsSource : HttpSource;
        return $"{proxy.GetLeftPart(UriPartial.Authority).Replace(proxy.UserInfo + "@", "", StringComparison.Ordinal)} (from {source})";
    }

    /// <summary>"host:port" or a URL; http:// is assumed, as curl and .NET do.</summary>
    internal static Uri? ParseProxy(string value)
    {
        var text = value.Contains("://", StringComparison.Ordinal) ? value : "http://" + value;
        return Uri.TryCreate(text, UriKind.Absolute, out var uri) && uri.Host.Length > 0 ? uri : null;
    }
}

/// <summary>
/// <c>NO_PROXY</c>: comma- or space-separated entries. <c>*</c> matches everything; <c>example.com</c>,
/// <c>.example.com</c> and <c>*.example.com</c> match example.com and every host under it; an IP address
/// matches itself and <c>10.0.0.0/8</c> a network; <c>:port</c> after any of them restricts it to that port.
/// </summary>
public sealed class NoProxyList
{
    private readonly List<(string? Domain, IPNetwork? Network, int? Port)> _entries = [];
    private bool _all;

    public static NoProxyList Parse(string? value)
    {
        var list = new NoProxyList();
        foreach (var raw in (value ?? "").Split([',', ' ', '\t', ';'], StringSplitOptions.RemoveEmptyEntries))
        {
            var entry = raw.Trim().ToLowerInvariant();
            if (entry == "*") { list._all = true; continue; }
            if (IPNetwork.TryParse(entry, out var cidr) && entry.Contains('/')) { list._entries.Add((null, cidr, null)); continue; }
            int? port = null;
            var host = entry;
            if (entry.StartsWith('['))
            {
                var end = entry.IndexOf(']');
                if (end < 0) continue;
                host = entry[1..end];
                if (entry.Length > end + 2 && entry[end + 1] == ':' && int.TryParse(entry[(end + 2)..], out var p6)) port = p6;
            }
            else if (entry.Count(c => c == ':') == 1)
            {
                var colon = entry.IndexOf(':');
                if (!int.TryParse(entry[(colon + 1)..], out var p)) continue;
                port = p;
                host = entry[..colon];
            }
            if (IPAddress.TryParse(host, out var ip))
            {
                list._entries.Add((null, new IPNetwork(ip, ip.AddressFamily == System.Net.Sockets.AddressFamily.InterNetwork ? 32 : 128), port));
                continue;
            }
            host = host.TrimStart('*').TrimStart('.').TrimEnd('.');
            if (host.Length > 0) list._entries.Add((host, null, port));
        }
        return list;
    }

    public bool Matches(string host, int port)
    {
        if (_all) return true;
        var name = host.Trim('[', ']').TrimEnd('.').ToLowerInvariant();
        var address = IPAddress.TryParse(name, out var parsed) ? parsed : null;
        foreach (var (domain, network, entryPort) in _entries)
        {
            if (entryPort is { } p && p != port) continue;
            if (network is { } n)
            {
                if (address is not null && n.Contains(address.IsIPv4MappedToIPv6 ? address.MapToIPv4() : address)) return true;
                continue;
            }
            if (name == domain || name.EndsWith("." + domain, StringComparison.Ordinal)) return true;
        }
        return false;
    }
}
