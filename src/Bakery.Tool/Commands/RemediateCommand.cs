using System.CommandLine;
using Bakery.Core;
using Bakery.Core.Descriptors;
using Bakery.Core.Rebasing;
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
        var rebase = new Option<bool>("--rebase") { Description = "Rebase every image --registry finds onto the fix (team bases first, then the images on them) instead of only listing them." };
        var parallel = new Option<int>("--parallel") { Description = "Images rebased at a time (per level).", DefaultValueFactory = _ => 4 };
        var buildId = new Option<string?>("--build-id") { Description = "The build id of the rebased images' <version>-build.<id> tags (default: the CI environment's)." };
        var rebaseOptions = new RebaseOptions();
        var json = ToolContext.JsonOption();
        var command = new Command("remediate", "Plan (and with --apply, start) the rebuild of everything built on the versions a fixed base image replaces; with --rebase, rebase the registry's images onto it.")
            { fixedOption, path, registries, apply, rebase, parallel, buildId, json };
        rebaseOptions.AddTo(command);
        command.SetAction((result, ct) => ToolContext.RunAsync(async () =>
        {
            var root = Path.GetFullPath(result.GetValue(path)!);
            var fixedBase = FindFixed(result.GetValue(fixedOption)!, Directory.Exists(root) ? root : Path.GetDirectoryName(root)!);
            if (result.GetValue(rebase) && (result.GetValue(registries) ?? []).Length == 0)
                throw new ToolException(ExitCodes.BadInput, "--rebase rebases the images a registry holds: name it with --registry host:port.");
            if (!MSBuildLocator.IsRegistered) MSBuildLocator.RegisterDefaults();
            var projectFiles = ProjectDiscovery.Find(root);
            var projects = projectFiles.Select(ProjectReader.Read).ToList();
            var images = new List<RegistryImage>();
            foreach (var registry in result.GetValue(registries) ?? []) images.AddRange(await RegistryLineageScan.ScanAsync(registry, ToolContext.RegistryOptions(), ct));
            var plan = RemediationPlanner.Plan(fixedBase, projects, images);

            IReadOnlyList<string> edited = [];
            if (result.GetValue(apply)) edited = VersionEditor.Apply(plan.Steps.Where(s => s.Edit is not null).Select(s => s.Edit!));

            if (!result.GetValue(rebase))
            {
                if (result.GetValue(json)) ToolContext.WriteJson(new { plan.Fixed, plan.Steps, plan.RegistryImages, applied = result.GetValue(apply), edited });
                else Print(plan, result.GetValue(apply), edited, root);
                return ExitCodes.Ok;
            }

            if (!result.GetValue(json)) Print(plan, result.GetValue(apply), edited, root);
            var packages = rebaseOptions.Packages(result);
            var fixedPackage = packages.Find(fixedBase.PackageId, fixedBase.Version)
                ?? throw new ToolException(ExitCodes.BadInput, $"The package {fixedBase} is needed to rebase onto it: put it into a folder feed (--source) or the package folder.");
            var log = new ConsoleLog(quiet: false, verbose: result.GetValue(rebaseOptions.Verbose));
            var template = rebaseOptions.Request(result, "", RebaseBase.FromPackage(fixedPackage), packages) with { BuildId = result.GetValue(buildId) };
            var fleet = await new FleetRebase(ToolContext.RegistryOptions(), log).RunAsync(fixedBase, RebaseBase.FromPackage(fixedPackage), plan.RegistryImages,
                template, result.GetValue(parallel), ct);
            if (result.GetValue(json)) ToolContext.WriteJson(new { plan.Fixed, plan.Steps, applied = result.GetValue(apply), edited, rebased = fleet });
            else PrintFleet(fleet);
            var left = fleet.Where(e => e.Result.Outcome is RebaseOutcome.NeedsRebuild or RebaseOutcome.Failed).ToList();
            if (left.Count > 0)
                Console.Error.WriteLine("bakery: " + Messages.BAKE614(left.Count, fleet.Count, string.Join("; ", left.Select(e => $"{e.Image}@{e.Digest[..19]} ({e.Result.Code ?? e.Result.Outcome.ToString()})"))));
            return FleetExitCode(fleet);
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

    private static void PrintFleet(IReadOnlyList<FleetRebaseEntry> fleet)
    {
        Console.WriteLine();
        if (fleet.Count == 0) { Console.WriteLine("No current image in the registry is built on a replaced version: nothing to rebase."); return; }
        Console.WriteLine("Rebase of the registry's images (in this order):");
        Table.Write(["image", "tags", "depth", "onto", "result"], fleet.Select(e => (IReadOnlyList<string>)
            [e.Image + "@" + e.Digest[..19], string.Join(", ", e.Tags), e.Depth.ToString(System.Globalization.CultureInfo.InvariantCulture), e.Onto, FleetRebase.Describe(e.Result)]));
    }

    /// <summary>0: every image rebased or already on the fix; 4: some need a rebuild (refused, the others done); 5: some failed (a gate or the registry).</summary>
    private static int FleetExitCode(IReadOnlyList<FleetRebaseEntry> fleet) =>
        fleet.Any(e => e.Result.Outcome == RebaseOutcome.Failed) ? ExitCodes.RebaseFailed
        : fleet.Any(e => e.Result.Outcome == RebaseOutcome.NeedsRebuild) ? ExitCodes.NeedsRebuild : ExitCodes.Ok;

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
