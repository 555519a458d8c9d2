using System.Net;
using System.Text;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace Bakery.Tests.Infrastructure;

/// <summary>
/// A proxy on loopback in front of the real registry that can inject faults (status codes with
/// Retry-After, corrupted bodies) or demand bearer tokens from its own token endpoint.
/// Everything it does not intercept is forwarded unchanged.
/// </summary>
internal sealed class RegistryProxy : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly HttpClient _upstream = new(new SocketsHttpHandler { AllowAutoRedirect = false, UseProxy = false });
    private readonly string _upstreamAddress;
    private int _requests;

    public int Port { get; }
    public string Address => $"localhost:{Port}";
    public int Requests => _requests;
    public List<string> Log { get; } = [];

    /// <summary>Return a response to send instead of forwarding, or null to forward.</summary>
    public Func<HttpRequest, (int Status, string? RetryAfter)?>? Fault { get; set; }

    /// <summary>Cuts the connection (after reading part of the body) instead of forwarding: a reset mid-upload.</summary>
    public Func<HttpRequest, bool>? Abort { get; set; }

    /// <summary>Answers 401 with this WWW-Authenticate challenge instead of forwarding: a token that expired mid-upload.</summary>
    public Func<HttpRequest, string?>? Challenge { get; set; }

    /// <summary>Sends half of the answer's body, then cuts the connection: a download broken off.</summary>
    public Func<HttpRequest, bool>? CutBody { get; set; }

    /// <summary>Holds a request this long before forwarding it: a registry slow to answer.</summary>
    public Func<HttpRequest, TimeSpan?>? Stall { get; set; }

    /// <summary>Rewrites a forwarded response body for requests it matches.</summary>
    public Func<HttpRequest, byte[], byte[]>? CorruptBody { get; set; }

    /// <summary>When set, every /v2/ request needs "Bearer {token}" issued by /token for these basic credentials.</summary>
    public (string User, string Password)? BearerCredentials { get; set; }

    private const string IssuedToken = "bakery-test-token";

    private RegistryProxy(WebApplication app, int port, string upstream)
    {
        _app = app;
        Port = port;
        _upstreamAddress = upstream;
    }

    public static async Task<RegistryProxy> StartAsync(RegistryProcess registry)
    {
        var port = RegistryProcess.FreePort();
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(k => k.Listen(IPAddress.Loopback, port));
        var app = builder.Build();
        var proxy = new RegistryProxy(app, port, $"127.0.0.1:{registry.Port}");
        app.Run(proxy.HandleAsync);
        await app.StartAsync();
        return proxy;
    }

    private async Task HandleAsync(HttpContext context)
    {
        Interlocked.Increment(ref _requests);
        var request = context.Request;
        lock (Log) Log.Add($"{request.Method} {request.Path}{request.QueryString}");

        if (BearerCredentials is { } creds)
        {
            if (request.Path.StartsWithSegments("/token"))
            {
                var expected = "Basic " + Convert.ToBase64String(Encoding.UTF8.GetBytes($"{creds.User}:{creds.Password}"));
                if (request.Headers.Authorization != expected) { context.Response.StatusCode = 401; return; }
                context.Response.ContentType = "application/json";
                await context.Response.WriteAsync($$"""{"token":"{{IssuedToken}}","expires_in":300}""");
                return;
            }
            if (request.Headers.Authorization != $"Bearer {IssuedToken}")
            {
                context.Response.StatusCode = 401;
                context.Response.Headers.WWWAuthenticate = $"Bearer realm=\"http://localhost:{Port}/token\",service=\"bakery-test\"";
                return;
            }
        }

        if (Challenge?.Invoke(request) is { } challenge)
        {
            context.Response.StatusCode = 401;
            context.Response.Headers.WWWAuthenticate = challenge;
            return;
        }

        if (Abort?.Invoke(request) == true)
        {
            var partial = new byte[4096];
            _ = await request.Body.ReadAsync(partial);
            context.Abort();
            return;
        }

        if (Stall?.Invoke(request) is { } stall)
        {
            try { await Task.Delay(stall, context.RequestAborted); }
            catch (OperationCanceledException) { return; }
        }

        if (Fault?.Invoke(request) is { } fault)
        {
            context.Response.StatusCode = fault.Status;
            if (fault.RetryAfter is not null) context.Response.Headers.RetryAfter = fault.RetryAfter;
            return;
        }

        using var forward = new HttpRequestMessage(new HttpMethod(request.Method), $"http://{_upstreamAddress}{request.Path}{request.QueryString}");
        if (request.ContentLength > 0 || request.Headers.TransferEncoding.Count > 0)
        {
            var body = new MemoryStream();
            await request.Body.CopyToAsync(body);
            body.Position = 0;
            forward.Content = new StreamContent(body);
        }
        foreach (var (name, values) in request.Headers)
        {
            if (name.Equals("Authorization", StringComparison.OrdinalIgnoreCase) && BearerCredentials is not null) continue;
            if (!forward.Headers.TryAddWithoutValidation(name, values.ToArray()))
                forward.Content?.Headers.TryAddWithoutValidation(name, values.ToArray());
        }
        forward.Headers.Host = request.Host.Value;

        using var response = await _upstream.SendAsync(forward, HttpCompletionOption.ResponseHeadersRead);
        context.Response.StatusCode = (int)response.StatusCode;
        foreach (var (name, values) in response.Headers.Concat(response.Content.Headers))
        {
            if (name.Equals("Transfer-Encoding", StringComparison.OrdinalIgnoreCase)) continue;
            context.Response.Headers[name] = values.ToArray();
        }
        var bytes = await response.Content.ReadAsByteArrayAsync();
        if (CorruptBody is not null && request.Method == "GET" && response.IsSuccessStatusCode)
        {
            bytes = CorruptBody(request, bytes);
            context.Response.Headers.ContentLength = bytes.Length;
        }
        if (CutBody?.Invoke(request) == true && request.Method == "GET" && bytes.Length > 1)
        {
            context.Response.Headers.ContentLength = bytes.Length;
            await context.Response.Body.WriteAsync(bytes.AsMemory(0, bytes.Length / 2));
            await context.Response.Body.FlushAsync();
            context.Abort();
            return;
        }
        if (request.Method != "HEAD") await context.Response.Body.WriteAsync(bytes);
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
        _upstream.Dispose();
    }
}
