using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Bakery.Tests.Infrastructure;

/// <summary>
/// A forward HTTP proxy on loopback, as a company network has one: <c>CONNECT host:port</c> tunnels
/// (HTTPS) and absolute-form requests (<c>GET http://host/…</c>, plain HTTP), optionally behind Basic
/// proxy authentication (407). It resolves names itself from the test's host map and refuses anything
/// that is not loopback, so no test traffic leaves the machine. Every request line is recorded.
/// </summary>
internal sealed class ForwardProxy : IDisposable
{
    private readonly TcpListener _listener;
    private readonly IReadOnlyDictionary<string, IPAddress> _hosts;
    private readonly string? _credentials;
    private readonly CancellationTokenSource _stop = new();
    private readonly List<string> _requests = [];

    private ForwardProxy(IReadOnlyDictionary<string, IPAddress> hosts, (string User, string Password)? credentials)
    {
        _hosts = hosts;
        _credentials = credentials is { } c ? Convert.ToBase64String(Encoding.UTF8.GetBytes($"{c.User}:{c.Password}")) : null;
        _listener = new TcpListener(IPAddress.Loopback, 0);
        _listener.Start();
        _ = AcceptAsync();
    }

    public static ForwardProxy Start(IReadOnlyDictionary<string, IPAddress> hosts, (string User, string Password)? credentials = null) => new(hosts, credentials);

    public int Port => ((IPEndPoint)_listener.LocalEndpoint).Port;

    public string Url => $"http://127.0.0.1:{Port}";

    /// <summary>Request lines as received: "CONNECT registry.bakery.test:5000", "GET http://…".</summary>
    public IReadOnlyList<string> Requests
    {
        get { lock (_requests) return [.. _requests]; }
    }

