using System.Text.RegularExpressions;

namespace Bakery.Core.Baking;

/// <summary>What a bake's step was, read back from its history line.</summary>
internal enum BakeStepKind { Layer, Run, App }

/// <summary>A history line a bake wrote, read back: the step and the number of entries its layer holds.</summary>
internal sealed record BakedStep(BakeStepKind Kind, string Name, int EntryCount, string CreatedBy);

/// <summary>
/// The history line every bake writes for a layer it adds, <c>bakery: &lt;step&gt; (&lt;n&gt; entries)</c>
/// (steps: <c>layer &lt;group&gt;</c>, <c>run &lt;name or command&gt;</c>, <c>app</c>), and its reader: a rebase
/// recognises a bake's own layers, and its RUN steps, from these lines.
/// </summary>
internal static partial class ImageHistory
{
    public static string Line(string step, int entryCount) => $"bakery: {step} ({entryCount} entries)";

    /// <summary>The step a history line names; null when no bake wrote it.</summary>
    public static BakedStep? Read(string createdBy)
    {
        var match = LinePattern().Match(createdBy);
        if (!match.Success) return null;
        var step = match.Groups["step"].Value;
        var count = int.Parse(match.Groups["count"].Value, System.Globalization.CultureInfo.InvariantCulture);
        if (step == "app") return new BakedStep(BakeStepKind.App, "app", count, createdBy);
        if (step.StartsWith("run ", StringComparison.Ordinal)) return new BakedStep(BakeStepKind.Run, step[4..], count, createdBy);
        if (step.StartsWith("layer ", StringComparison.Ordinal)) return new BakedStep(BakeStepKind.Layer, step[6..], count, createdBy);
        return null;
    }

    [GeneratedRegex(@"^bakery: (?<step>.+) \((?<count>\d{1,9}) entries\)$", RegexOptions.Singleline | RegexOptions.CultureInvariant)]
    private static partial Regex LinePattern();
}
