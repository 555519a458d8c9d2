using System.Text;
using System.Text.Json;
using Bakery.Oci.Model;

namespace Bakery.Core.Signing;

/// <summary>What a verified simple-signing payload claims: the manifest digest and the repository it was signed for.</summary>
public sealed record SignedClaims(Digest ManifestDigest, string DockerReference);

/// <summary>
/// The payload cosign signs ("simple signing", as containers/image reads it):
/// <c>{"critical":{"identity":{"docker-reference":…},"image":{"docker-manifest-digest":…},"type":"cosign container image signature"},"optional":…}</c>.
/// Parsing is as strict as containers/image: exactly these fields, no duplicates, the right type.
/// </summary>
public static class SimpleSigning
{
    public const string MediaType = "application/vnd.dev.cosign.simplesigning.v1+json";

    /// <summary>The layer annotation that holds the base64 signature of the layer's payload.</summary>
    public const string SignatureAnnotation = "dev.cosignproject.cosign/signature";

    public const string Type = "cosign container image signature";

    /// <summary>The payload for <paramref name="manifest"/> in <paramref name="dockerReference"/> (registry/repository, as cosign signs it), byte for byte as cosign writes it.</summary>
    public static byte[] Payload(string dockerReference, Digest manifest)
    {
        using var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer, new JsonWriterOptions { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping }))
        {
            json.WriteStartObject();
            json.WriteStartObject("critical");
            json.WriteStartObject("identity");
            json.WriteString("docker-reference", dockerReference);
            json.WriteEndObject();
            json.WriteStartObject("image");
            json.WriteString("docker-manifest-digest", manifest.ToString());
            json.WriteEndObject();
            json.WriteString("type", Type);
            json.WriteEndObject();
            json.WriteNull("optional");
            json.WriteEndObject();
        }
        return buffer.ToArray();
    }

    /// <summary>The claims of a payload, or the reason it is not a simple-signing payload.</summary>
    public static (SignedClaims? Claims, string? Problem) Parse(ReadOnlySpan<byte> payload)
    {
        try
        {
            using var document = JsonDocument.Parse(payload.ToArray(), new JsonDocumentOptions { MaxDepth = 16 });
            var root = Exactly(document.RootElement, "the payload", ["critical", "optional"], optional: ["optional"]);
            var critical = Exactly(root["critical"], "critical", ["identity", "image", "type"]);
            var type = Text(critical["type"], "critical.type");
            if (type != Type) return (null, $"its type is '{type}', not '{Type}'");
            var image = Exactly(critical["image"], "critical.image", ["docker-manifest-digest"]);
            var identity = Exactly(critical["identity"], "critical.identity", ["docker-reference"]);
            var digestText = Text(image["docker-manifest-digest"], "critical.image.docker-manifest-digest");
            if (!Digest.TryParse(digestText, out var digest)) return (null, $"its docker-manifest-digest '{digestText}' is not a digest");
            var reference = Text(identity["docker-reference"], "critical.identity.docker-reference");
            if (root.TryGetValue("optional", out var optional) && optional.ValueKind is not (JsonValueKind.Null or JsonValueKind.Object))
                return (null, "its 'optional' is neither null nor an object");
            return (new SignedClaims(digest, reference), null);
        }
        catch (JsonException e) { return (null, $"it is not JSON ({e.Message})"); }
        catch (FormatException e) { return (null, e.Message); }
    }

    /// <summary>Whether a signed docker-reference names <paramref name="repository"/> (registry/repository), with or without a tag or digest, as cosign signs and containers/image's matchRepository accepts.</summary>
    public static bool NamesRepository(string dockerReference, string repository) =>
        string.Equals(RepositoryOf(dockerReference), RepositoryOf(repository), StringComparison.Ordinal);

    private static string RepositoryOf(string reference)
    {
        var name = reference;
        var at = name.IndexOf('@');
        if (at >= 0) name = name[..at];
        var slash = name.LastIndexOf('/');
        var colon = name.LastIndexOf(':');
        if (colon > slash) name = name[..colon];
        // docker.io/library/x and x are the same repository to every client.
        if (!name.Contains('/')) name = "docker.io/library/" + name;
        else if (name.Split('/')[0] is var host && !host.Contains('.') && !host.Contains(':') && host != "localhost") name = "docker.io/" + name;
        if (name.StartsWith("index.docker.io/", StringComparison.Ordinal)) name = "docker.io/" + name["index.docker.io/".Length..];
        return name;
    }

    private static Dictionary<string, JsonElement> Exactly(JsonElement element, string what, string[] required, string[]? optional = null)
    {
        if (element.ValueKind != JsonValueKind.Object) throw new FormatException($"{what} is not an object");
        var fields = new Dictionary<string, JsonElement>(StringComparer.Ordinal);
        foreach (var property in element.EnumerateObject())
        {
            if (!required.Contains(property.Name)) throw new FormatException($"{what} has the unexpected field '{property.Name}'");
            if (!fields.TryAdd(property.Name, property.Value)) throw new FormatException($"{what} has the field '{property.Name}' twice");
        }
        foreach (var name in required)
            if (!fields.ContainsKey(name) && optional?.Contains(name) != true) throw new FormatException($"{what} lacks the field '{name}'");
        return fields;
    }

    private static string Text(JsonElement element, string what) =>
        element.ValueKind == JsonValueKind.String ? element.GetString()! : throw new FormatException($"{what} is not a string");

    internal static string Utf8(ReadOnlySpan<byte> bytes) => Encoding.UTF8.GetString(bytes);
}
