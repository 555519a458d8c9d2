using System.Text;
using System.Text.Json;

namespace Bakery.Oci.Registry;

public sealed record RegistryCredential(string Username, string Password);

/// <summary>
/// Finds credentials for a registry, first from environment variables (the same names the .NET SDK
/// container tooling reads, and Bakery's own), then from docker's <c>config.json</c> (credential
/// helpers, inline auths, the default credential store).
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

    /// <summary>config.json as docker reads it: a credHelpers entry for the registry, then auths, then credsStore.</summary>
    private RegistryCredential? FromDockerConfig(string registry)
    {
        var path = DockerConfigPath;
        if (path is null || !File.Exists(path)) return null;
        using var doc = JsonDocument.Parse(File.ReadAllBytes(path));
        var root = doc.RootElement;
        if (root.TryGetProperty("credHelpers", out var helpers) && helpers.ValueKind == JsonValueKind.Object)
            foreach (var entry in helpers.EnumerateObject())
                if (string.Equals(HostOf(entry.Name), registry, StringComparison.OrdinalIgnoreCase) && entry.Value.GetString() is { Length: > 0 } helper)
                    return FromHelper(helper, registry);
        if (root.TryGetProperty("auths", out var auths) && auths.ValueKind == JsonValueKind.Object)
        {
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
        }
        if (root.TryGetProperty("credsStore", out var store) && store.GetString() is { Length: > 0 } storeHelper)
            return FromHelper(storeHelper, registry);
        return null;
    }

    /// <summary>
    /// Asks docker-credential-NAME (the docker credential-helper protocol: `get`, the server on stdin,
    /// JSON with Username and Secret on stdout). "Credentials not found" is no credential; a helper
    /// that cannot run is an error rather than a silent anonymous pull.
    /// </summary>
    private RegistryCredential? FromHelper(string name, string registry)
    {
        var program = $"docker-credential-{name}";
        var executable = (Get("PATH") ?? "").Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries)
            .Select(dir => Path.Combine(dir, program)).FirstOrDefault(File.Exists)
            ?? throw new RegistryException(RegistryFailure.Unauthorized, registry, "",
                $"config.json names the credential helper '{name}' for {registry}, but {program} is not on the PATH.");
        var start = new System.Diagnostics.ProcessStartInfo(executable, "get")
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        using var process = System.Diagnostics.Process.Start(start)!;
        process.StandardInput.Write(registry);
        process.StandardInput.Close();
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(TimeSpan.FromSeconds(30)))
        {
            process.Kill(entireProcessTree: true);
            throw new RegistryException(RegistryFailure.Unauthorized, registry, "", $"{program} did not answer within 30 s.");
        }
        var text = output.GetAwaiter().GetResult();
        if (process.ExitCode != 0)
        {
            var message = (error.GetAwaiter().GetResult() + text).Trim();
            if (message.Contains("credentials not found", StringComparison.OrdinalIgnoreCase)) return null;
            throw new RegistryException(RegistryFailure.Unauthorized, registry, "", $"{program} failed for {registry}: {message}");
        }
        try
        {
            using var answer = JsonDocument.Parse(text);
            var user = answer.RootElement.GetProperty("Username").GetString();
            var secret = answer.RootElement.GetProperty("Secret").GetString();
            return string.IsNullOrEmpty(user) || secret is null ? null : new RegistryCredential(user, secret);
        }
        catch (Exception e) when (e is JsonException or KeyNotFoundException or InvalidOperationException)
        {
            throw new RegistryException(RegistryFailure.Unauthorized, registry, "", $"{program} answered with something other than the credential JSON.");
        }
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
