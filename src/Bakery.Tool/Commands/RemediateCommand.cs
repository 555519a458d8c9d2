using System.CommandLine;
using System.IO.Compression;
using System.Runtime.CompilerServices;
using System.Text.Json;
using Bakery.Core.Descriptors;
using Bakery.Core.Remediation;
using Bakery.Oci.Model;
using Bakery.Oci.Registry;
using Microsoft.Build.Locator;
using NuGet.Versioning;

namespace Bakery.Tool.Commands;

/// <summary>
/// bakery remediate --fixed ID/VERSION [PATH]: the ordered rebuild plan that gets every project
/// (and, with --registry, every pushed image) off the versions the fix replaces; --apply edits the versions.
/// </summary>
internal static class RemediateCommand
{
    public static Command Create()
    {
        var fixedOption = new Option<string>("--fixed") { Description = "The base-image package version with the fix: Id/Version (from a folder feed or the package folder).", Required = true };
        var path = new Argument<string>("path") { Description = "A folder (searched for projects), or a .sln or .slnx file.", DefaultValueFactory = _ => "." };
        var registries = new Option<string[]>("--registry") { Description = "Registries whose images to check by their lineage labels (host:port).", AllowMultipleArgumentsPerToken = true };
        var apply = new Option<bool>("--apply") { Description = "Edit the versions in the projects (Directory.Packages.props, the csproj or the property they use). Without it, only the plan is printed." };
        var json = ToolContext.JsonOption();
        var command = new Command("remediate", "Plan (and with --apply, start) the rebuild of everything built on the versions a fixed base image replaces.")
            { fixedOption, path, registries, apply, json };
        command.SetAction((result, ct) => ToolContext.RunAsync(async () =>
        {
            var root = Path.GetFullPath(result.GetValue(path)!);
            var fixedBase = FindFixed(result.GetValue(fixedOption)!, Directory.Exists(root) ? root : Path.GetDirectoryName(root)!);
            var projectFiles = OutdatedCommand.FindProjects(root);
            if (!MSBuildLocator.IsRegistered) MSBuildLocator.RegisterDefaults();
            var projects = projectFiles.Select(ProjectReader.Read).ToList();
            var images = new List<RegistryImage>();
            foreach (var registry in result.GetValue(registries) ?? []) images.AddRange(await RegistryImagesAsync(registry, ct));
            var plan = RemediationPlanner.Plan(fixedBase, projects, images);

            IReadOnlyList<string> edited = [];
            if (result.GetValue(apply)) edited = VersionEditor.Apply(plan.Steps.Where(s => s.Edit is not null).Select(s => s.Edit!));

            if (result.GetValue(json)) ToolContext.WriteJson(new { plan.Fixed, plan.Steps, plan.RegistryImages, applied = result.GetValue(apply), edited });
            else Print(plan, result.GetValue(apply), edited, root);
            return ExitCodes.Ok;
        }));
        return command;
    }

    private static void Print(RemediationPlan plan, bool applied, IReadOnlyList<string> edited, string root)
    {
        Console.WriteLine($"Fixed base image: {plan.Fixed} ({plan.Fixed.Repository}@{plan.Fixed.Digest})");
        Console.WriteLine();
        if (plan.Steps.Count == 0) Console.WriteLine("No project under this path is built on a replaced version.");
        else
        {
            Console.WriteLine("Rebuild plan (in this order):");
            Table.Write(["#", "level", "project", "publishes", "action"], plan.Steps.Select(s => (IReadOnlyList<string>)
                [s.Order.ToString(System.Globalization.CultureInfo.InvariantCulture), Level(s.Depth, s.Publishes), Path.GetRelativePath(root, s.Path), s.Publishes ?? "", s.Action]));
        }
        if (plan.RegistryImages.Count > 0)
        {
            Console.WriteLine();
            Console.WriteLine("Images in the registry built on a replaced version:");
            Table.Write(["image", "tags", "digest", "depth", "replaced base"], plan.RegistryImages.Select(i => (IReadOnlyList<string>)
                [i.Image, string.Join(", ", i.Tags), i.Digest[..19], i.Depth.ToString(System.Globalization.CultureInfo.InvariantCulture), i.ReplacedDigest[..19]]));
        }
        Console.WriteLine();
        var edits = plan.Steps.Count(s => s.Edit is not null);
        if (applied) Console.WriteLine(edits == 0 ? "Nothing to edit: every direct reference floats to the fix." : $"Edited {edits} version(s) in {edited.Count} file(s): review with 'git diff', then rebuild in the order above.");
        else if (edits > 0) Console.WriteLine($"Dry run: {edits} version(s) would be edited. Run again with --apply to edit them.");
    }

    private static string Level(int depth, string? publishes) => publishes is null ? "app" : depth == 1 ? "base (on the fix)" : $"base (level {depth})";

