using Bakery.Oci.Layers;

namespace Bakery.Core.Baking;

/// <summary>One step of a bake below the app layer: a <see cref="LocalLayer"/> or a <see cref="Running.RunStep"/>.</summary>
public interface IBakeStep
{
    /// <summary>The name other steps' <c>After</c> refers to: the layer group, or the BakeryRun item.</summary>
    string StepName { get; }

    /// <summary>The step this one must follow (BakeryLayer/BakeryRun <c>After</c> metadata), or null.</summary>
    string? After { get; }
}

/// <summary>A file or folder for a local layer, with the owner as written (user[:group], names or ids) when it is not numeric yet.</summary>
public sealed record LocalLayerSource(LayerSource Source, string? OwnerName = null);

public sealed record LocalLayer(string Name, IReadOnlyList<LocalLayerSource> Sources, string? After = null) : IBakeStep
{
    public string StepName => Name;
}

/// <summary>
/// Puts the steps in the order they run: local layers (in the order their groups first appear), then
/// BakeryRun steps (in declaration order), each step with <c>After</c> moved to just behind the step
/// it names (behind earlier steps already placed there). An unknown name or a cycle is BAKE505.
/// </summary>
public static class BakeStepOrder
{
    public static IReadOnlyList<IBakeStep> Arrange(IReadOnlyList<LocalLayer> layers, IReadOnlyList<Running.RunStep> runs)
    {
        IReadOnlyList<IBakeStep> declared = [.. layers, .. runs];
        var names = declared.Select(s => s.StepName).ToHashSet(StringComparer.OrdinalIgnoreCase);
        foreach (var step in declared)
            if (step.After is { } after && !names.Contains(after))
                throw BakeryException.Create("BAKE505", step.StepName, after, $"no step has that name (the steps are {string.Join(", ", names.Order(StringComparer.Ordinal))})");

        var ordered = new List<IBakeStep>();
        var placed = new HashSet<IBakeStep>(ReferenceEqualityComparer.Instance);
        void Place(IBakeStep step, HashSet<IBakeStep> visiting)
        {
            if (placed.Contains(step)) return;
            if (!visiting.Add(step))
                throw BakeryException.Create("BAKE505", step.StepName, step.After, "the After chain comes back to this step");
            if (step.After is { } after)
            {
                var anchor = declared.First(s => s.StepName.Equals(after, StringComparison.OrdinalIgnoreCase));
                Place(anchor, visiting);
                // Behind the anchor and behind whatever was already placed after it.
                var position = ordered.IndexOf(anchor) + 1;
                while (position < ordered.Count && Follows(ordered[position], anchor)) position++;
                ordered.Insert(position, step);
            }
            else ordered.Add(step);
            placed.Add(step);
        }
        bool Follows(IBakeStep candidate, IBakeStep anchor)
        {
            for (var s = candidate; s.After is { } a; s = declared.First(d => d.StepName.Equals(a, StringComparison.OrdinalIgnoreCase)))
                if (a.Equals(anchor.StepName, StringComparison.OrdinalIgnoreCase)) return true;
            return false;
        }
        foreach (var step in declared) Place(step, new HashSet<IBakeStep>(ReferenceEqualityComparer.Instance));
        return ordered;
    }
}
