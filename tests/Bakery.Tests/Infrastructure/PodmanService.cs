using System.Diagnostics;
using System.Net.Sockets;

namespace Bakery.Tests.Infrastructure;

/// <summary>
/// A rootful <c>podman system service</c> on its own unix socket, with its own storage, containers.conf
/// and registries.conf under a temp folder, stopped by PID and its storage reset on dispose. The
/// configuration is what podman needs on this kind of machine (a container without
/// CAP_SYS_RESOURCE, cgroup v1, no systemd): <c>default_ulimits = []</c>, because podman's default
/// RLIMIT_NOFILE/NPROC are above the hard limits and setting them fails with "error setting rlimit
/// type 7: operation not permitted"; runtime runc, because crun 1.8 refuses cgroup v1 hybrid mounts;
/// the cgroupfs manager and file events, because there is no systemd.
/// </summary>
internal sealed class PodmanService : IDisposable
{
    private readonly Process _process;

    private PodmanService(Process process, string directory)
    {
        _process = process;
        Directory = directory;
    }

    public string Directory { get; }
    public string Socket => Path.Combine(Directory, "podman.sock");
    public string DockerHost => "unix://" + Socket;

    /// <summary>What a child process needs to use this service as its container engine.</summary>
    public IReadOnlyDictionary<string, string> EngineEnvironment => new Dictionary<string, string>
    {
        ["DOCKER_HOST"] = DockerHost,
        ["BAKERY_CONTAINER_ENGINE"] = "podman",
    };

    public static string? Executable => new[] { "/usr/bin/podman", "/usr/local/bin/podman" }.FirstOrDefault(File.Exists);

    /// <summary>Why podman cannot be used here, or null: not installed, or not root (the service is rootful).</summary>
    public static string? Unavailable =>
        Executable is null ? "podman is not installed (./build.sh test installs it: apt-get install podman)"
        : !Environment.IsPrivilegedProcess ? "the podman tests run a rootful service and need root"
        : null;

    /// <param name="insecureRegistries">host:port registries podman may reach over plain HTTP (loopback test registries).</param>
    public static PodmanService Start(IEnumerable<string> insecureRegistries)
    {
        var directory = TestPaths.NewTempDirectory("podman");
        File.WriteAllText(Path.Combine(directory, "containers.conf"), """
            [containers]
            default_ulimits = []
            [engine]
            runtime = "runc"
            cgroup_manager = "cgroupfs"
            events_logger = "file"
            """);
        File.WriteAllText(Path.Combine(directory, "registries.conf"), "unqualified-search-registries = []\n" +
            string.Concat(insecureRegistries.Distinct().Select(r => $"[[registry]]\nlocation = \"{r}\"\ninsecure = true\n")));
        File.WriteAllText(Path.Combine(directory, "storage.conf"), $"""
            [storage]
            driver = "overlay"
            graphroot = "{Path.Combine(directory, "storage")}"
            runroot = "{Path.Combine(directory, "run")}"
            """);
        var start = new ProcessStartInfo(Executable!)
        {
            ArgumentList = { "system", "service", "--time=0", "unix://" + Path.Combine(directory, "podman.sock") },
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var (key, value) in ConfigEnvironment(directory)) start.Environment[key] = value;
        var process = Process.Start(start)!;
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        var service = new PodmanService(process, directory);
        service.WaitUntilListening();
        return service;
    }

    private static Dictionary<string, string> ConfigEnvironment(string directory) => new()
    {
        ["CONTAINERS_CONF"] = Path.Combine(directory, "containers.conf"),
        ["CONTAINERS_REGISTRIES_CONF"] = Path.Combine(directory, "registries.conf"),
        ["CONTAINERS_STORAGE_CONF"] = Path.Combine(directory, "storage.conf"),
    };

    /// <summary>The podman CLI on this service's storage and configuration (for podman pull / podman run).</summary>
    public ProcessResult Cli(params string[] arguments) =>
        ProcessRunner.Run(Executable!, arguments, Directory, ConfigEnvironment(Directory), TimeSpan.FromMinutes(5));

    private void WaitUntilListening()
    {
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (DateTime.UtcNow < deadline)
        {
            if (_process.HasExited) throw new InvalidOperationException($"podman system service exited with code {_process.ExitCode}.");
            try
            {
                using var socket = new System.Net.Sockets.Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
                socket.Connect(new UnixDomainSocketEndPoint(Socket));
                return;
            }
            catch (SocketException) { Thread.Sleep(200); }
        }
        throw new TimeoutException("podman system service did not listen within 30 s.");
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
        catch (InvalidOperationException) { }
        _process.Dispose();
        // Overlay mounts of the service's containers go with its storage; then the folder can go.
        Cli("system", "reset", "--force");
        try { System.IO.Directory.Delete(Directory, recursive: true); }
        catch (IOException) { }
        catch (UnauthorizedAccessException) { }
    }
}