    /// <summary>The fixed package's descriptor, from the folder feeds the tree's nuget.config names or the package folder.</summary>
    private static FixedBase FindFixed(string argument, string directory)
    {
        var slash = argument.LastIndexOf('/');
        if (slash <= 0 || !NuGetVersion.TryParse(argument[(slash + 1)..], out var version))
            throw new ToolException(ExitCodes.BadInput, $"--fixed takes PackageId/Version, not '{argument}'.");
        var id = argument[..slash];
        var normalized = version.ToNormalizedString();
        var fileName = $"{id}.{normalized}.nupkg";
        foreach (var feed in PackageFeeds.FolderSources(directory))
        {
            // A flat feed (dotnet pack -o) or a hierarchical one (nuget add): id/version/id.version.nupkg.
            var file = new[] { feed, Path.Combine(feed, id.ToLowerInvariant(), normalized.ToLowerInvariant()) }
                .Where(Directory.Exists)
                .SelectMany(folder => Directory.EnumerateFiles(folder, "*.nupkg"))
                .FirstOrDefault(f => Path.GetFileName(f).Equals(fileName, StringComparison.OrdinalIgnoreCase));
            if (file is null) continue;
            using var zip = ZipFile.OpenRead(file);
            var entry = zip.GetEntry("bakery/image.json") ?? throw new ToolException(ExitCodes.BadInput, $"{file} is not a base-image package (no bakery/image.json).");
            using var reader = new StreamReader(entry.Open());
            return ToFixed(DescriptorReader.Parse(reader.ReadToEnd(), file, $"{id} {normalized}"), version);
        }
        var (_, descriptor) = ToolContext.ResolveAsync(argument, CancellationToken.None).GetAwaiter().GetResult();
        return ToFixed(descriptor!, version);
    }

    private static FixedBase ToFixed(BaseImageDescriptor d, NuGetVersion version) =>
        new(d.Id, version, $"{d.Image.Registry}/{d.Image.Repository}", d.Image.Digest);

    /// <summary>Every image manifest in the registry with the lineage label Bakery writes; referrer tags and artifacts are skipped.</summary>
    private static async Task<List<RegistryImage>> RegistryImagesAsync(string registry, CancellationToken ct)
    {
        using var client = new RegistryClient(registry, ToolContext.RegistryOptions());
        var images = new List<RegistryImage>();
        foreach (var repository in await client.ListRepositoriesAsync(ct))
        {
            var byDigest = new Dictionary<Digest, (List<string> Tags, ImageManifest Manifest)>();
            foreach (var tag in await client.ListTagsAsync(repository, ct))
            {
                if (tag.StartsWith("sha256-", StringComparison.Ordinal)) continue;
                var fetched = await client.GetManifestAsync(repository, tag, ct);
                if (!byDigest.TryGetValue(fetched.Digest, out var entry)) byDigest[fetched.Digest] = entry = ([], fetched.Parse());
                entry.Tags.Add(tag);
            }
            foreach (var (digest, (tags, manifest)) in byDigest)
            {
                if (manifest.Config is null || manifest.ArtifactType is not null || !MediaTypes.IsManifest(manifest.MediaType)) continue;
                if (manifest.Config.MediaType is not (MediaTypes.OciConfig or MediaTypes.DockerConfig)) continue;
                var config = ImageConfig.Parse(await client.GetBlobAsync(repository, manifest.Config.ParsedDigest, ct));
                if (!config.Labels.TryGetValue("dev.bakery.lineage", out var label)) continue;
                var lineage = JsonSerializer.Deserialize<List<LineageEntry>>(label) ?? [];
                images.Add(new RegistryImage($"{registry}/{repository}", digest.ToString(), tags.Order(StringComparer.Ordinal).ToList(), lineage));
            }
        }
        return images;
    }
}

/// <summary>Reads a project's package references with MSBuild's own evaluation, and where each version is written.</summary>
internal static class ProjectReader
{
    // Kept out of line: Microsoft.Build types load only after the locator has registered the SDK's MSBuild.
    [MethodImpl(MethodImplOptions.NoInlining)]
    public static SourceProject Read(string path)
    {
        using var collection = new Microsoft.Build.Evaluation.ProjectCollection();
        var project = collection.LoadProject(path);
        var isBase = string.Equals(project.GetPropertyValue("BakeryImageKind"), "BaseImage", StringComparison.OrdinalIgnoreCase);
        return new SourceProject(Path.GetFileNameWithoutExtension(path), path, isBase ? project.GetPropertyValue("PackageId") : null, References(project));
    }

    /// <summary>Each PackageReference with its version: VersionOverride, Version, or the central PackageVersion.</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    public static List<PackageVersionReference> References(Microsoft.Build.Evaluation.Project project)
    {
        var references = new List<PackageVersionReference>();
        foreach (var item in project.GetItems("PackageReference"))
        {
            var metadata = item.GetMetadata("VersionOverride") ?? item.GetMetadata("Version")
                ?? project.GetItems("PackageVersion").FirstOrDefault(v => v.EvaluatedInclude.Equals(item.EvaluatedInclude, StringComparison.OrdinalIgnoreCase))?.GetMetadata("Version");
            if (metadata is null) continue;
            references.Add(new PackageVersionReference(item.EvaluatedInclude, metadata.EvaluatedValue, Locate(project, metadata)));
        }
        return references;
    }

    /// <summary>The literal version text: the metadata itself, or the one property it consists of.</summary>
    private static VersionLocation? Locate(Microsoft.Build.Evaluation.Project project, Microsoft.Build.Evaluation.ProjectMetadata metadata)
    {
        var raw = metadata.UnevaluatedValue.Trim();
        var kind = metadata.Xml.Parent is Microsoft.Build.Construction.ProjectItemElement element ? $"{element.ItemType} {element.Include}" : "Version";
        if (!raw.Contains("$(", StringComparison.Ordinal))
            return new VersionLocation(metadata.Xml.Location.File, metadata.Xml.Location.Line, raw, $"{Path.GetFileName(metadata.Xml.Location.File)} ({kind})");
        if (raw.StartsWith("$(", StringComparison.Ordinal) && raw.EndsWith(')') && raw.IndexOf('$', 1) < 0
            && project.GetProperty(raw[2..^1]) is { Xml: { } property } && !property.Value.Contains("$(", StringComparison.Ordinal))
            return new VersionLocation(property.Location.File, property.Location.Line, property.Value.Trim(), $"{Path.GetFileName(property.Location.File)} (property {property.Name})");
        return null;
    }
}
