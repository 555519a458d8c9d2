using System.Reflection;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace Bakery.Core.Baking;

/// <summary>A file or folder the evaluated project depended on, as it was when the plan was written.</summary>
public sealed record PlanFile(string Path, bool Exists, long Size, long LastWriteTicks)
{
    public static PlanFile Of(string path)
    {
        if (File.Exists(path))
        {
            var file = new FileInfo(path);
            return new PlanFile(path, true, file.Length, file.LastWriteTimeUtc.Ticks);
        }
        return Directory.Exists(path)
            ? new PlanFile(path, true, -1, Directory.GetLastWriteTimeUtc(path).Ticks)
            : new PlanFile(path, false, 0, 0);
    }
}

/// <summary>
/// A base-image project's bake as MSBuild evaluated it (bake-plan.json next to the bake report), so
/// `bakery bake` can bake it again without MSBuild: no evaluation and no restore, the same
/// <see cref="ImageBaker"/>. It records what the evaluation read (project, imports, restore output,
/// the Directory.* / global.json / nuget.config files up the tree, the folders layer files were
/// globbed from) and refuses to run once any of them changed, or the sources moved to another commit.
/// Layer contents, verification files and advisories are read again by the bake itself.
/// </summary>
public sealed record BakePlan
{
    public const int CurrentSchema = 1;
    public const string FileName = "bake-plan.json";

    /// <summary>Files MSBuild reads by convention from the project's folder and every folder above it.</summary>
    public static readonly string[] ConventionFiles =
        ["Directory.Build.props", "Directory.Build.targets", "Directory.Packages.props", "Directory.Build.rsp", "global.json", "nuget.config", "NuGet.config", "NuGet.Config"];

    public int Schema { get; init; } = CurrentSchema;

    /// <summary>The Bakery version that wrote it: a plan is only run by the same version (layers and checks must come out the same).</summary>
    public required string BakeryVersion { get; init; }
    public required BakeInputs Inputs { get; init; }
    public required IReadOnlyList<PlanFile> DependsOn { get; init; }

    public static string CurrentBakeryVersion =>
        typeof(BakePlan).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion
        ?? typeof(BakePlan).Assembly.GetName().Version?.ToString() ?? "unknown";

    /// <summary>
    /// The plan of a bake: <paramref name="evaluationFiles"/> are the project, its imports and restore
    /// output as MSBuild names them; the convention files up the tree and the layer and verification
    /// files' folders (a new file matching a wildcard changes its folder) are added here.
    /// </summary>
    public static BakePlan Create(BakeInputs inputs, IEnumerable<string> evaluationFiles)
    {
        var paths = new SortedSet<string>(StringComparer.Ordinal);
        foreach (var file in evaluationFiles.Where(f => !string.IsNullOrWhiteSpace(f))) paths.Add(Path.GetFullPath(file));
        for (var dir = Path.GetDirectoryName(Path.GetFullPath(inputs.ProjectFile)); dir is not null; dir = Path.GetDirectoryName(dir))
            foreach (var name in ConventionFiles) paths.Add(Path.Combine(dir, name));
        foreach (var item in inputs.Layers.Concat(inputs.VerifyFiles))
        {
            var source = item.Get("FullPath");
            if (File.Exists(source) && Path.GetDirectoryName(source) is { } folder) paths.Add(folder);
        }
        return new BakePlan { BakeryVersion = CurrentBakeryVersion, Inputs = inputs, DependsOn = paths.Select(PlanFile.Of).ToList() };
    }

    /// <summary>Why this plan no longer describes the project, or null when it still does.</summary>
    public string? WhyStale()
    {
        if (Schema != CurrentSchema) return $"it has schema {Schema}; this bakery reads schema {CurrentSchema}.";
        if (BakeryVersion != CurrentBakeryVersion) return $"it was written by Bakery {BakeryVersion}; this is Bakery {CurrentBakeryVersion}.";
        foreach (var recorded in DependsOn)
        {
            var now = PlanFile.Of(recorded.Path);
            if (now == recorded) continue;
            return (recorded.Exists, now.Exists) switch
            {
                (false, true) => $"{recorded.Path} was created since.",
                (true, false) => $"{recorded.Path} was deleted since.",
                _ => $"{recorded.Path} changed since.",
            };
        }
        var projectDirectory = Path.GetDirectoryName(Inputs.ProjectFile) ?? ".";
        if (!string.IsNullOrWhiteSpace(Inputs.Revision) && GitRevision.Find(projectDirectory) is { } head
            && !head.Equals(Inputs.Revision.Trim(), StringComparison.OrdinalIgnoreCase))
            return $"the sources are at commit {head}; it was written at {Inputs.Revision.Trim()}.";
        return null;
    }

    /// <summary>Written whole or not at all: a temporary file moved into place.</summary>
    public void Save(string path)
    {
        Oci.AtomicFile.WriteAllText(path, JsonSerializer.Serialize(this, BakePlanJson.Default.BakePlan));
    }

    public static BakePlan Load(string path)
    {
        try
        {
            return JsonSerializer.Deserialize(File.ReadAllText(path), BakePlanJson.Default.BakePlan)
                ?? throw Messages.BAKE506(path, "it is empty.", "the project").Exception();
        }
        catch (Exception e) when (e is JsonException or NotSupportedException)
        {
            throw Messages.BAKE506(path, $"it is not a bake plan ({e.Message}).", "the project").Exception(e);
        }
    }
}

/// <summary>Source-generated: `bakery bake` reads a plan first thing, before anything is warm.</summary>
[JsonSourceGenerationOptions(WriteIndented = true, PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(BakePlan))]
internal sealed partial class BakePlanJson : JsonSerializerContext;
