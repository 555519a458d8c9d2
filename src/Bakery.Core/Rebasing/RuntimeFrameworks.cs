using System.Text.Json;
using NuGet.Versioning;

namespace Bakery.Core.Rebasing;

/// <summary>How the .NET host rolls a framework reference forward (runtimeconfig.json <c>rollForward</c>, DOTNET_ROLL_FORWARD).</summary>
internal enum RollForward { LatestPatch, Minor, Major, LatestMinor, LatestMajor, Disable }

/// <summary>A framework an app names in its runtimeconfig.json, with the roll-forward it is resolved with.</summary>
internal sealed record FrameworkReference(string Name, NuGetVersion Version, RollForward RollForward, bool ApplyPatches, string File);

/// <summary>
/// The shared frameworks an app needs, from its <c>*.runtimeconfig.json</c>, resolved against the
/// runtimes of an image as the .NET host resolves them: the requested version is the floor, the
/// roll-forward policy (the reference's, the file's, or DOTNET_ROLL_FORWARD in the image's environment,
/// which wins) picks among the installed <c>shared/&lt;name&gt;/&lt;version&gt;</c> folders, release versions
/// before pre-releases. A self-contained app (<c>includedFrameworks</c>) needs none.
/// </summary>
internal static class RuntimeFrameworks
{
    private static readonly JsonDocumentOptions JsonOptions = new() { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true };

    /// <summary>The framework references of one runtimeconfig.json; empty for a self-contained app or a file that is not one.</summary>
    public static IReadOnlyList<FrameworkReference> Read(string json, string file, string? environmentRollForward)
    {
        JsonDocument document;
        try { document = JsonDocument.Parse(json, JsonOptions); }
        catch (JsonException) { return []; }
        using (document)
        {
            if (document.RootElement.ValueKind != JsonValueKind.Object
                || !document.RootElement.TryGetProperty("runtimeOptions", out var options) || options.ValueKind != JsonValueKind.Object
                || options.TryGetProperty("includedFrameworks", out _))
                return [];
            var fileRoll = Policy(options);
            var applyPatches = !(options.TryGetProperty("applyPatches", out var patches) && patches.ValueKind == JsonValueKind.False);
            var references = new List<FrameworkReference>();
            var frameworks = new List<JsonElement>();
            if (options.TryGetProperty("framework", out var one) && one.ValueKind == JsonValueKind.Object) frameworks.Add(one);
            if (options.TryGetProperty("frameworks", out var many) && many.ValueKind == JsonValueKind.Array) frameworks.AddRange(many.EnumerateArray());
            foreach (var framework in frameworks.Where(f => f.ValueKind == JsonValueKind.Object))
            {
                if (!framework.TryGetProperty("name", out var name) || name.ValueKind != JsonValueKind.String
                    || !framework.TryGetProperty("version", out var version) || !NuGetVersion.TryParse(version.GetString(), out var parsed))
                    continue;
                var roll = ParsePolicy(environmentRollForward) ?? Policy(framework) ?? fileRoll ?? RollForward.Minor;
                references.Add(new FrameworkReference(name.GetString()!, parsed, roll, applyPatches, file));
            }
            return references;
        }
    }

    /// <summary>The version the host would pick from <paramref name="installed"/>; null when none satisfies the reference.</summary>
    public static NuGetVersion? Resolve(FrameworkReference reference, IEnumerable<NuGetVersion> installed)
    {
        var all = installed.Where(v => v >= reference.Version).Distinct().ToList();
        // A release reference takes release versions first, and a pre-release only when no release satisfies it.
        var releases = all.Where(v => !v.IsPrerelease).ToList();
        return (reference.Version.IsPrerelease ? null : Pick(reference, releases)) ?? Pick(reference, all);
    }

    private static NuGetVersion? Pick(FrameworkReference r, List<NuGetVersion> candidates)
    {
        var v = r.Version;
        NuGetVersion? Patch(IEnumerable<NuGetVersion> sameMinor)
        {
            var list = sameMinor.ToList();
            if (list.Count == 0) return null;
            return r.ApplyPatches ? list.Max() : list.Min();
        }
        var sameMajor = candidates.Where(c => c.Major == v.Major).ToList();
        var sameMinor = sameMajor.Where(c => c.Minor == v.Minor).ToList();
        NuGetVersion? LowestHigherMinor() =>
            sameMajor.Where(c => c.Minor > v.Minor).GroupBy(c => c.Minor).OrderBy(g => g.Key).Select(g => Patch(g)).FirstOrDefault();
        NuGetVersion? LowestHigherMajor() =>
            candidates.Where(c => c.Major > v.Major).GroupBy(c => c.Major).OrderBy(g => g.Key)
                .Select(g => g.GroupBy(c => c.Minor).OrderBy(m => m.Key).Select(m => Patch(m)).First()).FirstOrDefault();
        return r.RollForward switch
        {
            RollForward.Disable => candidates.FirstOrDefault(c => c == v),
            RollForward.LatestPatch => Patch(sameMinor),
            RollForward.Minor => Patch(sameMinor) ?? LowestHigherMinor(),
            RollForward.Major => Patch(sameMinor) ?? LowestHigherMinor() ?? LowestHigherMajor(),
            RollForward.LatestMinor => sameMajor.DefaultIfEmpty().Max(),
            RollForward.LatestMajor => candidates.DefaultIfEmpty().Max(),
            _ => null,
        };
    }

    private static RollForward? Policy(JsonElement element)
    {
        if (element.TryGetProperty("rollForward", out var roll) && roll.ValueKind == JsonValueKind.String) return ParsePolicy(roll.GetString());
        if (element.TryGetProperty("rollForwardOnNoCandidateFx", out var legacy) && legacy.TryGetInt32(out var level))
            return level switch { 0 => RollForward.LatestPatch, 2 => RollForward.Major, _ => RollForward.Minor };
        return null;
    }

    public static RollForward? ParsePolicy(string? text) =>
        Enum.TryParse<RollForward>(text?.Trim(), ignoreCase: true, out var policy) && Enum.IsDefined(policy) ? policy : null;
}
