using System.Text;
using System.Text.Json;

namespace Bakery.Oci.Registry;

/// <summary>
/// docker's config.json as docker reads it for one registry: a <c>credHelpers</c> entry, then the
/// inline <c>auths</c> entry (<c>auth</c>, <c>username</c>/<c>password</c>, <c>identitytoken</c>), then
/// the <c>credsStore</c> helper. Docker Hub is the <c>https://index.docker.io/v1/</c> key (or
/// <c>docker.io</c>, as podman writes it).
/// </summary>
internal static class DockerConfig
{
    public static CredentialLookup Lookup(string path, string registry, CredentialHelperPath helpers, List<string> searched)
    {
        if (!File.Exists(path)) return new(null, "", searched);
        JsonDocument doc;
        try
        {
            doc = JsonDocument.Parse(File.ReadAllBytes(path), new JsonDocumentOptions { AllowTrailingCommas = true, CommentHandling = JsonCommentHandling.Skip });
        }
        catch (Exception e) when (e is JsonException or IOException or UnauthorizedAccessException)
        {
            throw new RegistryException(RegistryFailure.CredentialHelper, registry, "",
                $"The docker config {path} cannot be read ({e.Message}): fix or remove it, or set the registry credentials in environment variables.");
        }
        using (doc)
        {
            var root = doc.RootElement;
            if (root.ValueKind != JsonValueKind.Object) return new(null, "", searched);
            var hub = RegistryHost.IsDockerHub(registry);
            var server = hub ? RegistryHost.DockerHubConfigKey : registry;

            if (Entry(root, "credHelpers", registry) is { ValueKind: JsonValueKind.String } helperName && helperName.GetString() is { Length: > 0 } helper)
                return Helper(helper, server, registry, path, "credHelpers", helpers, searched);

            if (Entry(root, "auths", registry) is { ValueKind: JsonValueKind.Object } auth && FromAuth(auth, registry, path) is { } inline)
                return new(inline, $"the auths entry of {path}", searched);

            if (root.TryGetProperty("credsStore", out var store) && store.ValueKind == JsonValueKind.String && store.GetString() is { Length: > 0 } storeHelper)
                return Helper(storeHelper, server, registry, path, "credsStore", helpers, searched);
            return new(null, "", searched);
        }
    }

    /// <summary>The entry for the registry: Docker Hub's v1 key first, then any key whose host is the registry.</summary>
    private static JsonElement? Entry(JsonElement root, string section, string registry)
    {
        if (!root.TryGetProperty(section, out var entries) || entries.ValueKind != JsonValueKind.Object) return null;
        var hub = RegistryHost.IsDockerHub(registry);
        if (hub && entries.TryGetProperty(RegistryHost.DockerHubConfigKey, out var v1)) return v1;
        foreach (var entry in entries.EnumerateObject())
        {
            var host = RegistryCredentials.HostOf(entry.Name);
            if (string.Equals(host, registry, StringComparison.OrdinalIgnoreCase) || (hub && RegistryHost.IsDockerHub(host))) return entry.Value;
        }
        return null;
    }

    private static RegistryCredential? FromAuth(JsonElement entry, string registry, string path)
    {
        string? Text(string name) => entry.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;
        var identityToken = Text("identitytoken");
        if (Text("auth") is { Length: > 0 } encoded)
        {
            string decoded;
            try { decoded = Encoding.UTF8.GetString(Convert.FromBase64String(encoded)); }
            catch (FormatException)
            {
                throw new RegistryException(RegistryFailure.CredentialHelper, registry, "",
                    $"The auths entry for {registry} in {path} is not base64 of user:password: log in again with 'docker login {registry}'.");
            }
            var colon = decoded.IndexOf(':');
            if (colon > 0) return RegistryCredential.From(decoded[..colon], decoded[(colon + 1)..], identityToken);
        }
        if (Text("username") is { Length: > 0 } username)
            return RegistryCredential.From(username, Text("password") ?? "", identityToken);
        if (identityToken is { Length: > 0 }) return RegistryCredential.From(RegistryCredential.TokenUser, identityToken);
        return null;
    }

    private static CredentialLookup Helper(string name, string server, string registry, string path, string key, CredentialHelperPath helpers, List<string> searched)
    {
        var program = CredentialHelper.ProgramName(name);
        searched.Add(program);
        var credential = CredentialHelper.Get(name, server, registry, $"'{key}' in {path}", helpers);
        return new(credential, program, searched);
    }
}
