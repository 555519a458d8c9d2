using Bakery.Core.Descriptors;
using Bakery.Oci.Registry;

namespace Bakery.Core.Lifecycle;

/// <summary>How a bake judges its base image's lifecycle: the package's dates, then (when asked) the registry's records of it and its ancestors.</summary>
public sealed record BaseImageLifecycleCheck
{
    public LifecyclePolicy Policy { get; init; } = new();

    /// <summary>Also judge the base and its ancestors by the registry's lifecycle records (bakes and packs do).</summary>
    public bool CheckRegistry { get; init; }

    /// <summary>BakeryOffline: the package's dates only, with warning BAKE121.</summary>
    public bool Offline { get; init; }

    /// <summary>The project's folder: its feeds are searched for a version of its base-image package that leaves a bad ancestor behind.</summary>
    public string? ProjectDirectory { get; init; }

    /// <summary>From the project's properties: BakeryDeprecatedBaseImage (Error or Warning) and BakeryExpiryWarningDays.</summary>
    public static BaseImageLifecycleCheck FromProperties(string? deprecatedBaseImage, string? expiryWarningDays, bool checkRegistry, bool offline)
    {
        var days = string.IsNullOrWhiteSpace(expiryWarningDays) ? 30 : PropertyValues.WholeNumber("BakeryExpiryWarningDays", expiryWarningDays, "days");
        return new BaseImageLifecycleCheck
        {
            Policy = new LifecyclePolicy
            {
                DeprecatedIsWarning = string.Equals(deprecatedBaseImage?.Trim(), "Warning", StringComparison.OrdinalIgnoreCase),
                ExpiryWarningDays = days,
            },
            CheckRegistry = checkRegistry,
            Offline = offline,
        };
    }

    /// <summary>
    /// The state a bake on this base goes ahead with, and every diagnostic to show. Upstreams and
    /// untrusted bases have no lifecycle; an unreachable registry is BAKE120, a refused one BAKE403.
    /// </summary>
    /// <param name="platforms">The platforms baked (records on other platforms' images do not matter to them); null or empty: every platform of the base.</param>
    public async Task<LifecycleResult> JudgeAsync(BaseImageSelection selection, DateTimeOffset now, RegistryClientOptions options, CancellationToken ct,
        IReadOnlyList<Oci.Model.Platform>? platforms = null)
    {
        if (selection.IsUpstream || selection.Descriptor is not { } descriptor) return LifecycleResult.Supported;
        var subjects = RegistryLifecycle.SubjectsOf(selection, platforms);
        var dated = LifecycleJudge.Judge(subjects[0], descriptor.Lifecycle, null, now, Policy);
        // The package's own dates already stop the bake: no registry round trip needed to say so.
        if (!CheckRegistry || dated.HasErrors) return dated;
        if (Offline) return LifecycleJudge.Combine([dated, new LifecycleResult(LifecycleState.Supported, [Messages.BAKE121(selection.Reference).Warning()])]);
        IReadOnlyList<LifecycleRecord?> records;
        try
        {
            records = await new RegistryLifecycle(options).NewestAsync(subjects.Select(s => s.Image), ct);
        }
        catch (RegistryException e)
        {
            throw Baking.RegistryErrors.Specific(e, selection.Reference.ToString()) ?? Messages.BAKE120(e.Registry, selection.Reference, e.Message, Baking.RegistryErrors.LifecycleAdvice).Exception();
        }
        return LifecycleJudge.Combine(subjects.Select((s, i) =>
        {
            var verdict = LifecycleJudge.Judge(s, i == 0 ? descriptor.Lifecycle : null, records[i], now, Policy);
            if (verdict.State < LifecycleState.Deprecated || s.AncestorOf is null || ProjectDirectory is null) return verdict;
            var escape = LineageEscape.NewerVersionWithout(s.AncestorOf, s.Image.Digest!.Value.ToString(), ProjectDirectory);
            return LifecycleJudge.Judge(s with { Escape = (true, escape) }, null, records[i], now, Policy);
        }));
    }

    /// <summary>Short timeouts and few retries: this runs on every bake.</summary>
    public static RegistryClientOptions RegistryOptions(string? insecureRegistries) => new()
    {
        InsecureRegistries = RegistryClientOptions.ParseList(insecureRegistries),
        Retry = new RetryPolicy { MaxAttempts = 3, InitialDelay = TimeSpan.FromMilliseconds(200) },
        ConnectTimeout = TimeSpan.FromSeconds(3),
        RequestTimeout = TimeSpan.FromSeconds(20),
    };
}
