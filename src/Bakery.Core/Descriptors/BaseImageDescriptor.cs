using System.Text.Json.Serialization;

namespace Bakery.Core.Descriptors;

/// <summary>The contents of <c>bakery/image.json</c> in a base-image package (DESIGN.md, "Base-image package").</summary>
public sealed record BaseImageDescriptor
{
    public const int CurrentSchemaVersion = 1;

    [JsonPropertyName("schemaVersion")] public int SchemaVersion { get; init; } = CurrentSchemaVersion;
    [JsonPropertyName("id")] public string Id { get; init; } = "";
    [JsonPropertyName("version")] public string Version { get; init; } = "";
    [JsonPropertyName("image")] public DescriptorImage Image { get; init; } = new();
    [JsonPropertyName("lifecycle")] public DescriptorLifecycle Lifecycle { get; init; } = new();
    [JsonPropertyName("lineage")] public IReadOnlyList<LineageEntry> Lineage { get; init; } = [];
    [JsonPropertyName("origin")] public DescriptorOrigin Origin { get; init; } = new();
    [JsonPropertyName("labels")] public IReadOnlyDictionary<string, string> Labels { get; init; } = new Dictionary<string, string>();
    [JsonPropertyName("verify")] public IReadOnlyList<string> Verify { get; init; } = [];
    [JsonPropertyName("environment")] public DescriptorEnvironment Environment { get; init; } = new();

    /// <summary>Labels every descendant must carry (this package's and its ancestors').</summary>
    [JsonPropertyName("requiredLabels")] public IReadOnlyList<Verification.RequiredLabel> RequiredLabels { get; init; } = [];

    /// <summary>What every descendant's vulnerability gate must do (the strictest of this package's and its ancestors').</summary>
    [JsonPropertyName("security")] public Security.SecurityRequirements? Security { get; init; }

    /// <summary>Who must have signed the image and its ancestors, and the signatures recorded at pack time (merged down the lineage).</summary>
    [JsonPropertyName("trust")] public Trust.TrustPolicy? Trust { get; init; }

    /// <summary>Digest of the image's CycloneDX SBOM, pushed as a referrer of the image.</summary>
    [JsonPropertyName("sbom")] public string? Sbom { get; init; }

    /// <summary>registry/repository@digest</summary>
    [JsonIgnore] public string PinnedReference => $"{Image.Registry}/{Image.Repository}@{Image.Digest}";

    /// <summary>"Id Version (registry/repository@digest)" for messages.</summary>
    [JsonIgnore] public string DisplayName => $"{Id} {Version} ({PinnedReference})";
}

public sealed record DescriptorImage
{
    [JsonPropertyName("registry")] public string Registry { get; init; } = "";
    [JsonPropertyName("repository")] public string Repository { get; init; } = "";
    [JsonPropertyName("digest")] public string Digest { get; init; } = "";
    [JsonPropertyName("mediaType")] public string? MediaType { get; init; }
    [JsonPropertyName("platform")]
    [JsonConverter(typeof(Oci.Model.Platform.TextJsonConverter))]
    public Oci.Model.Platform? Platform { get; init; }
    [JsonPropertyName("size")] public long? Size { get; init; }
}

public sealed record DescriptorLifecycle
{
    [JsonPropertyName("published")] public DateTimeOffset? Published { get; init; }
    [JsonPropertyName("deprecatedOn")] public DateTimeOffset? DeprecatedOn { get; init; }
    [JsonPropertyName("expiresOn")] public DateTimeOffset? ExpiresOn { get; init; }
    [JsonPropertyName("successor")] public string? Successor { get; init; }
}

public sealed record LineageEntry
{
    [JsonPropertyName("repository")] public string Repository { get; init; } = "";
    [JsonPropertyName("digest")] public string Digest { get; init; } = "";
    [JsonPropertyName("packageId")] public string? PackageId { get; init; }
    [JsonPropertyName("packageVersion")] public string? PackageVersion { get; init; }
}

public sealed record DescriptorOrigin
{
    [JsonPropertyName("source")] public string? Source { get; init; }
    [JsonPropertyName("revision")] public string? Revision { get; init; }
    [JsonPropertyName("buildId")] public string? BuildId { get; init; }
}

public sealed record DescriptorEnvironment
{
    [JsonPropertyName("user")] public string? User { get; init; }
    [JsonPropertyName("workdir")] public string? WorkDir { get; init; }
}
