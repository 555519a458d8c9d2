using System.Text.Json;
using System.Text.Json.Serialization;

namespace Bakery.Oci.Model;

/// <summary>An image manifest (OCI or Docker v2 schema 2) or an index, as read from and written to a registry.</summary>
public sealed record ImageManifest
{
    [JsonPropertyName("schemaVersion")] public int SchemaVersion { get; init; } = 2;
    [JsonPropertyName("mediaType")] public string? MediaType { get; init; }

    [JsonPropertyName("artifactType")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? ArtifactType { get; init; }

    [JsonPropertyName("config")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public OciDescriptor? Config { get; init; }

    [JsonPropertyName("layers")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public IReadOnlyList<OciDescriptor>? Layers { get; init; }

    [JsonPropertyName("manifests")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public IReadOnlyList<OciDescriptor>? Manifests { get; init; }

    [JsonPropertyName("subject")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public OciDescriptor? Subject { get; init; }

    [JsonPropertyName("annotations")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public SortedDictionary<string, string>? Annotations { get; init; }

    /// <summary>For an index: the entry for <paramref name="platform"/> (an exact variant first), or null.</summary>
    public OciDescriptor? ManifestFor(Platform platform) =>
        Manifests?.FirstOrDefault(m => m.Platform is { } p && p.Matches(platform) && p.Variant == platform.Variant)
        ?? Manifests?.FirstOrDefault(m => m.Platform is { } p && p.Matches(platform));

    /// <summary>For an index: the platforms it has images for (artifacts and attestations without a platform are left out).</summary>
    public IReadOnlyList<Platform> Platforms =>
        Manifests?.Select(m => m.Platform).OfType<Platform>().Where(p => p.Os != "unknown").ToList() ?? [];

    private static readonly JsonSerializerOptions ReadOptions = new() { PropertyNameCaseInsensitive = false };
    private static readonly JsonSerializerOptions WriteOptions = new() { WriteIndented = false };

    public static ImageManifest Parse(ReadOnlySpan<byte> json) =>
        JsonSerializer.Deserialize<ImageManifest>(json, ReadOptions)
        ?? throw new FormatException("The manifest is empty.");

    /// <summary>Canonical bytes: the same manifest always serialises to the same bytes, so it has one digest.</summary>
    public byte[] ToBytes() => JsonSerializer.SerializeToUtf8Bytes(this, WriteOptions);
}
