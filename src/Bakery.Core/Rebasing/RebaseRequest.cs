using Bakery.Core.Descriptors;

namespace Bakery.Core.Rebasing;

/// <summary>
/// A rebase: the image whose own layers move, the base they move onto, where the result goes and
/// with which tags, and the gates' settings (those a bake takes from its project; the base's
/// verification files and security requirements come with the new base's package).
/// </summary>
public sealed record RebaseRequest
{
    /// <summary>registry/repository:tag or registry/repository@sha256:… of the image to rebase.</summary>
    public required string Image { get; init; }
    public required RebaseBase Onto { get; init; }

    /// <summary>registry/repository (or a repository on the image's registry) to push to; null: the image's own repository.</summary>
    public string? PushTo { get; init; }
    public string? BuildId { get; init; }
    public IReadOnlyList<string> ExtraTags { get; init; } = [];
    public bool AllowLatestTag { get; init; }
    public bool AllowTagOverwrite { get; init; }

    /// <summary>The gates, as a bake of the image's own project sets them (the new base's package brings its own structure tests and its ancestors').</summary>
    public Verification.GateOptions Gates { get; init; } = new();
    public DateTimeOffset Now { get; init; } = DateTimeOffset.UtcNow;

    /// <summary>Blobs, layer indexes and verified outcomes, kept between rebases (content-addressed).</summary>
    public required string WorkDirectory { get; init; }
    public required string ReportDirectory { get; init; }

    /// <summary>Where base-image packages are looked up: the old base's (for its lifecycle) and a rebased base image's own (to write its successor).</summary>
    public required PackageLocator Packages { get; init; }

    /// <summary>A folder feed for the package of a rebased base image; null: no package is written (BAKE612 warns).</summary>
    public string? PackOutput { get; init; }

    /// <summary>Check (the layers and the runtime too) and compose only: print the digest the rebase gives, push nothing.</summary>
    public bool DryRun { get; init; }
    public int MaxParallelUploads { get; init; } = 4;

    /// <summary>CI variables for the build id (GITHUB_RUN_NUMBER, …), as a bake reads them.</summary>
    public Func<string, string?> Environment { get; init; } = System.Environment.GetEnvironmentVariable;
}

public enum RebaseOutcome { Rebased, UpToDate, NeedsRebuild, Failed }

/// <summary>What a rebase did, or why it did not.</summary>
public sealed record RebaseResult
{
    public required string Image { get; init; }
    /// <summary>The digest the image had (an index's, for a multi-platform image).</summary>
    public required string From { get; init; }
    public RebaseOutcome Outcome { get; init; }
    /// <summary>The BAKE code of a refusal or failure, and its message.</summary>
    public string? Code { get; init; }
    public string? Reason { get; init; }

    /// <summary>registry/repository the rebased image was pushed to, and its digest.</summary>
    public string? Target { get; init; }
    public string? Digest { get; init; }
    public IReadOnlyList<string> Tags { get; init; } = [];
    public string? OldBase { get; init; }
    public string? NewBase { get; init; }
    public IReadOnlyList<string> Platforms { get; init; } = [];
    public int OwnLayers { get; init; }
    public IReadOnlyList<string> Frameworks { get; init; } = [];

    /// <summary>Blob bytes sent (the new config; layers are mounted or already there) and manifest bytes put (by digest and per tag).</summary>
    public long BlobBytesUploaded { get; init; }
    public long ManifestBytesUploaded { get; init; }
    public int BlobsUploaded { get; init; }
    public int BlobsMounted { get; init; }
    public int BlobsSkipped { get; init; }

    /// <summary>The successor package written for a rebased base image ("Id Version"), and its file.</summary>
    public string? Package { get; init; }
    public string? PackageFile { get; init; }
    public string? ReportPath { get; init; }
    public double Seconds { get; init; }
    public IReadOnlyList<string> Warnings { get; init; } = [];

    /// <summary>The written package, for rebasing the images built on this one (not serialised).</summary>
    [System.Text.Json.Serialization.JsonIgnore] public LocatedPackage? WrittenPackage { get; init; }
}
