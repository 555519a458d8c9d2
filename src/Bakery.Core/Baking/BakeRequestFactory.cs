using Bakery.Core.Descriptors;
using Bakery.Core.Tags;
using Bakery.Oci.Layers;
using Bakery.Oci.Model;

namespace Bakery.Core.Baking;

/// <summary>A bake request, and the warnings noticed while making it (tags, security settings) and where the build id came from.</summary>
public sealed record PreparedBake(BakeRequest Request, IReadOnlyList<BakeryDiagnostic> Diagnostics, string? BuildIdSource);

/// <summary>
/// Turns a project's bake inputs into a <see cref="BakeRequest"/>: tags, descriptor, security settings,
/// local layers and RUN steps in order, verification. Shared by the MSBuild task and `bakery bake`.
/// </summary>
public static class BakeRequestFactory
{
    public static PreparedBake Create(BakeInputs inputs, Func<string, string?> environment)
    {
        var diagnostics = new List<BakeryDiagnostic>();
        var baseRef = ImageReference.Parse(inputs.BaseImageReference);
        var format = Destinations.ImageFormats.Parse(inputs.ImageFormat);
        var target = ImageTarget.Decide(inputs.TargetRegistry, inputs.Repository, inputs.Version, inputs.BuildId,
            inputs.ExtraTags, inputs.AllowLatestTag, environment, inputs.ArchiveOutputPath);
        diagnostics.AddRange(target.Tags.Diagnostics);
        var (registry, repository, tags, buildId, buildIdSource) = target;
        var destination = Destinations.ImageDestination.Decide(registry, repository, inputs.LocalRegistry, inputs.ArchiveOutputPath, format);

        var descriptor = string.IsNullOrEmpty(inputs.DescriptorPath) ? null : DescriptorReader.Load(inputs.DescriptorPath, inputs.PackageId ?? inputs.DescriptorPath);
        var signing = Signing.SigningSetup.FromProperties(inputs.SigningKey, inputs.SigningCommand, inputs.SigningPublicKey, inputs.BuilderId, buildId, environment);
        if (signing is null && MustSign(inputs, descriptor) is { } why) throw Messages.BAKE435($"{registry}/{repository}", why).Exception();

        var request = new BakeRequest
        {
            BaseImage = new BaseImageSelection(baseRef, descriptor, inputs.IsUpstream),
            Destination = destination,
            ImageFormat = format,
            AppLayers = AppLayers.ParseMode(inputs.AppLayers),
            Tags = tags.Tags,
            AllowTagOverwrite = inputs.AllowTagOverwrite,
            AppDirectory = string.IsNullOrWhiteSpace(inputs.PublishDirectory) ? null : inputs.PublishDirectory,
            AppDestination = string.IsNullOrWhiteSpace(inputs.WorkingDirectory) ? "/app" : inputs.WorkingDirectory,
            Steps = BakeStepOrder.Arrange(LocalLayers(inputs.Layers), inputs.RunSteps.Select(ToRunStep).ToList()),
            SbomPath = Path.Combine(inputs.ReportDirectory, "sbom.cdx.json"),
            Now = PropertyValues.Now(inputs.Now, DateTimeOffset.UtcNow),
            Container = new ContainerSettings
            {
                Entrypoint = Values(inputs.Entrypoint),
                EntrypointArgs = Values(inputs.EntrypointArgs),
                AppCommand = Values(inputs.AppCommand),
                AppCommandArgs = Values(inputs.AppCommandArgs),
                DefaultArgs = Values(inputs.DefaultArgs),
                AppCommandInstruction = inputs.AppCommandInstruction,
                User = inputs.User,
                WorkingDirectory = inputs.WorkingDirectory,
                Environment = inputs.EnvironmentVariables.Select(i => new KeyValuePair<string, string>(i.Spec, i.Get("Value"))).ToList(),
                Ports = inputs.Ports.Select(p => $"{p.Spec}/{(string.IsNullOrEmpty(p.Get("Type")) ? "tcp" : p.Get("Type").ToLowerInvariant())}").ToList(),
                Labels = inputs.Labels.Where(l => l.Spec != "org.opencontainers.image.created" && l.Spec != "org.opencontainers.artifact.created")
                    .Select(i => new KeyValuePair<string, string>(i.Spec, i.Get("Value"))).ToList(),
            },
            Version = inputs.Version,
            Revision = inputs.Revision,
            Source = inputs.SourceUrl,
            Created = ParseSourceDateEpoch(inputs.SourceDateEpoch),
            Platform = inputs.RuntimePublishes.Count > 0 ? null : RuntimePlatform(inputs.RuntimeIdentifier),
            Platforms = PlatformTargets(inputs),
            WorkDirectory = inputs.IntermediateDirectory,
            ProjectName = Path.GetFileNameWithoutExtension(inputs.ProjectFile),
            BuildId = buildId,
            Signing = signing,
        };
        request = Gates(inputs).ApplyTo(request, inputs.DescriptorPath, diagnostics);
        return new PreparedBake(request, diagnostics, buildId is null ? null : buildIdSource);
    }

