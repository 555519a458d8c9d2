namespace Bakery.Oci.Registry;

/// <summary>
/// A registry login: user and password, or an identity token (a refresh token for the registry's
/// OAuth2 token service, as <c>az acr login</c> and credential helpers answering with the
/// <c>&lt;token&gt;</c> user give).
/// </summary>
public sealed record RegistryCredential(string Username, string Password)
{
    /// <summary>The user credential helpers answer with when the secret is an identity token.</summary>
    public const string TokenUser = "<token>";

    public string? IdentityToken { get; init; }

    /// <summary>A credential as a helper or config.json gives it: the <c>&lt;token&gt;</c> user means the secret is an identity token.</summary>
    public static RegistryCredential From(string username, string secret, string? identityToken = null) =>
        username == TokenUser
            ? new RegistryCredential(username, secret) { IdentityToken = secret }
            : new RegistryCredential(username, secret) { IdentityToken = string.IsNullOrEmpty(identityToken) ? null : identityToken };
}

/// <summary>What was found for a registry, where it came from, and where else was looked (for messages).</summary>
public sealed record CredentialLookup(RegistryCredential? Credential, string Source, IReadOnlyList<string> Searched);

/// <summary>
/// Finds credentials for a registry, first from environment variables (the names the .NET SDK's
/// container tooling reads, and Bakery's own; the role picks the source or the push pair first), then
/// from docker's <c>config.json</c> (credential helpers, inline auths with identity tokens, the
/// credential store). Clients ask only when a registry challenges them, as docker does.
/// </summary>
public sealed class RegistryCredentials(IReadOnlyDictionary<string, string?> environment)
{
    public static RegistryCredentials FromProcess() => new(ProcessEnvironment.Snapshot());

    /// <summary>No environment at all: anonymous (a test, or a tool that must not read the user's logins).</summary>
    public static RegistryCredentials None { get; } = new(new Dictionary<string, string?>());

    private static readonly (string User, string Password)[] PushPairs =
    [
        ("BAKERY_PUSH_REGISTRY_USERNAME", "BAKERY_PUSH_REGISTRY_PASSWORD"),
        ("DOTNET_CONTAINER_PUSH_REGISTRY_UNAME", "DOTNET_CONTAINER_PUSH_REGISTRY_PWORD"),
    ];

    private static readonly (string User, string Password)[] SourcePairs =
    [
        ("BAKERY_SOURCE_REGISTRY_USERNAME", "BAKERY_SOURCE_REGISTRY_PASSWORD"),
        ("DOTNET_CONTAINER_SOURCE_REGISTRY_UNAME", "DOTNET_CONTAINER_SOURCE_REGISTRY_PWORD"),
    ];

    private static readonly (string User, string Password)[] GenericPairs =
    [
        ("BAKERY_REGISTRY_USERNAME", "BAKERY_REGISTRY_PASSWORD"),
        ("DOTNET_CONTAINER_REGISTRY_UNAME", "DOTNET_CONTAINER_REGISTRY_PWORD"),
        ("SDK_CONTAINER_REGISTRY_UNAME", "SDK_CONTAINER_REGISTRY_PWORD"),
    ];

    /// <summary>The environment variables a role reads, in order.</summary>
    public static IEnumerable<(string User, string Password)> EnvironmentPairs(RegistryRole role) =>
        (role == RegistryRole.Push ? PushPairs : SourcePairs).Concat(GenericPairs);

    public RegistryCredential? Find(string registry) => Resolve(registry, RegistryRole.Pull).Credential;

    public RegistryCredential? Find(string registry, RegistryRole role) => Resolve(registry, role).Credential;

    public CredentialLookup Resolve(string registry, RegistryRole role)
    {
        var searched = new List<string>();
        foreach (var (userVar, passwordVar) in EnvironmentPairs(role))
        {
            var user = Get(userVar);
            var password = Get(passwordVar);
            if (!string.IsNullOrEmpty(user) && password is not null) return new(RegistryCredential.From(user, password), $"{userVar}/{passwordVar}", searched);
            searched.Add(userVar);
        }
        var path = DockerConfigPath;
        if (path is null) return new(null, "", searched);
        searched.Add(path);
        return DockerConfig.Lookup(path, registry, PathVariable, searched);
    }

    /// <summary>docker's config.json: <c>$DOCKER_CONFIG/config.json</c>, else <c>~/.docker/config.json</c>.</summary>
    public string? DockerConfigPath
    {
        get
        {
            var dir = Get("DOCKER_CONFIG");
            if (string.IsNullOrEmpty(dir))
            {
                var home = Get("HOME") ?? Get("USERPROFILE");
                if (string.IsNullOrEmpty(home)) return null;
                dir = Path.Combine(home, ".docker");
            }
            return Path.Combine(dir, "config.json");
        }
    }

    private CredentialHelperPath PathVariable => new(Get("PATH"), Get("PATHEXT"), OperatingSystem.IsWindows());

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