    private async Task AcceptAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            TcpClient client;
            try { client = await _listener.AcceptTcpClientAsync(_stop.Token); }
            catch (Exception e) when (e is OperationCanceledException or ObjectDisposedException or SocketException) { return; }
            _ = ServeAsync(client);
        }
    }

    private async Task ServeAsync(TcpClient client)
    {
        using (client)
        {
            var stream = client.GetStream();
            try
            {
                while (true)
                {
                    var (head, rest) = await ReadHeadAsync(stream);
                    if (head is null) return;
                    var lines = head.Split("\r\n");
                    var parts = lines[0].Split(' ');
                    if (parts.Length < 3) return;
                    var (method, target) = (parts[0], parts[1]);
                    var headers = lines.Skip(1).Where(l => l.Length > 0).ToList();
                    lock (_requests) _requests.Add($"{method} {target}");
                    if (_credentials is not null && !headers.Any(h => h.Equals("Proxy-Authorization: Basic " + _credentials, StringComparison.OrdinalIgnoreCase)))
                    {
                        await WriteAsync(stream, "HTTP/1.1 407 Proxy Authentication Required\r\nProxy-Authenticate: Basic realm=\"bakery-test-proxy\"\r\nContent-Length: 0\r\n\r\n");
                        if (method != "CONNECT") await SkipBodyAsync(stream, headers, rest);
                        continue;
                    }
                    if (method == "CONNECT")
                    {
                        await TunnelAsync(stream, target, rest);
                        return;
                    }
                    await ForwardAsync(stream, method, target, headers, rest);
                    return;
                }
            }
            catch (Exception e) when (e is IOException or SocketException or ObjectDisposedException or OperationCanceledException)
            {
                // A connection closed by either side ends its relay.
            }
        }
    }

    private async Task TunnelAsync(NetworkStream client, string authority, byte[] early)
    {
        using var upstream = await ConnectAsync(authority);
        if (upstream is null)
        {
            await WriteAsync(client, "HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
            return;
        }
        await WriteAsync(client, "HTTP/1.1 200 Connection Established\r\n\r\n");
        var server = upstream.GetStream();
        if (early.Length > 0) await server.WriteAsync(early);
        await RelayAsync(client, server);
    }

    private async Task ForwardAsync(NetworkStream client, string method, string target, List<string> headers, byte[] early)
    {
        if (!Uri.TryCreate(target, UriKind.Absolute, out var uri) || uri.Scheme != "http")
        {
            await WriteAsync(client, "HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
            return;
        }
        using var upstream = await ConnectAsync(uri.Authority);
        if (upstream is null)
        {
            await WriteAsync(client, "HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
            return;
        }
        var server = upstream.GetStream();
        var kept = headers.Where(h => !h.StartsWith("Proxy-", StringComparison.OrdinalIgnoreCase) && !h.StartsWith("Connection:", StringComparison.OrdinalIgnoreCase)
            && !h.StartsWith("Keep-Alive:", StringComparison.OrdinalIgnoreCase));
        await WriteAsync(server, $"{method} {uri.PathAndQuery} HTTP/1.1\r\n{string.Join("\r\n", kept)}\r\nConnection: close\r\n\r\n");
        if (early.Length > 0) await server.WriteAsync(early);
        var body = client.CopyToAsync(server);
        // The answer says "Connection: close", so the client opens a new connection for its next request.
        var (responseHead, responseRest) = await ReadHeadAsync(server);
        if (responseHead is null) return;
        var responseLines = responseHead.Split("\r\n").Where(l => l.Length > 0
            && !l.StartsWith("Connection:", StringComparison.OrdinalIgnoreCase) && !l.StartsWith("Keep-Alive:", StringComparison.OrdinalIgnoreCase));
        await WriteAsync(client, string.Join("\r\n", responseLines) + "\r\nConnection: close\r\n\r\n");
        if (responseRest.Length > 0) await client.WriteAsync(responseRest);
        await server.CopyToAsync(client);
        client.Socket.Shutdown(SocketShutdown.Send);
        _ = body.ContinueWith(_ => { }, TaskScheduler.Default);
    }

    /// <summary>A loopback connection to host:port, the host resolved from the test's map; null for anything not on loopback.</summary>
    private async Task<TcpClient?> ConnectAsync(string authority)
    {
        var colon = authority.LastIndexOf(':');
        var host = colon > 0 ? authority[..colon].Trim('[', ']') : authority;
        var port = colon > 0 && int.TryParse(authority[(colon + 1)..], out var p) ? p : 80;
        IPAddress? address = _hosts.TryGetValue(host, out var mapped) ? mapped
            : host == "localhost" ? IPAddress.Loopback
            : IPAddress.TryParse(host, out var literal) ? literal : null;
        if (address is null || !IPAddress.IsLoopback(address)) return null;
        var upstream = new TcpClient();
        try
        {
            await upstream.ConnectAsync(address, port);
            return upstream;
        }
        catch (SocketException)
        {
            upstream.Dispose();
            return null;
        }
    }

    private static async Task RelayAsync(NetworkStream a, NetworkStream b)
    {
        var ab = a.CopyToAsync(b);
        var ba = b.CopyToAsync(a);
        await Task.WhenAny(ab, ba);
    }

    /// <summary>Reads up to the blank line ending a request or response head; returns it and any bytes read past it.</summary>
    private static async Task<(string? Head, byte[] Remainder)> ReadHeadAsync(NetworkStream stream)
    {
        var buffer = new List<byte>();
        var one = new byte[4096];
        while (buffer.Count < 64 * 1024)
        {
            var read = await stream.ReadAsync(one);
            if (read == 0) return (null, []);
            buffer.AddRange(one.AsSpan(0, read));
            var bytes = buffer.ToArray();
            var end = IndexOf(bytes, "\r\n\r\n"u8);
            if (end >= 0) return (Encoding.ASCII.GetString(bytes, 0, end), bytes[(end + 4)..]);
        }
        return (null, []);
    }

    private static async Task SkipBodyAsync(NetworkStream stream, List<string> headers, byte[] rest)
    {
        var length = headers.Select(h => h.Split(':', 2)).Where(h => h[0].Trim().Equals("Content-Length", StringComparison.OrdinalIgnoreCase))
            .Select(h => long.Parse(h[1].Trim(), System.Globalization.CultureInfo.InvariantCulture)).FirstOrDefault();
        var remaining = length - rest.Length;
        var buffer = new byte[8192];
        while (remaining > 0)
        {
            var read = await stream.ReadAsync(buffer.AsMemory(0, (int)Math.Min(buffer.Length, remaining)));
            if (read == 0) return;
            remaining -= read;
        }
    }

    private static int IndexOf(byte[] haystack, ReadOnlySpan<byte> needle) => haystack.AsSpan().IndexOf(needle);

    private static Task WriteAsync(NetworkStream stream, string text) => stream.WriteAsync(Encoding.ASCII.GetBytes(text)).AsTask();

    public void Dispose()
    {
        _stop.Cancel();
        _listener.Stop();
        _stop.Dispose();
    }
}