    private static Verification.GateOptions Gates(BakeInputs inputs) => new()
    {
        VerifyFiles = inputs.VerifyFiles.Select(f => f.Get("FullPath")).ToList(),
        RunCommandTests = inputs.RunCommandTests,
        AllowPrivilegedCommandTests = inputs.AllowPrivilegedCommandTests,
        SecretAllowlist = inputs.SecretAllowlist,
        AdvisoryDatabase = inputs.AdvisoryDatabase,
        FailOnSeverity = inputs.FailOnSeverity,
        VulnerabilityAllowlist = inputs.VulnerabilityAllowlist,
        AdvisoryMaxAgeDays = inputs.AdvisoryMaxAgeDays,
        AllowRootUser = inputs.AllowRootUser,
        RequiredLabels = inputs.RequiredLabels.Select(l => l.Spec).ToList(),
    };

    /// <summary>
    /// An app with ContainerRuntimeIdentifiers: one image per RID, from that RID's publish. A base image:
    /// the BakeryPlatforms, or every platform of its base (an empty list) unless ContainerRuntimeIdentifier
    /// asks for one image. Anything else: null, one image.
    /// </summary>
    private static IReadOnlyList<PlatformTarget>? PlatformTargets(BakeInputs inputs)
    {
        if (inputs.RuntimePublishes.Count > 0)
        {
            var rids = string.Join(";", inputs.RuntimePublishes.Select(p => p.Get("RuntimeIdentifier")));
            var platforms = PlatformList.Parse("ContainerRuntimeIdentifiers", rids);
            return inputs.RuntimePublishes.Select((publish, i) =>
            {
                var directory = publish.Get("FullPath");
                if (!Directory.Exists(directory)) throw Messages.BAKE214(publish.Get("RuntimeIdentifier"), directory).Exception();
                return new PlatformTarget(platforms[i], directory, publish.Get("RuntimeIdentifier"));
            }).ToList();
        }
        if (!string.IsNullOrWhiteSpace(inputs.PublishDirectory)) return null;
        if (!string.IsNullOrWhiteSpace(inputs.Platforms))
            return PlatformList.Parse("BakeryPlatforms", inputs.Platforms).Select(p => new PlatformTarget(p)).ToList();
        return string.IsNullOrWhiteSpace(inputs.RuntimeIdentifier) ? [] : null;
    }
    /// <summary>Why this bake must sign, or null: BakeryRequireSignature, or a base image on a line whose package requires it.</summary>
    private static string? MustSign(BakeInputs inputs, Descriptors.BaseImageDescriptor? descriptor) =>
        inputs.RequireSignature ? "BakeryRequireSignature=true"
        : string.IsNullOrWhiteSpace(inputs.PublishDirectory) && descriptor?.Trust?.RequireSigning == true
            ? $"base images baked on {descriptor.Id} must be signed, as its package requires"
            : null;

    /// <summary>The project's BakeryTrustedSigningKey items as trust rules (BAKE227 for a key that cannot be used).</summary>
    public static IReadOnlyList<Trust.TrustRule> TrustedKeyRules(IReadOnlyList<BakeItem> items, Descriptors.BaseImageSelection? selection, string setBy) =>
        Trust.TrustedSigningKeys.Rules(items.Select(i => new Trust.TrustedSigningKeyItem(i.Get("FullPath") is { Length: > 0 } full ? full : i.Spec,
            NullIfEmpty(i.Get("For")), NullIfEmpty(i.Get("Provenance")))).ToList(), selection, setBy);

    private static Platform? RuntimePlatform(string? rid) =>
        string.IsNullOrWhiteSpace(rid) ? null
        : Platform.FromRuntimeIdentifier(rid) ?? throw Messages.BAKE502("ContainerRuntimeIdentifier", rid, "no container platform runs this runtime identifier; use a Linux RID such as linux-x64 or linux-arm64").Exception();

