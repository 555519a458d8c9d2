using System.Net;

namespace Bakery.Oci.Registry;

/// <summary>
/// Registry names as references write them (<c>host[:port]</c>) and the hosts they are reached at:
/// loopback, and Docker Hub, whose name <c>docker.io</c> is served by <c>registry-1.docker.io</c>.
/// </summary>
public static class RegistryHost
{
    /// <summary>The name references use for Docker Hub.</summary>
    public const string DockerHub = "docker.io";

    /// <summary>Where Docker Hub's registry API answers.</summary>
    public const string DockerHubApi = "registry-1.docker.io";

    /// <summary>The key <c>docker login</c> writes Docker Hub's credentials under in config.json.</summary>
    public const string DockerHubConfigKey = "https://index.docker.io/v1/";

    public static bool IsDockerHub(string registry) =>
        registry.ToLowerInvariant() is DockerHub or "index.docker.io" or DockerHubApi or "registry.hub.docker.com";

    /// <summary>The host[:port] requests go to.</summary>
    public static string ApiAuthority(string registry) => IsDockerHub(registry) ? DockerHubApi : registry;

    /// <summary>The host of <c>host[:port]</c> (an IPv6 literal without its brackets), lowercase.</summary>
    public static string HostOf(string registry)
    {
        var text = registry.Trim();
        if (text.StartsWith('['))
        {
            var end = text.IndexOf(']');
            return (end > 0 ? text[1..end] : text[1..]).ToLowerInvariant();
        }
        var colon = text.LastIndexOf(':');
        return (colon >= 0 && text.IndexOf(':') == colon ? text[..colon] : text).ToLowerInvariant();
    }

    /// <summary>True when <c>host[:port]</c> names a port (else the scheme's default port is used).</summary>
    public static bool HasPort(string registry) =>
        registry.StartsWith('[') ? registry.Contains("]:", StringComparison.Ordinal) : registry.Count(c => c == ':') == 1;

    /// <summary>localhost, *.localhost, 127.0.0.0/8 and ::1: always this machine.</summary>
    public static bool IsLoopback(string host)
    {
        var h = host.TrimEnd('.').Trim('[', ']').ToLowerInvariant();
        if (h is "localhost" || h.EndsWith(".localhost", StringComparison.Ordinal)) return true;
        return IPAddress.TryParse(h, out var ip) && IPAddress.IsLoopback(ip.IsIPv4MappedToIPv6 ? ip.MapToIPv4() : ip);
    }

    /// <summary>The same machine by name: equal host names (any port), or both loopback.</summary>
    public static bool SameHost(string hostA, string hostB)
    {
        var a = hostA.TrimEnd('.').Trim('[', ']');
        var b = hostB.TrimEnd('.').Trim('[', ']');
        return string.Equals(a, b, StringComparison.OrdinalIgnoreCase) || (IsLoopback(a) && IsLoopback(b));
    }
}
