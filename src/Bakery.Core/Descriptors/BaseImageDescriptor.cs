using System.Text.Json.Serialization;

namespace Bakery.Core.Descriptors;

/// <summary>The contents of <c>bakery/image.json</c> in a base-image package (DESIGN.md, "Base-image package").</summary>
public sealed record BaseImageDescriptor
{
    public const int CurrentSchemaVersion = 1;

    [JsonPropertyName("schemaVersion")] public int SchemaVersion { get; set; } = CurrentSchemaVersion;
    [JsonPropertyName("id")] public string Id { get; set; } = "";
    [JsonPropertyName("version")] public string Version { get; set; } = "";
    [JsonPropertyName("image")] public DescriptorImage Image { get; set; } = new();
    [JsonPropertyName("lifecycle")] public DescriptorLifecycle Lifecycle { get; set; } = new();
    [JsonPropertyName("lineage")] public IReadOnlyList<LineageEntry> Lineage { get; set; } = [];
    [JsonPropertyName("origin")] public DescriptorOrigin Origin { get; set; } = new();
    [JsonPropertyName("labels")] public IReadOnlyDictionary<string, string> Labels { get; set; } = new Dictionary<string, string>();
    [JsonPropertyName("verify")] public IReadOnlyList<string> Verify { get; set; } = [];
    [JsonPropertyName("environment")] public DescriptorEnvironment Environment { get; set; } = new();

    /// <summary>Labels every descendant must carry (this package's and its ancestors').</summary>
    [JsonPropertyName("requiredLabels")] public IReadOnlyList<Verification.RequiredLabel> RequiredLabels { get; set; } = [];

    /// <summary>What every descendant's vulnerability gate must do (the strictest of this package's and its ancestors').</summary>
    [JsonPropertyName("security")] public Security.SecurityRequirements? Security { get; set; }

    /// <summary>Who must have signed the image and its ancestors, and the signatures recorded at pack time (merged down the lineage).</summary>
    [JsonPropertyName("trust")] public Trust.TrustPolicy? Trust { get; set; }

    /// <summary>Digest of the image's CycloneDX SBOM, pushed as a referrer of the image.</summary>
    [JsonPropertyName("sbom")] public string? Sbom { get; set; }

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
    [JsonPropertyName("registry")] public string Registry { get; set; } = "";
    [JsonPropertyName("repository")] public string Repository { get; set; } = "";
    [JsonPropertyName("digest")] public string Digest { get; set; } = "";
    [JsonPropertyName("mediaType")] public string? MediaType { get; set; }
    [JsonPropertyName("platform")]
    [JsonConverter(typeof(Oci.Model.Platform.TextJsonConverter))]
    public Oci.Model.Platform? Platform { get; set; }
    [JsonPropertyName("size")] public long? Size { get; set; }

    /// <summary>When <see cref="Digest"/> is an image index: each platform's image (absent in single-image packages).</summary>
    [JsonPropertyName("platforms")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public IReadOnlyList<DescriptorPlatformImage>? Platforms { get; set; }
}

/// <summary>One platform's image of a pinned index: its manifest digest, media type, compressed size, SBOM and its own lineage.</summary>
public sealed record DescriptorPlatformImage
{
    [JsonPropertyName("platform")]
    [JsonConverter(typeof(Oci.Model.Platform.TextJsonConverter))]
    public Oci.Model.Platform? Platform { get; set; }
    [JsonPropertyName("digest")] public string Digest { get; set; } = "";
    [JsonPropertyName("mediaType")] public string? MediaType { get; set; }
    [JsonPropertyName("size")] public long? Size { get; set; }

    /// <summary>This image's ancestors, nearest first: each the platform image of that ancestor, with the index it belongs to.</summary>
    [JsonPropertyName("lineage")] public IReadOnlyList<LineageEntry> Lineage { get; set; } = [];

    [JsonPropertyName("sbom")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? Sbom { get; set; }
}

public sealed record DescriptorLifecycle
{
    [JsonPropertyName("published")] public DateTimeOffset? Published { get; set; }
    [JsonPropertyName("deprecatedOn")] public DateTimeOffset? DeprecatedOn { get; set; }
    [JsonPropertyName("expiresOn")] public DateTimeOffset? ExpiresOn { get; set; }
    [JsonPropertyName("successor")] public string? Successor { get; set; }
}

public sealed record LineageEntry
{
    [JsonPropertyName("repository")] public string Repository { get; set; } = "";
    [JsonPropertyName("digest")] public string Digest { get; set; } = "";
    [JsonPropertyName("packageId")] public string? PackageId { get; set; }
    [JsonPropertyName("packageVersion")] public string? PackageVersion { get; set; }

    /// <summary>The image index this ancestor's image was taken from (multi-platform ancestors); lifecycle records on either apply.</summary>
    [JsonPropertyName("index")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? Index { get; set; }
}

public sealed record DescriptorOrigin
{
    [JsonPropertyName("source")] public string? Source { get; set; }
    [JsonPropertyName("revision")] public string? Revision { get; set; }
    [JsonPropertyName("buildId")] public string? BuildId { get; set; }
}

public sealed record DescriptorEnvironment
{
    [JsonPropertyName("user")] public string? User { get; set; }
    [JsonPropertyName("workdir")] public string? WorkDir { get; set; }
}
