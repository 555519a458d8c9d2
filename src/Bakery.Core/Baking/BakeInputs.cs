namespace Bakery.Core.Baking;

/// <summary>An MSBuild item as a bake sees it: its spec and the metadata the bake reads (FullPath for files).</summary>
public sealed record BakeItem(string Spec, IReadOnlyDictionary<string, string>? Metadata = null)
{
    public string Get(string name) => Metadata is not null && Metadata.TryGetValue(name, out var value) ? value : "";
}

/// <summary>Marks item inputs that name files: their full paths are kept (MSBuild resolves them against the project).</summary>
[AttributeUsage(AttributeTargets.Property)]
public sealed class FileItemsAttribute : Attribute;

/// <summary>
/// Everything a bake is made from, as the project evaluated it: the BakeContainerImage task's
/// properties and items in plain values. <see cref="BakeRequestFactory"/> turns them into a
/// <see cref="BakeRequest"/>; a bake plan stores them so the bakery tool can bake again without MSBuild.
/// </summary>
public sealed record BakeInputs
{
    public required string ProjectFile { get; init; }
    public required string BaseImageReference { get; init; }
    public string? DescriptorPath { get; init; }
    public string? PackageId { get; init; }
    public bool IsUpstream { get; init; }

    public string? TargetRegistry { get; init; }

    /// <summary>LocalRegistry (Docker or Podman), ContainerArchiveOutputPath, ContainerImageFormat and BakeryAppLayers, as the .NET SDK and Bakery name them.</summary>
    public string? LocalRegistry { get; init; }
    public string? ArchiveOutputPath { get; init; }
    public string? ImageFormat { get; init; }
    public string? AppLayers { get; init; }
    public required string Repository { get; init; }
    public string? PublishDirectory { get; init; }
    public string? WorkingDirectory { get; init; }

    public IReadOnlyList<BakeItem> Entrypoint { get; init; } = [];
    public IReadOnlyList<BakeItem> EntrypointArgs { get; init; } = [];
    public IReadOnlyList<BakeItem> AppCommand { get; init; } = [];
    public IReadOnlyList<BakeItem> AppCommandArgs { get; init; } = [];
    public IReadOnlyList<BakeItem> DefaultArgs { get; init; } = [];
    public string? AppCommandInstruction { get; init; }
    public string? User { get; init; }
    public IReadOnlyList<BakeItem> EnvironmentVariables { get; init; } = [];
    public IReadOnlyList<BakeItem> Ports { get; init; } = [];
    public IReadOnlyList<BakeItem> Labels { get; init; } = [];
    [FileItems] public IReadOnlyList<BakeItem> Layers { get; init; } = [];
    public IReadOnlyList<BakeItem> RunSteps { get; init; } = [];
    public string? RuntimeIdentifier { get; init; }

    /// <summary>Base images: BakeryPlatforms (empty: every platform of the base).</summary>
    public string? Platforms { get; init; }

    /// <summary>Apps with ContainerRuntimeIdentifiers: the publish folder of each RID (RuntimeIdentifier metadata), one image each.</summary>
    [FileItems] public IReadOnlyList<BakeItem> RuntimePublishes { get; init; } = [];
    [FileItems] public IReadOnlyList<BakeItem> VerifyFiles { get; init; } = [];
    public string? RunCommandTests { get; init; }
    public bool AllowPrivilegedCommandTests { get; init; }

    public string? SecretAllowlist { get; init; }
    public string? AdvisoryDatabase { get; init; }
    public string? FailOnSeverity { get; init; }
    public string? VulnerabilityAllowlist { get; init; }
    public string? AdvisoryMaxAgeDays { get; init; }
    public string? Now { get; init; }
    public string? AllowRootUser { get; init; }
    public IReadOnlyList<BakeItem> RequiredLabels { get; init; } = [];

    public required string Version { get; init; }
    public string? BuildId { get; init; }
    public string? ExtraTags { get; init; }
    public bool AllowLatestTag { get; init; }
    public bool AllowTagOverwrite { get; init; }
    public string? Revision { get; init; }
    public string? SourceUrl { get; init; }
    public string? SourceDateEpoch { get; init; }
    public string? InsecureRegistries { get; init; }

    /// <summary>BakeryRegistryTimeout: seconds one registry request may wait for an answer (default 60).</summary>
    public string? RegistryTimeout { get; init; }

    /// <summary>How the base image's lifecycle is judged: BakeryDeprecatedBaseImage, BakeryExpiryWarningDays, the registry check, BakeryOffline.</summary>
    public string? DeprecatedBaseImage { get; init; }
    public string? ExpiryWarningDays { get; init; }
    public bool CheckRegistryLifecycle { get; init; }
    public bool Offline { get; init; }

    /// <summary>Signing: BakerySigningKey (full path), BakerySigningCommand, BakerySigningPublicKey (full path), BakeryBuilderId, BakeryRequireSignature.</summary>
    public string? SigningKey { get; init; }
    public string? SigningCommand { get; init; }
    public string? SigningPublicKey { get; init; }
    public string? BuilderId { get; init; }
    public bool RequireSignature { get; init; }

    /// <summary>BakeryTrustedSigningKey items: public keys the base image and its ancestors must be signed by (For, Provenance metadata).</summary>
    [FileItems] public IReadOnlyList<BakeItem> TrustedSigningKeys { get; init; } = [];

    public required string IntermediateDirectory { get; init; }
    public required string ReportDirectory { get; init; }
}
