using System.Text.Json;
using System.Text.Json.Serialization;

namespace Bakery.Oci.Model;

/// <summary>An image manifest (OCI or Docker v2 schema 2) or an index, as read from and written to a registry.</summary>
public sealed record ImageManifest
{
    [JsonPropertyName("schemaVersion")] public int SchemaVersion { get; set; } = 2;
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

    /// <summary>
    /// Whether this is an index, by the media type the registry or archive served it as (or its own), or
    /// by its shape: a list of manifests and no config, as media-type-less indexes are.
    /// </summary>
    public bool IsIndex(string? servedMediaType = null) =>
        MediaTypes.IsIndex(servedMediaType) || MediaTypes.IsIndex(MediaType) || (Manifests is not null && Config is null);

    /// <summary>For an index: its image entries, without artifacts, signatures and attestations (the "unknown/unknown" entries BuildKit adds).</summary>
    [JsonIgnore]
    public IReadOnlyList<OciDescriptor> ImageEntries =>
        (Manifests ?? []).Where(m => MediaTypes.IsManifest(m.MediaType) && m.ArtifactType is null
            && m.Platform is not { Os: "unknown" } && m.Platform is not { Architecture: "unknown" }).ToList();

    /// <summary>For an index: the entry for <paramref name="platform"/> (an exact variant first), or null.</summary>
    public OciDescriptor? ManifestFor(Platform platform) => Pick(Manifests ?? [], platform);

    /// <summary>For an index: the image entry for <paramref name="platform"/> (an exact variant first), or null.</summary>
    public OciDescriptor? ImageFor(Platform platform) => Pick(ImageEntries, platform);

    private static OciDescriptor? Pick(IReadOnlyList<OciDescriptor> entries, Platform platform) =>
        entries.FirstOrDefault(m => m.Platform is { } p && p.Matches(platform) && p.Variant == platform.Variant)
        ?? entries.FirstOrDefault(m => m.Platform is { } p && p.Matches(platform));

    /// <summary>For an index: the platforms it has images for.</summary>
    [JsonIgnore]
    public IReadOnlyList<Platform> Platforms => ImageEntries.Select(m => m.Platform).OfType<Platform>().ToList();

    public static ImageManifest Parse(ReadOnlySpan<byte> json) =>
        JsonSerializer.Deserialize(json, ManifestJson.Default.ImageManifest)
        ?? throw new FormatException("The manifest is empty.");

    /// <summary>Canonical bytes: the same manifest always serialises to the same bytes, so it has one digest.</summary>
    public byte[] ToBytes() => JsonSerializer.SerializeToUtf8Bytes(this, ManifestJson.Default.ImageManifest);
}

/// <summary>Source-generated: every registry step reads or writes manifests, and the reflection serializer's first use costs a bake tens of milliseconds of JIT.</summary>
[JsonSerializable(typeof(ImageManifest))]
internal sealed partial class ManifestJson : JsonSerializerContext;