    private static DateTimeOffset ParseSourceDateEpoch(string? value)
    {
        try { return LayerOptions.TimestampFromSourceDateEpoch(value); }
        catch (FormatException e) { throw Messages.BAKE502("SOURCE_DATE_EPOCH", value, e.Message).Exception(); }
    }

    /// <summary>BakeryLayer items grouped by their Layer metadata, in first-seen order.</summary>
    private static List<LocalLayer> LocalLayers(IReadOnlyList<BakeItem> items)
    {
        var groups = new List<(string Name, List<LocalLayerSource> Sources, string? After)>();
        foreach (var item in items)
        {
            var destination = item.Get("Destination");
            if (string.IsNullOrWhiteSpace(destination))
                throw Messages.BAKE501(item.Spec, "it has no Destination metadata: say where in the image it goes, e.g. Destination=\"/etc/myapp/\".").Exception();
            var source = item.Get("FullPath");
            if (!File.Exists(source) && !Directory.Exists(source))
                throw Messages.BAKE501(item.Spec, $"'{source}' does not exist.").Exception();
            // A file copied into a folder destination keeps its own name.
            if (File.Exists(source) && (destination.EndsWith('/') || destination.EndsWith('\\')))
                destination += Path.GetFileName(source);
            var name = item.Get("Layer");
            if (string.IsNullOrWhiteSpace(name)) name = "local";
            var after = NullIfEmpty(item.Get("After"));
            var index = groups.FindIndex(g => g.Name == name);
            if (index < 0) { groups.Add((name, [], after)); index = groups.Count - 1; }
            else if (after is not null && groups[index].After is { } other && !other.Equals(after, StringComparison.OrdinalIgnoreCase))
                throw Messages.BAKE501(item.Spec, $"layer '{name}' is After '{other}' in one item and After '{after}' in another.").Exception();
            else if (after is not null) groups[index] = groups[index] with { After = after };
            groups[index].Sources.Add(ToSource(item, source, destination) with { Platforms = StepPlatforms.FromMetadata($"BakeryLayer '{item.Spec}'", item.Get("Platform")) });
        }
        return groups.Select(g => new LocalLayer(g.Name, g.Sources, g.After)).ToList();
    }

    /// <summary>Owner="1654" or "1654:1654" is used as is; names ("app", "app:app") are looked up in the image while baking.</summary>
    private static LocalLayerSource ToSource(BakeItem item, string source, string destination)
    {
        var owner = NullIfEmpty(item.Get("Owner"))?.Trim();
        if (owner is null) return new LocalLayerSource(new LayerSource(source, destination, ParseMode(item)));
        if (ImageAccounts.TryParseNumeric(owner, out var uid, out var gid))
            return new LocalLayerSource(new LayerSource(source, destination, ParseMode(item), uid, gid ?? uid));
        if (owner.Split(':') is not { Length: 1 or 2 } parts || parts.Any(p => p.Length == 0))
            throw Messages.BAKE501(item.Spec, $"Owner '{owner}' is not user[:group] (names or numeric ids).").Exception();
        return new LocalLayerSource(new LayerSource(source, destination, ParseMode(item)), owner);
    }

    private static RunStep ToRunStep(BakeItem item)
    {
        var command = item.Get("Command");
        var named = !string.IsNullOrWhiteSpace(command);
        if (!named) command = item.Spec;
        var timeout = item.Get("Timeout");
        var seconds = string.IsNullOrWhiteSpace(timeout) ? 600 : PropertyValues.WholeNumber("BakeryRun Timeout", timeout, "seconds");
        return new RunStep(command, NullIfEmpty(item.Get("User")), TimeSpan.FromSeconds(seconds),
            named ? item.Spec : null, NullIfEmpty(item.Get("After")), StepPlatforms.FromMetadata($"BakeryRun '{item.Spec}'", item.Get("Platform")));
    }

    private static UnixFileMode? ParseMode(BakeItem item)
    {
        var mode = item.Get("Mode");
        if (string.IsNullOrWhiteSpace(mode)) return null;
        try { return (UnixFileMode)Convert.ToInt32(mode.Trim(), 8); }
        catch (FormatException) { throw Messages.BAKE501(item.Spec, $"Mode '{mode}' is not an octal permission such as 0644.").Exception(); }
    }

    private static string? NullIfEmpty(string value) => string.IsNullOrWhiteSpace(value) ? null : value;

    private static IReadOnlyList<string> Values(IReadOnlyList<BakeItem> items) => items.Select(i => i.Spec).ToList();
}
