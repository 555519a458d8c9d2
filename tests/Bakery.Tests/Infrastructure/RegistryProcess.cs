using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace Bakery.Tests.Infrastructure;

/// <summary>
/// A real CNCF Distribution registry on a free loopback port, stopped (by PID) on dispose: anonymous,
/// with htpasswd Basic auth, or with <c>auth: token</c> trusting a <see cref="TokenServer"/>; over
/// plain HTTP or TLS with a certificate from a test CA.
/// </summary>
internal sealed class RegistryProcess : IDisposable
{
    private readonly Process _process;
    private readonly string _directory;
    private readonly bool _tls;

    public int Port { get; }
    public string Address => $"localhost:{Port}";

    /// <summary>The registry under another name (which the test maps to 127.0.0.1): not loopback, so HTTPS and proxies apply.</summary>
    public string AddressAs(string host) => $"{host}:{Port}";

    private readonly System.Collections.Concurrent.ConcurrentQueue<string> _output;

    private RegistryProcess(Process process, string directory, int port, bool tls, System.Collections.Concurrent.ConcurrentQueue<string> output)
    {
        _output = output;
        _process = process;
        _directory = directory;
        Port = port;
        _tls = tls;
    }

    public static string? Executable =>
        new[] { "/usr/bin/docker-registry", "/usr/local/bin/registry", "/usr/bin/registry" }.FirstOrDefault(File.Exists);

    /// <summary>Starts a registry; with <paramref name="user"/> it requires basic auth (htpasswd, bcrypt).</summary>
    public static RegistryProcess Start((string User, string Password)? user = null) => Start(user, null, null);

    /// <summary>A registry that requires bearer tokens from <paramref name="tokens"/> (Distribution verifies their signature and scopes).</summary>
    public static RegistryProcess StartWithTokenAuth(TokenServer tokens, (string Certificate, string Key)? tls = null, string service = TokenServer.Service) =>
        Start(null, (tokens, service), tls);

    /// <summary>A registry serving HTTPS with the given certificate and key (PEM).</summary>
    public static RegistryProcess StartTls((string Certificate, string Key) tls) => Start(null, null, tls);

    private static RegistryProcess Start((string User, string Password)? user, (TokenServer Server, string Service)? tokens, (string Certificate, string Key)? tls)
    {
        var executable = Executable ?? throw new InvalidOperationException(
            "docker-registry is not installed: run ./build.sh test, which installs it (apt-get install docker-registry).");
        var directory = TestPaths.NewTempDirectory("registry");
        var port = FreePort();
        var auth = "";
        if (user is { } u)
        {
            var htpasswd = Path.Combine(directory, "htpasswd");
            var result = ProcessRunner.Run("htpasswd", ["-Bbc", htpasswd, u.User, u.Password], directory);
            if (result.ExitCode != 0) throw new InvalidOperationException("htpasswd failed (apt-get install apache2-utils): " + result.Output);
            auth = $"auth:\n  htpasswd:\n    realm: bakery-test\n    path: {htpasswd}\n";
        }
        if (tokens is { } t)
            auth = $"auth:\n  token:\n    realm: {t.Server.Realm}\n    service: {t.Service}\n    issuer: {TokenServer.Issuer}\n    rootcertbundle: {t.Server.RootBundlePath}\n";
        var tlsConfig = tls is { } files ? $"  tls:\n    certificate: {files.Certificate}\n    key: {files.Key}\n" : "";
        var config = Path.Combine(directory, "config.yml");
        File.WriteAllText(config, $"""
            version: 0.1
            log:
              level: error
            storage:
              filesystem:
                rootdirectory: {Path.Combine(directory, "data")}
              delete:
                enabled: true
            http:
              addr: 127.0.0.1:{port}
            {tlsConfig}{auth}
            """);
        var start = new ProcessStartInfo(executable)
        {
            ArgumentList = { "serve", config },
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        var output = new System.Collections.Concurrent.ConcurrentQueue<string>();
        var process = new Process { StartInfo = start };
        process.OutputDataReceived += (_, e) => { if (e.Data is not null) output.Enqueue(e.Data); };
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) output.Enqueue(e.Data); };
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        var registry = new RegistryProcess(process, directory, port, tls is not null, output);
        registry.WaitUntilReady();
        return registry;
    }

    private void WaitUntilReady()
    {
        using var http = new HttpClient(new SocketsHttpHandler
        {
            UseProxy = false,
            SslOptions = { RemoteCertificateValidationCallback = (_, _, _, _) => true },
        }) { Timeout = TimeSpan.FromSeconds(2) };
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (DateTime.UtcNow < deadline)
        {
            if (_process.HasExited) throw new InvalidOperationException($"The registry exited with code {_process.ExitCode}: {Output()}");
            try
            {
                var response = http.GetAsync($"{(_tls ? "https" : "http")}://127.0.0.1:{Port}/v2/").GetAwaiter().GetResult();
                if (response.StatusCode is HttpStatusCode.OK or HttpStatusCode.Unauthorized) return;
            }
            catch (HttpRequestException) { }
            catch (TaskCanceledException) { }
            Thread.Sleep(100);
        }
        throw new TimeoutException("The registry did not start within 30 s: " + Output());
    }

    /// <summary>What the registry printed (its log level is error), for failure messages.</summary>
    public string Output() => string.Join("\n", _output.TakeLast(20));

    public static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    public void Dispose()
    {
        try
        {
            if (!_process.HasExited)
            {
                _process.Kill();
                _process.WaitForExit(10_000);
            }
        }
        finally
        {
            _process.Dispose();
            try { Directory.Delete(_directory, recursive: true); } catch (IOException) { }
        }
    }
}
