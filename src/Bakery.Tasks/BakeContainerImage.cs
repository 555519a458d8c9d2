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
    public string? Revision { get; set; }
    public string? SourceUrl { get; set; }
    public string? SourceDateEpoch { get; set; }
    public string? InsecureRegistries { get; set; }

    /// <summary>How the base's lifecycle was judged (ResolveBakeryBaseImage's settings), recorded in the bake plan for `bakery bake`.</summary>
    public string? DeprecatedBaseImage { get; set; }
    public string? ExpiryWarningDays { get; set; }
    public bool CheckRegistryLifecycle { get; set; }
    public bool Offline { get; set; }

    /// <summary>The files the evaluation read (project, imports, restore output): a base image's bake plan is stale once one changes.</summary>
    public ITaskItem[] PlanInputs { get; set; } = [];

    [Required] public string IntermediateDirectory { get; set; } = "";
    [Required] public string ReportDirectory { get; set; } = "";

    [Output] public string? ImageDigest { get; private set; }
    [Output] public string? ImageName { get; private set; }
    [Output] public string[] ImageTags { get; private set; } = [];
    [Output] public string? ReportPath { get; private set; }

    protected override void ExecuteCore()
    {
        var inputs = Inputs();
        // A base image's bake can be run again by `bakery bake` without MSBuild; an app's needs its build.
        if (string.IsNullOrWhiteSpace(PublishDirectory))
            BakePlan.Create(inputs, PlanInputs.Select(i => i.GetMetadata("FullPath"))).Save(Path.Combine(IntermediateDirectory, BakePlan.FileName));
        var prepared = BakeRequestFactory.Create(inputs, Environment.GetEnvironmentVariable);
        foreach (var diagnostic in prepared.Diagnostics) LogDiagnostic(diagnostic);
        if (prepared.BuildIdSource is { } source) Log.LogMessage(MessageImportance.Normal, $"Bakery: build id {prepared.Request.BuildId} from {source}.");
        var request = prepared.Request;

        var log = new MSBuildBakeLog(Log);
        var options = new RegistryClientOptions
        {
            InsecureRegistries = RegistryClientOptions.ParseList(InsecureRegistries),
            Log = log.Info,
        };
        var lifecycle = Enum.TryParse<LifecycleState>(LifecycleState, out var state) ? state : Core.Lifecycle.LifecycleState.Supported;
        var (result, jsonPath) = new ImageBaker(options, log).BakeAndReportAsync(request, lifecycle, ReportDirectory, CancellationToken).GetAwaiter().GetResult();
        foreach (var line in BakeReportWriter.Summary(result, jsonPath)) Log.LogMessage(MessageImportance.High, line);
        ImageDigest = result.Digest;
        ImageName = result.Image;
        ImageTags = result.Tags.ToArray();
        ReportPath = jsonPath;
    }

    private BakeInputs Inputs() => new()
    {
        ProjectFile = string.IsNullOrEmpty(ProjectFile) ? BuildEngine?.ProjectFileOfTaskNode ?? "" : ProjectFile,
        BaseImageReference = BaseImageReference,
        DescriptorPath = DescriptorPath,
        PackageId = PackageId,
        IsUpstream = IsUpstream,
        TargetRegistry = TargetRegistry,
        Repository = Repository,
        PublishDirectory = PublishDirectory,
        WorkingDirectory = WorkingDirectory,
        Entrypoint = Items(Entrypoint),
        EntrypointArgs = Items(EntrypointArgs),
        AppCommand = Items(AppCommand),
        AppCommandArgs = Items(AppCommandArgs),
        DefaultArgs = Items(DefaultArgs),
        AppCommandInstruction = AppCommandInstruction,
        User = User,
        EnvironmentVariables = Items(EnvironmentVariables),
        Ports = Items(Ports),
        Labels = Items(Labels),
        Layers = Items(Layers, withFullPath: true),
        RunSteps = Items(RunSteps),
        RuntimeIdentifier = RuntimeIdentifier,
        VerifyFiles = Items(VerifyFiles, withFullPath: true),
        RunCommandTests = RunCommandTests,
        AllowPrivilegedCommandTests = AllowPrivilegedCommandTests,
        SecretAllowlist = SecretAllowlist,
        AdvisoryDatabase = AdvisoryDatabase,
        FailOnSeverity = FailOnSeverity,
        VulnerabilityAllowlist = VulnerabilityAllowlist,
        AdvisoryMaxAgeDays = AdvisoryMaxAgeDays,
        Now = Now,
        AllowRootUser = AllowRootUser,
        RequiredLabels = Items(RequiredLabels),
        Version = Version,
        BuildId = BuildId,
        ExtraTags = ExtraTags,
        AllowLatestTag = AllowLatestTag,
        Revision = Revision,
        SourceUrl = SourceUrl,
        SourceDateEpoch = SourceDateEpoch,
        InsecureRegistries = InsecureRegistries,
        DeprecatedBaseImage = DeprecatedBaseImage,
        ExpiryWarningDays = ExpiryWarningDays,
        CheckRegistryLifecycle = CheckRegistryLifecycle,
        Offline = Offline,
        IntermediateDirectory = IntermediateDirectory,
        ReportDirectory = ReportDirectory,
    };

    /// <summary>The items' specs and custom metadata; FullPath too for items that name files.</summary>
    private static IReadOnlyList<BakeItem> Items(ITaskItem[] items, bool withFullPath = false) => items.Select(item =>
    {
        var metadata = new SortedDictionary<string, string>(StringComparer.Ordinal);
        foreach (System.Collections.DictionaryEntry entry in item.CloneCustomMetadata()) metadata[(string)entry.Key] = (string?)entry.Value ?? "";
        if (withFullPath) metadata["FullPath"] = item.GetMetadata("FullPath");
        return new BakeItem(item.ItemSpec, metadata.Count == 0 ? null : metadata);
    }).ToList();
}
