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

    /// <summary>The package pins an image index: <see cref="DescriptorImage.Platforms"/> lists its images.</summary>
    [JsonIgnore] public bool IsIndex => Image.Platforms is { Count: > 0 };

    /// <summary>The platforms the package has images for: the index's, or the one image's (linux/amd64 when an old package does not say).</summary>
    [JsonIgnore] public IReadOnlyList<Oci.Model.Platform> Platforms =>
        IsIndex ? Image.Platforms!.Select(p => p.Platform!).ToList() : [Image.Platform ?? Oci.Model.Platform.LinuxAmd64];

    /// <summary>The index's image for <paramref name="platform"/> (exact variant first); null for a single-image package or a platform it lacks.</summary>
    public DescriptorPlatformImage? PlatformImage(Oci.Model.Platform platform) =>
        Image.Platforms?.FirstOrDefault(p => p.Platform is { } own && own.Matches(platform) && own.Variant == platform.Variant)
        ?? Image.Platforms?.FirstOrDefault(p => p.Platform is { } own && own.Matches(platform));

    /// <summary>BAKE206 before anything is built when the package has no image for one of <paramref name="platforms"/>.</summary>
    public void EnsureHas(IReadOnlyList<Oci.Model.Platform>? platforms)
    {
        foreach (var wanted in platforms ?? [])
            if (!Platforms.Any(p => p.Matches(wanted)))
                throw Messages.BAKE206(DisplayName, wanted, string.Join(", ", Platforms)).Exception();
    }

    /// <summary>Every digest the package's ancestry runs through: each ancestor's, its index's, and every platform image's.</summary>
    [JsonIgnore] public IReadOnlySet<string> AncestryDigests =>
        Lineage.Concat((Image.Platforms ?? []).SelectMany(p => p.Lineage))
            .SelectMany(a => a.Index is null ? [a.Digest] : new[] { a.Digest, a.Index }).ToHashSet(StringComparer.Ordinal);

    /// <summary>The ancestors of the image for <paramref name="platform"/>: its own lineage in an index, else the package's.</summary>
    public IReadOnlyList<LineageEntry> LineageFor(Oci.Model.Platform? platform) =>
        platform is not null && PlatformImage(platform) is { } image ? image.Lineage : Lineage;
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

    /// <summary>When <see cref="Digest"/> is an image index: each platform's image (absent in single-image packages).</summary>
    [JsonPropertyName("platforms")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public IReadOnlyList<DescriptorPlatformImage>? Platforms { get; init; }
}

/// <summary>One platform's image of a pinned index: its manifest digest, media type, compressed size, SBOM and its own lineage.</summary>
public sealed record DescriptorPlatformImage
{
    [JsonPropertyName("platform")]
    [JsonConverter(typeof(Oci.Model.Platform.TextJsonConverter))]
    public Oci.Model.Platform? Platform { get; init; }
    [JsonPropertyName("digest")] public string Digest { get; init; } = "";
    [JsonPropertyName("mediaType")] public string? MediaType { get; init; }
    [JsonPropertyName("size")] public long? Size { get; init; }

    /// <summary>This image's ancestors, nearest first: each the platform image of that ancestor, with the index it belongs to.</summary>
    [JsonPropertyName("lineage")] public IReadOnlyList<LineageEntry> Lineage { get; init; } = [];

    [JsonPropertyName("sbom")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? Sbom { get; init; }
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

    /// <summary>The image index this ancestor's image was taken from (multi-platform ancestors); lifecycle records on either apply.</summary>
    [JsonPropertyName("index")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? Index { get; init; }
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
