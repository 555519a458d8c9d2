using Bakery.Core;
using Bakery.Core.Baking;
using Bakery.Core.Descriptors;
using Bakery.Core.Lifecycle;
using Bakery.Core.Reports;
using Bakery.Core.Tags;
using Bakery.Oci.Layers;
using Bakery.Oci.Model;
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

    [Required] public string IntermediateDirectory { get; set; } = "";
    [Required] public string ReportDirectory { get; set; } = "";

    [Output] public string? ImageDigest { get; private set; }
    [Output] public string? ImageName { get; private set; }
    [Output] public string[] ImageTags { get; private set; } = [];
    [Output] public string? ReportPath { get; private set; }

    protected override void ExecuteCore()
    {
        var baseRef = ImageReference.Parse(BaseImageReference);
        var registry = string.IsNullOrWhiteSpace(TargetRegistry) ? baseRef.Registry : TargetRegistry.Trim();
        var repository = Repository.Trim();
        if (!ImageReference.IsValidRepository(repository))
            throw BakeryException.Create("BAKE405", repository, "repository names are lowercase letters, digits and '.', '_', '-' or '/' separators.");
        var image = $"{registry}/{repository}";

        var (buildId, buildIdSource) = BuildIdResolver.Resolve(BuildId, Environment.GetEnvironmentVariable);
        var tags = TagPolicy.Decide(new TagRequest
        {
            ImageName = image,
            Version = Version,
            BuildId = buildId,
            ExtraTags = RegistryClientOptions.ParseList(ExtraTags),
            AllowLatest = AllowLatestTag,
        });
        foreach (var diagnostic in tags.Diagnostics) LogDiagnostic(diagnostic);
        if (buildId is not null) Log.LogMessage(MessageImportance.Normal, $"Bakery: build id {buildId} from {buildIdSource}.");

        var descriptor = string.IsNullOrEmpty(DescriptorPath) ? null : DescriptorReader.Load(DescriptorPath, PackageId ?? DescriptorPath);
        var created = ParseSourceDateEpoch();
        var security = Core.Security.EffectiveSecuritySettings.Apply(
            string.IsNullOrWhiteSpace(AdvisoryDatabase) ? null : Path.GetFullPath(AdvisoryDatabase),
            string.IsNullOrWhiteSpace(FailOnSeverity) ? null : Core.Security.VulnerabilityGate.ParseThreshold(FailOnSeverity),
            string.IsNullOrWhiteSpace(AdvisoryMaxAgeDays) ? null : ParseInt("BakeryAdvisoryMaxAgeDays", AdvisoryMaxAgeDays, 0),
            descriptor);
        foreach (var diagnostic in security.Diagnostics) LogDiagnostic(diagnostic);
        var request = new BakeRequest
        {
            BaseImage = new BaseImageSelection(baseRef, descriptor, IsUpstream),
            TargetRegistry = registry,
            TargetRepository = repository,
            Tags = tags.Tags,
            AppDirectory = string.IsNullOrWhiteSpace(PublishDirectory) ? null : PublishDirectory,
            AppDestination = string.IsNullOrWhiteSpace(WorkingDirectory) ? "/app" : WorkingDirectory,
            Steps = BakeStepOrder.Arrange(LocalLayers(), RunSteps.Select(ToRunStep).ToList()),
            Verification = Core.Verification.VerificationPlan.Create(VerifyFiles.Select(f => f.GetMetadata("FullPath")), descriptor, DescriptorPath, RunCommandTests),
            SecretAllowlist = Core.Verification.SecretAllowlist.Load(SecretAllowlist),
            SbomPath = Path.Combine(ReportDirectory, "sbom.cdx.json"),
            AdvisoryDatabase = security.AdvisoryDatabase,
            FailOnSeverity = security.FailOnSeverity,
            VulnerabilityAllowlist = Core.Security.VulnerabilityAllowlist.Load(VulnerabilityAllowlist),
            AdvisoryMaxAgeDays = security.AdvisoryMaxAgeDays,
            Now = Core.Lifecycle.LifecycleEvaluator.ParseNow(Now, DateTimeOffset.UtcNow),
            RequiredLabels = [.. RequiredLabels.Select(l => new Core.Verification.RequiredLabel(l.ItemSpec)), .. descriptor?.RequiredLabels ?? []],
            AllowRootReason = string.IsNullOrWhiteSpace(AllowRootUser) || AllowRootUser.Trim().Equals("false", StringComparison.OrdinalIgnoreCase) ? null : AllowRootUser,
            Container = new ContainerSettings
            {
                Entrypoint = Values(Entrypoint),
                EntrypointArgs = Values(EntrypointArgs),
                AppCommand = Values(AppCommand),
                AppCommandArgs = Values(AppCommandArgs),
                DefaultArgs = Values(DefaultArgs),
                AppCommandInstruction = AppCommandInstruction,
                User = User,
                WorkingDirectory = WorkingDirectory,
                Environment = EnvironmentVariables.Select(i => new KeyValuePair<string, string>(i.ItemSpec, i.GetMetadata("Value"))).ToList(),
                Ports = Ports.Select(p => $"{p.ItemSpec}/{(string.IsNullOrEmpty(p.GetMetadata("Type")) ? "tcp" : p.GetMetadata("Type").ToLowerInvariant())}").ToList(),
                Labels = Labels.Where(l => l.ItemSpec != "org.opencontainers.image.created" && l.ItemSpec != "org.opencontainers.artifact.created")
                    .Select(i => new KeyValuePair<string, string>(i.ItemSpec, i.GetMetadata("Value"))).ToList(),
            },
            Version = Version,
            Revision = Revision,
            Source = SourceUrl,
            Created = created,
            Platform = PlatformFor(RuntimeIdentifier),
            WorkDirectory = IntermediateDirectory,
            ProjectName = Path.GetFileNameWithoutExtension(BuildEngine?.ProjectFileOfTaskNode),
            BuildId = buildId,
        };

        var log = new MSBuildBakeLog(Log);
        var options = new RegistryClientOptions
        {
            InsecureRegistries = RegistryClientOptions.ParseList(InsecureRegistries),
            Log = log.Info,
        };
        var lifecycle = Enum.TryParse<LifecycleState>(LifecycleState, out var state) ? state : Core.Lifecycle.LifecycleState.Supported;
        BakeResult result;
        try
        {
            result = new ImageBaker(options, log).BakeAsync(request, lifecycle, CancellationToken).GetAwaiter().GetResult();
        }
        catch (BakeryException e) when (e.FailedBake is { } failed)
        {
            var (failedReport, _) = BakeReportWriter.Write(failed, ReportDirectory);
            Log.LogMessage(MessageImportance.High, $"Bakery: nothing was tagged; report of the failed bake: {failedReport}");
            throw;
        }

        var (jsonPath, _) = BakeReportWriter.Write(result, ReportDirectory);
        foreach (var skipped in result.Checks.Where(c => c.Skipped)) Log.LogMessage(MessageImportance.Normal, $"Bakery: skipped {skipped.File} › {skipped.Name}: {skipped.Failure}");
        foreach (var line in BakeReportWriter.Summary(result, jsonPath)) Log.LogMessage(MessageImportance.High, line);
        ImageDigest = result.Digest;
        ImageName = result.Image;
        ImageTags = result.Tags.ToArray();
        ReportPath = jsonPath;
    }

    private DateTimeOffset ParseSourceDateEpoch()
    {
        try { return LayerOptions.TimestampFromSourceDateEpoch(SourceDateEpoch); }
        catch (FormatException e) { throw BakeryException.Create("BAKE502", "SOURCE_DATE_EPOCH", SourceDateEpoch, e.Message); }
    }

    /// <summary>BakeryLayer items grouped by their Layer metadata, in first-seen order.</summary>
    private List<LocalLayer> LocalLayers()
    {
        var groups = new List<(string Name, List<LocalLayerSource> Sources, string? After)>();
        foreach (var item in Layers)
        {
            var destination = item.GetMetadata("Destination");
            if (string.IsNullOrWhiteSpace(destination))
                throw BakeryException.Create("BAKE501", item.ItemSpec, "it has no Destination metadata: say where in the image it goes, e.g. Destination=\"/etc/myapp/\".");
            var source = item.GetMetadata("FullPath");
            if (!File.Exists(source) && !Directory.Exists(source))
                throw BakeryException.Create("BAKE501", item.ItemSpec, $"'{source}' does not exist.");
            // A file copied into a folder destination keeps its own name.
            if (File.Exists(source) && (destination.EndsWith('/') || destination.EndsWith('\\')))
                destination += Path.GetFileName(source);
            var name = item.GetMetadata("Layer");
            if (string.IsNullOrWhiteSpace(name)) name = "local";
            var after = NullIfEmpty(item.GetMetadata("After"));
            var index = groups.FindIndex(g => g.Name == name);
            if (index < 0) { groups.Add((name, [], after)); index = groups.Count - 1; }
            else if (after is not null && groups[index].After is { } other && !other.Equals(after, StringComparison.OrdinalIgnoreCase))
                throw BakeryException.Create("BAKE501", item.ItemSpec, $"layer '{name}' is After '{other}' in one item and After '{after}' in another.");
            else if (after is not null) groups[index] = groups[index] with { After = after };
            groups[index].Sources.Add(ToSource(item, source, destination));
        }
        return groups.Select(g => new LocalLayer(g.Name, g.Sources, g.After)).ToList();
    }

    /// <summary>Owner="1654" or "1654:1654" is used as is; names ("app", "app:app") are looked up in the image while baking.</summary>
    private static LocalLayerSource ToSource(ITaskItem item, string source, string destination)
    {
        var owner = NullIfEmpty(item.GetMetadata("Owner"))?.Trim();
        if (owner is null) return new LocalLayerSource(new LayerSource(source, destination, ParseMode(item)));
        if (ImageAccounts.TryParseNumeric(owner, out var uid, out var gid))
            return new LocalLayerSource(new LayerSource(source, destination, ParseMode(item), uid, gid ?? uid));
        if (owner.Split(':') is not { Length: 1 or 2 } parts || parts.Any(p => p.Length == 0))
            throw BakeryException.Create("BAKE501", item.ItemSpec, $"Owner '{owner}' is not user[:group] (names or numeric ids).");
        return new LocalLayerSource(new LayerSource(source, destination, ParseMode(item)), owner);
    }

    private static Core.Running.RunStep ToRunStep(ITaskItem item)
    {
        var command = item.GetMetadata("Command");
        var named = !string.IsNullOrWhiteSpace(command);
        if (!named) command = item.ItemSpec;
        var timeout = item.GetMetadata("Timeout");
        var seconds = string.IsNullOrWhiteSpace(timeout) ? 600 : ParseInt("BakeryRun Timeout", timeout, 600);
        return new Core.Running.RunStep(command, NullIfEmpty(item.GetMetadata("User")), TimeSpan.FromSeconds(seconds),
            named ? item.ItemSpec : null, NullIfEmpty(item.GetMetadata("After")));
    }

    private static string? NullIfEmpty(string value) => string.IsNullOrWhiteSpace(value) ? null : value;

    private static UnixFileMode? ParseMode(ITaskItem item)
    {
        var mode = item.GetMetadata("Mode");
        if (string.IsNullOrWhiteSpace(mode)) return null;
        try { return (UnixFileMode)Convert.ToInt32(mode.Trim(), 8); }
        catch (FormatException) { throw BakeryException.Create("BAKE501", item.ItemSpec, $"Mode '{mode}' is not an octal permission such as 0644."); }
    }

    internal static Platform PlatformFor(string? rid)
    {
        var arch = rid?.Split('-').LastOrDefault()?.ToLowerInvariant() switch
        {
            "arm64" => "arm64",
            "arm" => "arm",
            "x86" => "386",
            "s390x" => "s390x",
            "ppc64le" => "ppc64le",
            _ => "amd64",
        };
        return new Platform { Os = "linux", Architecture = arch };
    }

    private static IReadOnlyList<string> Values(ITaskItem[] items) => items.Select(i => i.ItemSpec).ToList();

}
