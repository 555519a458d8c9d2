using Bakery.Core.Descriptors;
using Bakery.Oci.Model;

namespace Bakery.Core.Baking;

/// <summary>A group of files that becomes one local layer, below the app layer.</summary>

/// <summary>What the SDK container targets inferred, plus the project's Container* settings.</summary>
public sealed record ContainerSettings
{
    /// <summary>ContainerEntrypoint / ContainerEntrypointArgs: the older, explicit form.</summary>
    public IReadOnlyList<string> Entrypoint { get; init; } = [];
    public IReadOnlyList<string> EntrypointArgs { get; init; } = [];

    /// <summary>ContainerAppCommand (+Args), ContainerDefaultArgs and ContainerAppCommandInstruction, as the SDK defines them.</summary>
    public IReadOnlyList<string> AppCommand { get; init; } = [];
    public IReadOnlyList<string> AppCommandArgs { get; init; } = [];
    public IReadOnlyList<string> DefaultArgs { get; init; } = [];
    public string? AppCommandInstruction { get; init; }
    public string? User { get; init; }
    public string? WorkingDirectory { get; init; }
    public IReadOnlyList<KeyValuePair<string, string>> Environment { get; init; } = [];
    public IReadOnlyList<string> Ports { get; init; } = [];
    public IReadOnlyList<KeyValuePair<string, string>> Labels { get; init; } = [];
}

public sealed record BakeRequest
{
    public required BaseImageSelection BaseImage { get; init; }
    /// <summary>Where the verified image goes: a registry, the local engine or an archive (<see cref="Destinations.ImageDestination"/>).</summary>
    public required Destinations.ImageDestination Destination { get; init; }

    /// <summary>The registry pushed to; null when the image goes to the local engine or an archive.</summary>
    public string? TargetRegistry => Destination.Kind == Destinations.DestinationKind.Registry ? Destination.Registry : null;
    public string TargetRepository => Destination.Repository;

    /// <summary>ContainerImageFormat: the manifest media types asked for; null keeps the base image's.</summary>
    public Destinations.ImageFormat? ImageFormat { get; init; }

    /// <summary>BakeryAppLayers: the app in layers by change rate (Split) or one layer (Single).</summary>
    public AppLayerMode AppLayers { get; init; } = AppLayerMode.Split;
    public required IReadOnlyList<string> Tags { get; init; }

    /// <summary>BakeryAllowTagOverwrite: a build tag may be moved to another image.</summary>
    public bool AllowTagOverwrite { get; init; }

    /// <summary>The published app; becomes the top layer at <see cref="AppDestination"/>. Null for base images.</summary>
    public string? AppDirectory { get; init; }
    public string AppDestination { get; init; } = "/app";
    /// <summary>Local layers and BakeryRun steps in the order they apply (<see cref="BakeStepOrder"/>), below the app layer.</summary>
    public IReadOnlyList<IBakeStep> Steps { get; init; } = [];
    public ContainerSettings Container { get; init; } = new();

    /// <summary>Structure tests to pass before anything is tagged (own and inherited).</summary>
    public Verification.VerificationPlan Verification { get; init; } = Bakery.Core.Verification.VerificationPlan.None;

    /// <summary>Accepted secret findings, with reasons (BakerySecretAllowlist).</summary>
    public Secrets.SecretAllowlist SecretAllowlist { get; init; } = Bakery.Core.Secrets.SecretAllowlist.Empty;

    /// <summary>Where the CycloneDX SBOM is written (every bake writes one).</summary>
    public string? SbomPath { get; init; }

    /// <summary>BakeryAdvisoryDatabase: OSV JSON files (folder or zip); null means no vulnerability gate.</summary>
    public string? AdvisoryDatabase { get; init; }
    public Security.Severity FailOnSeverity { get; init; } = Security.Severity.High;
    public Security.VulnerabilityAllowlist VulnerabilityAllowlist { get; init; } = Security.VulnerabilityAllowlist.Empty;
    public int AdvisoryMaxAgeDays { get; init; } = 7;

    /// <summary>BakeryAllowRootUser: why this image may run as root; null means it may not.</summary>
    public string? AllowRootReason { get; init; }

    /// <summary>Labels the image must carry: the project's own (SetBy null) and its base images'.</summary>
    public IReadOnlyList<Verification.RequiredLabel> RequiredLabels { get; init; } = [];

    /// <summary>Project version, revision and source for the OCI labels.</summary>
    public string? Version { get; init; }
    public string? Revision { get; init; }
    public string? Source { get; init; }

    /// <summary>Image creation time and layer mtime: SOURCE_DATE_EPOCH or the epoch, so bakes are reproducible.</summary>
    public DateTimeOffset Created { get; init; } = DateTimeOffset.UnixEpoch;

    /// <summary>The platform asked for (ContainerRuntimeIdentifier); null means the base image's own (linux/amd64 from an index).</summary>
    public Platform? Platform { get; init; }

    /// <summary>
    /// A multi-platform bake: one image per platform, pushed as an index after all of them
    /// (BakeryPlatforms, ContainerRuntimeIdentifiers). Null: one image (<see cref="Platform"/>). Empty:
    /// every platform of the base (an index base gives an index, a single-platform base one image).
    /// </summary>
    public IReadOnlyList<PlatformTarget>? Platforms { get; init; }
    /// <summary>BakerySigningKey / BakerySigningCommand: how the image is signed after verification; null means it is not.</summary>
    public Signing.SigningSetup? Signing { get; init; }

    public required string WorkDirectory { get; init; }
    public string? ProjectName { get; init; }
    public string? BuildId { get; init; }
    public DateTimeOffset Now { get; init; } = DateTimeOffset.UtcNow;
    public int MaxParallelUploads { get; init; } = 4;

    /// <summary>
    /// The request for one platform's image of a multi-platform bake: that platform, its app (the
    /// publish for its RID), the steps for it, and its own SBOM file.
    /// </summary>
    public BakeRequest ForPlatform(PlatformTarget target) => this with
    {
        Platform = target.Platform,
        Platforms = null,
        AppDirectory = target.AppDirectory ?? AppDirectory,
        Steps = StepPlatforms.For(Steps, target.Platform),
        SbomPath = SbomPath is null ? null
            : Path.Combine(Path.GetDirectoryName(SbomPath)!, $"{Path.GetFileName(SbomPath).Split('.')[0]}.{PlatformList.FileSafe(target.Platform)}.cdx.json"),
    };
}

/// <summary>One platform of a multi-platform bake; an app's has the publish output for its runtime identifier.</summary>
public sealed record PlatformTarget(Platform Platform, string? AppDirectory = null, string? RuntimeIdentifier = null);
