using System.Text;
using System.Text.Json;

namespace Bakery.Oci.Registry;

public sealed record RegistryCredential(string Username, string Password);

/// <summary>
/// Finds credentials for a registry, first from environment variables (the same names the .NET SDK
/// container tooling reads, and Bakery's own), then from docker's <c>config.json</c>.
/// </summary>
public sealed class RegistryCredentials(IReadOnlyDictionary<string, string?> environment)
{
    public static RegistryCredentials FromProcess()
    {
        var env = new Dictionary<string, string?>(StringComparer.Ordinal);
        foreach (System.Collections.DictionaryEntry e in System.Environment.GetEnvironmentVariables())
            env[(string)e.Key] = (string?)e.Value;
        return new RegistryCredentials(env);
    }

    private static readonly (string User, string Password)[] EnvironmentPairs =
    [
        ("BAKERY_REGISTRY_USERNAME", "BAKERY_REGISTRY_PASSWORD"),
        ("DOTNET_CONTAINER_REGISTRY_UNAME", "DOTNET_CONTAINER_REGISTRY_PWORD"),
        ("SDK_CONTAINER_REGISTRY_UNAME", "SDK_CONTAINER_REGISTRY_PWORD"),
    ];

    public RegistryCredential? Find(string registry)
    {
        foreach (var (userVar, passwordVar) in EnvironmentPairs)
        {
            var user = Get(userVar);
            var password = Get(passwordVar);
            if (!string.IsNullOrEmpty(user) && password is not null) return new RegistryCredential(user, password);
        }
        return FromDockerConfig(registry);
    }

    public string? DockerConfigPath
    {
        get
        {
            var dir = Get("DOCKER_CONFIG");
            if (string.IsNullOrEmpty(dir))
            {
                var home = Get("HOME") ?? System.Environment.GetFolderPath(System.Environment.SpecialFolder.UserProfile);
                if (string.IsNullOrEmpty(home)) return null;
                dir = Path.Combine(home, ".docker");
            }
            return Path.Combine(dir, "config.json");
        }
    }

    private RegistryCredential? FromDockerConfig(string registry)
    {
        var path = DockerConfigPath;
        if (path is null || !File.Exists(path)) return null;
        using var doc = JsonDocument.Parse(File.ReadAllBytes(path));
        if (!doc.RootElement.TryGetProperty("auths", out var auths) || auths.ValueKind != JsonValueKind.Object) return null;
        foreach (var entry in auths.EnumerateObject())
        {
            if (!string.Equals(HostOf(entry.Name), registry, StringComparison.OrdinalIgnoreCase)) continue;
            if (entry.Value.TryGetProperty("auth", out var auth) && auth.GetString() is { Length: > 0 } encoded)
            {
                var decoded = Encoding.UTF8.GetString(Convert.FromBase64String(encoded));
                var colon = decoded.IndexOf(':');
                if (colon > 0) return new RegistryCredential(decoded[..colon], decoded[(colon + 1)..]);
            }
            if (entry.Value.TryGetProperty("username", out var u) && entry.Value.TryGetProperty("password", out var p)
                && u.GetString() is { Length: > 0 } username)
                return new RegistryCredential(username, p.GetString() ?? "");
        }
        return null;
    }

    /// <summary>docker config keys may be "host", "https://host" or "https://host/v1/".</summary>
    internal static string HostOf(string key)
    {
        var text = key;
        var scheme = text.IndexOf("://", StringComparison.Ordinal);
        if (scheme >= 0) text = text[(scheme + 3)..];
        var slash = text.IndexOf('/');
        return slash >= 0 ? text[..slash] : text;
    }

    private string? Get(string name) => environment.TryGetValue(name, out var value) ? value : null;
}
