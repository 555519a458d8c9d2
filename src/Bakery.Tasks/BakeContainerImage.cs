using Bakery.Core;
using Bakery.Core.Baking;
using Bakery.Core.Lifecycle;
using Bakery.Core.Reports;
using Bakery.Oci.Registry;
using Microsoft.Build.Framework;

namespace Bakery.Tasks;

/// <summary>
/// Bakes the published app onto the resolved base image and pushes it: maps MSBuild items and
/// properties to a <see cref="BakeRequest"/>, runs <see cref="ImageBaker"/>, writes the report.
/// </summary>
public sealed class BakeContainerImage : BakeryTask
{
    [Required] public string BaseImageReference { get; set; } = "";
    public string? DescriptorPath { get; set; }
    public string? PackageId { get; set; }
    public string? LifecycleState { get; set; }
    public bool IsUpstream { get; set; }

    public string? TargetRegistry { get; set; }

    /// <summary>LocalRegistry (Docker or Podman), ContainerArchiveOutputPath, ContainerImageFormat: where the image goes without a registry, and in what format.</summary>
    public string? LocalRegistry { get; set; }
    public string? ArchiveOutputPath { get; set; }
    public string? ImageFormat { get; set; }

    /// <summary>BakeryAppLayers: Split (default) or Single.</summary>
    public string? AppLayers { get; set; }
    [Required] public string Repository { get; set; } = "";
    /// <summary>The published app; empty for base images, which add no app layer.</summary>
    public string? PublishDirectory { get; set; }
    public string? WorkingDirectory { get; set; }

    public ITaskItem[] Entrypoint { get; set; } = [];
    public ITaskItem[] EntrypointArgs { get; set; } = [];
    public ITaskItem[] AppCommand { get; set; } = [];
    public ITaskItem[] AppCommandArgs { get; set; } = [];
    public ITaskItem[] DefaultArgs { get; set; } = [];
    public string? AppCommandInstruction { get; set; }
    public string? User { get; set; }
    public ITaskItem[] EnvironmentVariables { get; set; } = [];
    public ITaskItem[] Ports { get; set; } = [];
    public ITaskItem[] Labels { get; set; } = [];
    public ITaskItem[] Layers { get; set; } = [];

    /// <summary>BakeryRun items: Command metadata (or the item itself), optional User and Timeout (seconds).</summary>
    public ITaskItem[] RunSteps { get; set; } = [];
    public string? RuntimeIdentifier { get; set; }

    /// <summary>Base images: BakeryPlatforms (empty: every platform of the base).</summary>
    public string? Platforms { get; set; }

    /// <summary>Apps with ContainerRuntimeIdentifiers: each RID's publish folder (RuntimeIdentifier metadata).</summary>
    public ITaskItem[] RuntimePublishes { get; set; } = [];

    /// <summary>BakeryVerify items: this project's structure-test files (ancestors' come from the base package).</summary>
    public ITaskItem[] VerifyFiles { get; set; } = [];

    /// <summary>BakeryRunCommandTests: auto (when a daemon answers), true, or false.</summary>
    public string? RunCommandTests { get; set; }

    /// <summary>BakeryAllowPrivilegedCommandTests: containerRunOptions privileged and bindMounts may run.</summary>
    public bool AllowPrivilegedCommandTests { get; set; }

    public string? SecretAllowlist { get; set; }
    public string? AdvisoryDatabase { get; set; }
    public string? FailOnSeverity { get; set; }
    public string? VulnerabilityAllowlist { get; set; }
    public string? AdvisoryMaxAgeDays { get; set; }

    /// <summary>BakeryNow: the date advisories, allowlists and database age are judged at.</summary>
    public string? Now { get; set; }
    public string? AllowRootUser { get; set; }

    /// <summary>BakeryRequiredLabel items: labels this image must carry (base images also require them of descendants).</summary>
    public ITaskItem[] RequiredLabels { get; set; } = [];

    [Required] public string Version { get; set; } = "";
    public string? BuildId { get; set; }
    public string? ExtraTags { get; set; }
    public bool AllowLatestTag { get; set; }
    public bool AllowTagOverwrite { get; set; }
    public string? Revision { get; set; }
    public string? SourceUrl { get; set; }
    public string? SourceDateEpoch { get; set; }
    public string? InsecureRegistries { get; set; }
    public string? RegistryTimeout { get; set; }

