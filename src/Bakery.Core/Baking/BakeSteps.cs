using Bakery.Oci.Layers;
using Bakery.Oci.Model;

namespace Bakery.Core.Baking;

/// <summary>One step of a bake below the app layer: a <see cref="LocalLayer"/> or a <see cref="RunStep"/>.</summary>
public interface IBakeStep
{
    /// <summary>The name other steps' <c>After</c> refers to: the layer group, or the BakeryRun item.</summary>
    string StepName { get; }

    /// <summary>The step this one must follow (BakeryLayer/BakeryRun <c>After</c> metadata), or null.</summary>
    string? After { get; }
}

/// <summary>
/// A file or folder for a local layer, with the owner as written (user[:group], names or ids) when it is not numeric yet,
/// and the platforms it is for (BakeryLayer <c>Platform</c> metadata; null: every platform).
/// </summary>
public sealed record LocalLayerSource(LayerSource Source, string? OwnerName = null, IReadOnlyList<Platform>? Platforms = null)
{
    public bool AppliesTo(Platform platform) => StepPlatforms.Applies(Platforms, platform);
}

public sealed record LocalLayer(string Name, IReadOnlyList<LocalLayerSource> Sources, string? After = null) : IBakeStep
{
    public string StepName => Name;

    /// <summary>The layer as one platform's image has it: the sources for that platform; null when none is.</summary>
    public LocalLayer? For(Platform platform)
    {
        var sources = Sources.Where(s => s.AppliesTo(platform)).ToList();
        return sources.Count == 0 ? null : sources.Count == Sources.Count ? this : this with { Sources = sources };
    }
}

/// <summary>Which platforms a step is for: BakeryLayer/BakeryRun <c>Platform</c> metadata.</summary>
public static class StepPlatforms
{
    public static bool Applies(IReadOnlyList<Platform>? platforms, Platform platform) =>
        platforms is null || platforms.Any(p => p.Matches(platform));

    /// <summary>The <c>Platform</c> metadata of an item: null when it has none, else its platforms (BAKE213 when it names none usable).</summary>
    public static IReadOnlyList<Platform>? FromMetadata(string item, string? metadata)
    {
        if (string.IsNullOrWhiteSpace(metadata)) return null;
        return PlatformList.TryParse(metadata, out var problem) is { Count: > 0 } platforms ? platforms
            : throw Messages.BAKE213(item, metadata, problem ?? "it names no platform").Exception();
    }

    /// <summary>The steps one platform's image is made of, in order: steps for other platforms are left out.</summary>
    public static IReadOnlyList<IBakeStep> For(IReadOnlyList<IBakeStep> steps, Platform platform) => steps.Select(step => step switch
    {
        LocalLayer layer => layer.For(platform),
        RunStep run => Applies(run.Platforms, platform) ? run : null,
        _ => step,
    }).OfType<IBakeStep>().ToList();

    /// <summary>Every platform a step names, in first-seen order (none when no step is platform-specific).</summary>
    public static IReadOnlyList<Platform> Named(IReadOnlyList<IBakeStep> steps)
    {
        var named = new List<Platform>();
        foreach (var platforms in steps.SelectMany(s => s switch
                 {
                     LocalLayer layer => layer.Sources.Select(x => x.Platforms),
                     RunStep run => [run.Platforms],
                     _ => [],
                 }))
            foreach (var p in platforms ?? [])
                if (!named.Any(n => n.Matches(p))) named.Add(p);
        return named;
    }
}

/// <summary>
/// Puts the steps in the order they run: local layers (in the order their groups first appear), then
/// BakeryRun steps (in declaration order); a step with <c>After</c> goes just behind the step it names
/// (behind earlier steps already placed there) and the rest keep that default order. An unknown name
/// or a cycle is BAKE505.
/// </summary>
public static class BakeStepOrder
{
    public static IReadOnlyList<IBakeStep> Arrange(IReadOnlyList<LocalLayer> layers, IReadOnlyList<RunStep> runs)
    {
        IReadOnlyList<IBakeStep> declared = [.. layers, .. runs];
        var names = declared.Select(s => s.StepName).ToHashSet(StringComparer.OrdinalIgnoreCase);
        foreach (var step in declared)
            if (step.After is { } after && !names.Contains(after))
                throw Messages.BAKE505(step.StepName, after, $"no step has that name (the steps are {string.Join(", ", names.Order(StringComparer.Ordinal))})").Exception();

        // Steps without After keep the default order; each step with After goes behind the step it
        // names (and behind steps already placed there), anchors first.
        var ordered = declared.Where(s => s.After is null).ToList();
        var placed = new HashSet<IBakeStep>(ordered, ReferenceEqualityComparer.Instance);
        void Place(IBakeStep step, HashSet<IBakeStep> visiting)
        {
            if (placed.Contains(step)) return;
            if (!visiting.Add(step))
                throw Messages.BAKE505(step.StepName, step.After, "the After chain comes back to this step").Exception();
            var anchor = declared.First(s => s.StepName.Equals(step.After, StringComparison.OrdinalIgnoreCase));
            Place(anchor, visiting);
            var position = ordered.IndexOf(anchor) + 1;
            while (position < ordered.Count && Follows(ordered[position], anchor)) position++;
            ordered.Insert(position, step);
            placed.Add(step);
        }
        bool Follows(IBakeStep candidate, IBakeStep anchor)
        {
            for (var s = candidate; s.After is { } a; s = declared.First(d => d.StepName.Equals(a, StringComparison.OrdinalIgnoreCase)))
                if (a.Equals(anchor.StepName, StringComparison.OrdinalIgnoreCase)) return true;
            return false;
        }
        foreach (var step in declared.Where(s => s.After is not null)) Place(step, new HashSet<IBakeStep>(ReferenceEqualityComparer.Instance));
        return ordered;
    }
}
