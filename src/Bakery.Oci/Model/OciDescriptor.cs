using System.Text.Json.Serialization;

namespace Bakery.Oci.Model;

/// <summary>A content descriptor as used in manifests: media type, digest, size.</summary>
public sealed record OciDescriptor
{
    [JsonPropertyName("mediaType")] public required string MediaType { get; init; }
    [JsonPropertyName("digest")] public required string Digest { get; init; }
    [JsonPropertyName("size")] public required long Size { get; init; }

    [JsonPropertyName("artifactType")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? ArtifactType { get; init; }

    [JsonPropertyName("platform")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public Platform? Platform { get; init; }

    [JsonPropertyName("annotations")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public SortedDictionary<string, string>? Annotations { get; init; }

    [JsonIgnore] public Digest ParsedDigest => Model.Digest.Parse(Digest);
}
