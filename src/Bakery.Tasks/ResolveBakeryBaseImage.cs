using Bakery.Core;
using Bakery.Core.Descriptors;
using Bakery.Core.Lifecycle;
using Bakery.Oci.Registry;
using Microsoft.Build.Framework;

namespace Bakery.Tasks;

/// <summary>
/// Picks the one base image from the BakeryBaseImage items (or a knowingly untrusted ContainerBaseImage),
/// validates its descriptor and gates on its lifecycle dates.
/// </summary>
public sealed class ResolveBakeryBaseImage : BakeryTask
{
    public ITaskItem[] BaseImages { get; set; } = [];

    /// <summary>BakeryUpstream items: a global bakery's pinned upstream image.</summary>
    public ITaskItem[] Upstreams { get; set; } = [];

    /// <summary>ContainerBaseImage as the project set it, before the SDK's defaulting.</summary>
    public string? ContainerBaseImage { get; set; }

    public bool AllowUntrustedBaseImage { get; set; }

    /// <summary>Error (default) or Warning.</summary>
    public string? DeprecatedBaseImage { get; set; }

    public string? ExpiryWarningDays { get; set; }

    /// <summary>BakeryNow: the date the lifecycle is judged at (ISO 8601); empty means now.</summary>
    public string? Now { get; set; }

    /// <summary>Also judge the base image and its ancestors by the registry's lifecycle records (bakes and packs do).</summary>
    public bool CheckRegistry { get; set; }

    /// <summary>BakeryOffline: judge by the package's dates only.</summary>
    public bool Offline { get; set; }

    public string? InsecureRegistries { get; set; }

    /// <summary>The platforms the bake makes (ContainerRuntimeIdentifier(s), BakeryPlatforms): a lifecycle record on one platform's image of the base matters only to a bake of that platform. Empty: every platform.</summary>
    public string? Platforms { get; set; }
    /// <summary>BakeryTrustedSigningKey items: keys the base image and its ancestors must be signed by, besides the package's own rules.</summary>
    public ITaskItem[] TrustedSigningKeys { get; set; } = [];

    /// <summary>The project's PackageReference and PackageVersion items: the range BAKE110 stays within.</summary>
    public ITaskItem[] PackageReferences { get; set; } = [];
    public ITaskItem[] PackageVersions { get; set; } = [];

    /// <summary>Where the project's nuget.config files are looked for (BAKE110).</summary>
    public string? ProjectDirectory { get; set; }

    /// <summary>
    /// Run the registry's part (lifecycle records, signatures, newer versions) in the background while the build goes on,
    /// and leave it to <see cref="CompleteBakeryBaseImageCheck"/>: a warm bake no longer waits for those round trips.
    /// The package's own dates are still judged here, before anything compiles.
    /// </summary>
    public bool DeferRegistryChecks { get; set; }

    [Output] public string? BaseImageReference { get; private set; }
    [Output] public string? BaseImageRegistry { get; private set; }
    [Output] public string? DescriptorPath { get; private set; }
    [Output] public string? PackageId { get; private set; }
    [Output] public string? PackageVersion { get; private set; }
    [Output] public string? LifecycleState { get; private set; }
    [Output] public bool IsUpstream { get; private set; }

    /// <summary>The key of the registry checks still running (DeferRegistryChecks), for CompleteBakeryBaseImageCheck; empty when none are.</summary>
    [Output] public string? PendingCheck { get; private set; }

    // Read while the task runs: checks left running in the background must not ask the build engine anything.
    private string _projectName = "the project";

