using System.Security.Cryptography;
using System.Text;
using System.Text.Json;

namespace Bakery.Core.Containers;

/// <summary>Which engine answers the Docker Engine API: dockerd, or podman's Docker-compatible service.</summary>
public enum ContainerEngineKind { Docker, Podman }

/// <summary>
/// Where RUN steps and command tests find their container engine, chosen the way the engines' own
/// clients choose. Docker: <c>DOCKER_HOST</c>, then the current docker context (<c>DOCKER_CONTEXT</c>
/// or <c>currentContext</c> in <c>config.json</c>), then <c>/var/run/docker.sock</c>. Podman (asked
/// for with <c>BAKERY_CONTAINER_ENGINE=podman</c>): <c>CONTAINER_HOST</c>, then <c>DOCKER_HOST</c>, then
/// the rootless socket <c>$XDG_RUNTIME_DIR/podman/podman.sock</c>, then the rootful <c>/run/podman/podman.sock</c>.
/// </summary>
/// <param name="Source">How it was chosen, for messages ("DOCKER_HOST", "docker context 'ci'", "default socket").</param>
/// <param name="Problem">Set when the configuration names no usable endpoint; the engine then counts as unavailable for that reason.</param>
public sealed record ContainerEndpoint(Uri Uri, ContainerEngineKind Kind, string Source, string? Problem = null)
{
    public const string EngineVariable = "BAKERY_CONTAINER_ENGINE";
    public const string DockerDefaultSocket = "/var/run/docker.sock";
    public const string PodmanRootfulSocket = "/run/podman/podman.sock";

    public override string ToString() => Uri.ToString();

    /// <summary>The endpoint this process's environment and docker configuration name.</summary>
    public static ContainerEndpoint FromEnvironment() => Resolve(Host());

    /// <summary>The endpoint of one engine kind, as that engine's own client would choose it here (LocalRegistry=Docker|Podman).</summary>
    public static ContainerEndpoint FromEnvironment(ContainerEngineKind kind) => Resolve(Host(), kind);

    /// <summary>The engine BAKERY_CONTAINER_ENGINE names, or null when it names none.</summary>
    public static ContainerEngineKind? AskedFor(Func<string, string?> variable) =>
        string.IsNullOrWhiteSpace(variable(EngineVariable)) ? null : KindFrom(variable);

    private static HostFacts Host() => new(
        Environment.GetEnvironmentVariable,
        File.Exists,
        path => File.Exists(path) ? File.ReadAllText(path) : null,
        Environment.GetFolderPath(Environment.SpecialFolder.UserProfile),
        Environment.IsPrivilegedProcess);

    /// <summary>What endpoint selection reads from the host; tests give their own.</summary>
    public sealed record HostFacts(Func<string, string?> Variable, Func<string, bool> FileExists, Func<string, string?> ReadFile, string Home, bool IsRoot);

    public static ContainerEndpoint Resolve(HostFacts host) => Resolve(host, KindFrom(host.Variable));

    public static ContainerEndpoint Resolve(HostFacts host, ContainerEngineKind kind) => kind == ContainerEngineKind.Podman ? Podman(host) : Docker(host);

    private static ContainerEngineKind KindFrom(Func<string, string?> variable) => (variable(EngineVariable) ?? "").Trim().ToLowerInvariant() switch
    {
        "" or "docker" => ContainerEngineKind.Docker,
        "podman" => ContainerEngineKind.Podman,
        var other => throw Messages.BAKE502(EngineVariable, other, "use docker or podman").Exception(),
    };

    private static ContainerEndpoint Docker(HostFacts host)
    {
        if (Named(host, "DOCKER_HOST", ContainerEngineKind.Docker) is { } explicitHost) return explicitHost;
        var configDirectory = host.Variable("DOCKER_CONFIG") is { Length: > 0 } dir ? dir : Path.Combine(host.Home, ".docker");
        var context = host.Variable("DOCKER_CONTEXT") is { Length: > 0 } fromVariable ? fromVariable : CurrentContext(host, configDirectory);
        var socket = new Uri("unix://" + DockerDefaultSocket);
        if (context is null || context == "default") return new ContainerEndpoint(socket, ContainerEngineKind.Docker, "the default socket");
        var meta = Path.Combine(configDirectory, "contexts", "meta", Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(context))), "meta.json");
        var endpoint = ContextEndpoint(host.ReadFile(meta));
        return endpoint is null
            ? new ContainerEndpoint(socket, ContainerEngineKind.Docker, $"docker context '{context}'", $"docker context '{context}' has no docker endpoint in {meta}")
            : Parse(endpoint, ContainerEngineKind.Docker, $"docker context '{context}'");
    }

    private static ContainerEndpoint Podman(HostFacts host)
    {
        if ((Named(host, "CONTAINER_HOST", ContainerEngineKind.Podman) ?? Named(host, "DOCKER_HOST", ContainerEngineKind.Podman)) is { } explicitHost) return explicitHost;
        var rootless = host.Variable("XDG_RUNTIME_DIR") is { Length: > 0 } runtimeDir ? Path.Combine(runtimeDir, "podman", "podman.sock") : null;
        var socket = rootless is not null && (host.FileExists(rootless) || !host.IsRoot && !host.FileExists(PodmanRootfulSocket)) ? rootless : PodmanRootfulSocket;
        return new ContainerEndpoint(new Uri("unix://" + socket), ContainerEngineKind.Podman,
            socket == rootless ? "podman's rootless socket" : "podman's rootful socket");
    }

    private static ContainerEndpoint? Named(HostFacts host, string variable, ContainerEngineKind kind) =>
        host.Variable(variable) is { Length: > 0 } value ? Parse(value.Trim(), kind, variable) : null;

    private static ContainerEndpoint Parse(string value, ContainerEngineKind kind, string source)
    {
        var fallback = new Uri("unix://" + (kind == ContainerEngineKind.Podman ? PodmanRootfulSocket : DockerDefaultSocket));
        if (!Uri.TryCreate(value, UriKind.Absolute, out var uri))
            return new ContainerEndpoint(fallback, kind, source, $"{source} '{value}' is not an endpoint URI (unix:///path/to.sock or tcp://host:port)");
        return uri.Scheme switch
        {
            "unix" or "npipe" or "tcp" or "http" => new ContainerEndpoint(uri, kind, source),
            _ => new ContainerEndpoint(uri, kind, source, $"{source} uses '{uri.Scheme}://', which Bakery does not speak; use a unix socket or tcp:// (forward an ssh endpoint to a local socket)"),
        };
    }

    private static string? CurrentContext(HostFacts host, string configDirectory)
    {
        try
        {
            if (host.ReadFile(Path.Combine(configDirectory, "config.json")) is not { } text) return null;
            using var config = JsonDocument.Parse(text);
            return config.RootElement.TryGetProperty("currentContext", out var current) && current.ValueKind == JsonValueKind.String ? current.GetString() : null;
        }
        catch (JsonException) { return null; } // docker itself warns and falls back to the default context
    }

    private static string? ContextEndpoint(string? metaJson)
    {
        if (metaJson is null) return null;
        try
        {
            using var meta = JsonDocument.Parse(metaJson);
            return meta.RootElement.TryGetProperty("Endpoints", out var endpoints) && endpoints.TryGetProperty("docker", out var docker)
                && docker.TryGetProperty("Host", out var hostValue) && hostValue.ValueKind == JsonValueKind.String ? hostValue.GetString() : null;
        }
        catch (JsonException) { return null; }
    }
}