    /// <summary>How the base's lifecycle was judged (ResolveBakeryBaseImage's settings), recorded in the bake plan for `bakery bake`.</summary>
    public string? DeprecatedBaseImage { get; set; }
    public string? ExpiryWarningDays { get; set; }
    public bool CheckRegistryLifecycle { get; set; }
    public bool Offline { get; set; }

    /// <summary>BakerySigningKey, BakerySigningCommand, BakerySigningPublicKey, BakeryBuilderId, BakeryRequireSignature.</summary>
    public string? SigningKey { get; set; }
    public string? SigningCommand { get; set; }
    public string? SigningPublicKey { get; set; }
    public string? BuilderId { get; set; }
    public bool RequireSignature { get; set; }

    /// <summary>BakeryTrustedSigningKey items (recorded in the bake plan, so `bakery bake` checks the base as the build did).</summary>
    public ITaskItem[] TrustedSigningKeys { get; set; } = [];

    /// <summary>The restore output the evaluation read; with the project's imports (read from a re-evaluation) a base image's bake plan is stale once one changes.</summary>
    public ITaskItem[] PlanInputs { get; set; } = [];

    [Required] public string IntermediateDirectory { get; set; } = "";
    [Required] public string ReportDirectory { get; set; } = "";

    [Output] public string? ImageDigest { get; private set; }
    [Output] public string? ImageName { get; private set; }
    [Output] public string[] ImageTags { get; private set; } = [];
    [Output] public string? ReportPath { get; private set; }

    /// <summary>The archive written (ContainerArchiveOutputPath), as the SDK's GeneratedArchiveOutputPath.</summary>
    [Output] public string? ArchivePath { get; private set; }

    protected override void ExecuteCore()
    {
        var phases = new PhaseTimes(new MSBuildBakeLog(Log));
        var inputs = Inputs();
        // A base image's bake can be run again by `bakery bake` without MSBuild; an app's needs its build.
        if (string.IsNullOrWhiteSpace(PublishDirectory))
            BakePlan.Create(inputs, PlanInputs.Select(i => i.GetMetadata("FullPath")).Concat(ProjectImports.Of(inputs.ProjectFile, BuildEngine)))
                .Save(Path.Combine(IntermediateDirectory, BakePlan.FileName));
        var prepared = BakeRequestFactory.Create(inputs, Environment.GetEnvironmentVariable);
        foreach (var diagnostic in prepared.Diagnostics) LogDiagnostic(diagnostic);
        if (prepared.BuildIdSource is { } source) Log.LogMessage(MessageImportance.Normal, $"Bakery: build id {prepared.Request.BuildId} from {source}.");
        var request = prepared.Request;
        phases.Done("bake request read");

        var log = new MSBuildBakeLog(Log);
        var options = new RegistryClientOptions
        {
            InsecureRegistries = RegistryClientOptions.ParseList(InsecureRegistries),
            RequestTimeout = PropertyValues.RegistryTimeout(RegistryTimeout),
            Log = log.Info,
            Detail = log.Detail,
            Progress = RegistryProgress.Lines(log.Info),
        };
        var lifecycle = Enum.TryParse<LifecycleState>(LifecycleState, out var state) ? state : Core.Lifecycle.LifecycleState.Supported;
        var (result, jsonPath) = new ImageBaker(options, log).BakeAndReportAsync(request, lifecycle, ReportDirectory, CancellationToken).GetAwaiter().GetResult();
        foreach (var line in BakeReportWriter.Summary(result, jsonPath)) Log.LogMessage(MessageImportance.High, line);
        ImageDigest = result.Digest;
        ImageName = result.Image;
        ImageTags = result.Tags.ToArray();
        ReportPath = jsonPath;
        ArchivePath = result.Destination is { Kind: "archive" } archive ? archive.Location : null;
    }

    private BakeInputs Inputs() => TaskInputs.Map<BakeInputs>(this) with
    {
        ProjectFile = string.IsNullOrEmpty(ProjectFile) ? BuildEngine?.ProjectFileOfTaskNode ?? "" : ProjectFile,
    };
}