    protected override void ExecuteCore()
    {
        _projectName = Path.GetFileNameWithoutExtension(ProjectFile ?? BuildEngine?.ProjectFileOfTaskNode ?? "the project");
        var items = BaseImages.Select(i => new BaseImageItem(i.ItemSpec, i.GetMetadata("Version"), i.GetMetadata("Descriptor"))).ToList();
        var selection = BaseImageSelector.Select(items, ContainerBaseImage, AllowUntrustedBaseImage, Upstreams.Select(u => u.ItemSpec).ToList());
        BaseImageReference = selection.Reference.ToString();
        BaseImageRegistry = selection.Reference.Registry;
        IsUpstream = selection.IsUpstream;
        LifecycleState = nameof(Core.Lifecycle.LifecycleState.Supported);
        if (selection.IsUpstream)
        {
            Log.LogMessage(MessageImportance.Normal, $"Bakery: baking on upstream image {BaseImageReference}.");
            var outcome = new BaseImageCheckOutcome(LifecycleState);
            CheckTrustAsync(selection, outcome, CancellationToken).GetAwaiter().GetResult();
            outcome.LogTo(this);
            return;
        }

        if (selection.Descriptor is not { } descriptor)
        {
            Log.LogMessage(MessageImportance.High, $"Bakery: baking on untrusted base image {BaseImageReference} (BakeryAllowUntrustedBaseImage=true); no lifecycle is known for it.");
            return;
        }

        DescriptorPath = items.First(i => i.PackageId.Equals(descriptor.Id, StringComparison.OrdinalIgnoreCase) || items.Count == 1).DescriptorPath;
        PackageId = descriptor.Id;
        PackageVersion = descriptor.Version;

        var now = PropertyValues.Now(Now, DateTimeOffset.UtcNow);
        var check = BaseImageLifecycleCheck.FromProperties(DeprecatedBaseImage, ExpiryWarningDays, CheckRegistry, Offline) with { ProjectDirectory = ProjectDirectory };
        var platforms = Core.Baking.PlatformList.TryParse(Platforms, out _);
        descriptor.EnsureHas(platforms);
        var online = CheckRegistry && !Offline;
        if (online && DeferRegistryChecks && BuildEngine is IBuildEngine4 engine)
        {
            // The package's dates stop the bake here already; the registry's verdict includes them again, so only their errors are shown now.
            var dated = (check with { CheckRegistry = false }).JudgeAsync(selection, now, Options(), CancellationToken, platforms).GetAwaiter().GetResult();
            if (dated.Diagnostics.Any(d => d.IsError))
            {
                foreach (var diagnostic in dated.Diagnostics) LogDiagnostic(diagnostic);
                LifecycleState = dated.State.ToString();
                return;
            }
            var pending = new PendingBaseImageCheck(token => RunChecksAsync(selection, descriptor, check, now, platforms, token));
            PendingCheck = pending.Key;
            engine.RegisterTaskObject(pending.Key, pending, RegisteredTaskObjectLifetime.Build, allowEarlyCollection: false);
            Log.LogMessage(MessageImportance.Low, $"Bakery: the registry checks of {descriptor.DisplayName} run while the build goes on.");
            return;
        }
        var result = RunChecksAsync(selection, descriptor, check, now, platforms, CancellationToken).GetAwaiter().GetResult();
        result.LogTo(this);
        LifecycleState = result.State;
    }

    /// <summary>The lifecycle verdict, then (when the registry is checked and nothing stopped the bake) who signed the base and whether a newer version is out.</summary>
    private async Task<BaseImageCheckOutcome> RunChecksAsync(BaseImageSelection selection, BaseImageDescriptor descriptor, BaseImageLifecycleCheck check,
        DateTimeOffset now, IReadOnlyList<Oci.Model.Platform>? platforms, CancellationToken ct)
    {
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var result = await check.JudgeAsync(selection, now, Options(), ct, platforms);
        var outcome = new BaseImageCheckOutcome(result.State.ToString());
        outcome.Diagnostics.AddRange(result.Diagnostics);
        outcome.Lines.Add((MessageImportance.Normal, $"Bakery: base image {descriptor.DisplayName}, lifecycle {result.State}."));
        outcome.Lines.Add((MessageImportance.Low, $"Bakery: Time: lifecycle check {clock.Elapsed.TotalMilliseconds:0} ms"));
        if (result.Diagnostics.Any(d => d.IsError)) return outcome;
        await CheckTrustAsync(selection, outcome, ct);
        if (CheckRegistry) await FindNewerVersionAsync(descriptor, outcome, ct);
        outcome.Lines.Add((MessageImportance.Low, $"Bakery: Time: base image checks {clock.Elapsed.TotalMilliseconds:0} ms in all"));
        return outcome;
    }

    /// <summary>Who signed the base and its ancestors (bakes and packs: when the registry is checked).</summary>
    private async Task CheckTrustAsync(BaseImageSelection selection, BaseImageCheckOutcome outcome, CancellationToken ct)
    {
        if (!CheckRegistry) return;
        var rules = Core.Baking.BakeRequestFactory.TrustedKeyRules(TaskInputs.Items(TrustedSigningKeys, withFullPath: true), selection, _projectName);
        var check = new Core.Trust.BaseImageTrustCheck { Offline = Offline, ProjectRules = rules };
        var trust = await check.CheckAsync(selection, Options(), ct);
        outcome.Diagnostics.AddRange(trust.Diagnostics);
        foreach (var verified in trust.Verified) outcome.Lines.Add((MessageImportance.Normal, $"Bakery: signatures of {verified} verified."));
    }

    private async Task FindNewerVersionAsync(BaseImageDescriptor descriptor, BaseImageCheckOutcome outcome, CancellationToken ct)
    {
        if (string.IsNullOrEmpty(ProjectDirectory)) return;
        var range = RequestedVersion.Of(descriptor.Id, Facts(PackageReferences), Facts(PackageVersions));
        var (available, problem) = await AvailableVersions.FindAsync(descriptor, ProjectDirectory, online: !Offline, Options(), ct);
        if (problem is not null) outcome.Lines.Add((MessageImportance.Normal, $"Bakery: {problem}"));
        var (warning, note) = NewerVersionAdvice.For(descriptor, range, available);
        if (warning is not null) outcome.Diagnostics.Add(warning);
        if (note is not null) outcome.Lines.Add((MessageImportance.High, $"Bakery: {note}"));
    }

    private static IEnumerable<(string Id, Func<string, string?> Metadata)> Facts(ITaskItem[] items) =>
        items.Select(i => (i.ItemSpec, (Func<string, string?>)i.GetMetadata));

    private RegistryClientOptions Options() => BaseImageLifecycleCheck.RegistryOptions(InsecureRegistries);
}
