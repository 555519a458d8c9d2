using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace Bakery.Tests.Infrastructure;

/// <summary>A real CNCF Distribution registry on a free loopback port, stopped (by PID) on dispose.</summary>
internal sealed class RegistryProcess : IDisposable
{
    private readonly Process _process;
    private readonly string _directory;

    public int Port { get; }
    public string Address => $"localhost:{Port}";

    private RegistryProcess(Process process, string directory, int port)
    {
        _process = process;
        _directory = directory;
        Port = port;
    }

    public static string? Executable =>
        new[] { "/usr/bin/docker-registry", "/usr/local/bin/registry", "/usr/bin/registry" }.FirstOrDefault(File.Exists);

    /// <summary>Starts a registry; with <paramref name="user"/> it requires basic auth (htpasswd, bcrypt).</summary>
    public static RegistryProcess Start((string User, string Password)? user = null)
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
            {auth}
            """);
        var start = new ProcessStartInfo(executable)
        {
            ArgumentList = { "serve", config },
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        var process = Process.Start(start)!;
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        var registry = new RegistryProcess(process, directory, port);
        registry.WaitUntilReady();
        return registry;
    }

    private void WaitUntilReady()
    {
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(2) };
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (DateTime.UtcNow < deadline)
        {
            if (_process.HasExited) throw new InvalidOperationException($"The registry exited with code {_process.ExitCode}.");
            try
            {
                var response = http.GetAsync($"http://127.0.0.1:{Port}/v2/").GetAwaiter().GetResult();
                if (response.StatusCode is HttpStatusCode.OK or HttpStatusCode.Unauthorized) return;
            }
            catch (HttpRequestException) { }
            catch (TaskCanceledException) { }
            Thread.Sleep(100);
        }
        throw new TimeoutException("The registry did not start within 30 s.");
    }

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
