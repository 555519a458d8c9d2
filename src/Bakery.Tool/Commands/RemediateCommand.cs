using System.CommandLine;
using Bakery.Core.Descriptors;
using Bakery.Core.Remediation;
using Bakery.Tool.Projects;
using Microsoft.Build.Locator;
using NuGet.Versioning;

using Bakery.Tool.Output;

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
            if (!MSBuildLocator.IsRegistered) MSBuildLocator.RegisterDefaults();
            var projectFiles = ProjectDiscovery.Find(root);
            var projects = projectFiles.Select(ProjectReader.Read).ToList();
            var images = new List<RegistryImage>();
            foreach (var registry in result.GetValue(registries) ?? []) images.AddRange(await RegistryLineageScan.ScanAsync(registry, ToolContext.RegistryOptions(), ct));
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
        if (PackageFeeds.Find(PackageFeeds.FolderSources(directory), id, version) is { } file)
            return ToFixed(PackageLayout.ReadFromNupkg(file, $"{id} {normalized}")
                ?? throw new ToolException(ExitCodes.BadInput, $"{file} is not a base-image package (no {PackageLayout.DescriptorPath})."), version);
        var (_, descriptor) = ToolContext.ResolveAsync(argument, CancellationToken.None).GetAwaiter().GetResult();
        return ToFixed(descriptor!, version);
    }

    private static FixedBase ToFixed(BaseImageDescriptor d, NuGetVersion version) =>
        new(d.Id, version, $"{d.Image.Registry}/{d.Image.Repository}", d.Image.Digest);
}
