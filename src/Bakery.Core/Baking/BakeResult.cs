using Bakery.Core.Lifecycle;
using Bakery.Oci.Model;

namespace Bakery.Core.Baking;

public sealed record LayerReport(string Name, string Digest, long Size, string Origin);

public sealed record PushStatistics(int BlobsUploaded, int BlobsMounted, int BlobsSkipped, long BytesUploaded)
{
    public PushStatistics Add(PushStatistics other) => new(BlobsUploaded + other.BlobsUploaded, BlobsMounted + other.BlobsMounted,
        BlobsSkipped + other.BlobsSkipped, BytesUploaded + other.BytesUploaded);
}

public enum BakeOutcome { Passed, Failed }

public sealed record BakeResult
{
    /// <summary>Failed reports are written when verification or the gates stop a bake; nothing was tagged then.</summary>
    public BakeOutcome Outcome { get; init; } = BakeOutcome.Passed;
    public string? Failure { get; init; }

    public required string Image { get; init; }
    public required string Digest { get; init; }
    public required string MediaType { get; init; }
    public required string ConfigDigest { get; init; }
    public required IReadOnlyList<string> Tags { get; init; }

    /// <summary>Tags that named another image before this bake (a version tag moving to the newest build).</summary>
    public IReadOnlyList<MovedTag> MovedTags { get; init; } = [];
    public required string BaseImage { get; init; }
    public required string BaseDigest { get; init; }
    public string? BasePackage { get; init; }
    /// <summary>Ancestors, nearest first: the base image itself, then its package's lineage.</summary>
    public IReadOnlyList<Descriptors.LineageEntry> Lineage { get; init; } = [];
    public LifecycleState Lifecycle { get; init; }
    public DateTimeOffset? BaseExpiresOn { get; init; }
    public required IReadOnlyList<LayerReport> Layers { get; init; }
    public required PushStatistics Push { get; init; }
    /// <summary>The image's platform; null for an index (its images are in <see cref="Platforms"/>).</summary>

    /// <summary>Where the image went: a registry, the local engine (with its image ID) or an archive file; null in reports of images only checked.</summary>
    public Destinations.DestinationReport? Destination { get; init; }
    [System.Text.Json.Serialization.JsonConverter(typeof(Platform.TextJsonConverter))]
    public required Platform? Platform { get; init; }

    /// <summary>A multi-platform bake: one entry per platform image of the index <see cref="Digest"/> names, in index order. Empty for one image.</summary>
    public IReadOnlyList<PlatformResult> Platforms { get; init; } = [];
    public string? BuildId { get; init; }
    public IReadOnlyList<Verification.CheckResult> Checks { get; init; } = [];

    /// <summary>Secret findings that were allowed (redacted); any other finding fails the bake.</summary>
    public IReadOnlyList<Bakery.Core.Secrets.SecretFinding> AllowedSecrets { get; init; } = [];

    /// <summary>Every secret finding that blocked the bake (redacted): only in a failed report.</summary>
    public IReadOnlyList<Bakery.Core.Secrets.SecretFinding> Secrets { get; init; } = [];

    public int SbomComponents { get; init; }

    /// <summary>Digest of the CycloneDX SBOM pushed as a referrer of the image.</summary>
    public string? SbomDigest { get; init; }

    /// <summary>Advisory matches that did not block the bake (below the threshold or allowlisted).</summary>
    public IReadOnlyList<Security.VulnerabilityFinding> Vulnerabilities { get; init; } = [];

    /// <summary>Advisory matches at or above the threshold: only in a failed report.</summary>
    public IReadOnlyList<Security.VulnerabilityFinding> BlockingVulnerabilities { get; init; } = [];

    /// <summary>Warnings about accepted layer entries (BAKE325–BAKE327: special files, permissions, unusual tar features).</summary>
    public IReadOnlyList<BakeryDiagnostic> LayerWarnings { get; init; } = [];

    /// <summary>The signatures and attestations this bake attached (null when it did not sign).</summary>
    public Signing.SigningReport? Signing { get; init; }

    public long TotalSize => Platforms.Count > 0 ? Platforms.Sum(p => p.TotalSize) : Layers.Sum(l => l.Size);
}

/// <summary>One platform's image of a multi-platform bake: what the descriptor pins for it and what its bake did.</summary>
public sealed record PlatformResult
{
    [System.Text.Json.Serialization.JsonConverter(typeof(Platform.TextJsonConverter))]
    public required Platform Platform { get; init; }
    public string? RuntimeIdentifier { get; init; }
    public required string Digest { get; init; }
    public required string MediaType { get; init; }
    public required string ConfigDigest { get; init; }
    public required string BaseDigest { get; init; }
    /// <summary>This image's ancestors, nearest first: each ancestor's image for this platform, with the index it belongs to.</summary>
    public IReadOnlyList<Descriptors.LineageEntry> Lineage { get; init; } = [];
    public required IReadOnlyList<LayerReport> Layers { get; init; }
    public required PushStatistics Push { get; init; }
    public int SbomComponents { get; init; }
    public string? SbomDigest { get; init; }
    /// <summary>Checks run on this platform's image (they are also in the bake's <see cref="BakeResult.Checks"/>, named with the platform).</summary>
    public int ChecksPassed { get; init; }
    public int ChecksSkipped { get; init; }
    public long TotalSize => Layers.Sum(l => l.Size);
}
