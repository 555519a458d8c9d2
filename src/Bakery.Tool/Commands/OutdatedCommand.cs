using System.CommandLine;
using System.Globalization;
using System.Text;
using Bakery.Core.Descriptors;
using Bakery.Core.Lifecycle;
using Bakery.Core.Reports;
using Bakery.Oci.Model;
using Bakery.Tool.Projects;
using Microsoft.Build.Locator;

using Bakery.Tool.Output;

namespace Bakery.Tool.Commands;

/// <summary>
/// bakery outdated [PATH]: every project under a folder (or in a solution) with its base-image
/// package, the state of that image and its ancestors, the newest version in the feeds, and days to expiry.
/// Projects must be restored: their base-image items come from the packages' props.
/// </summary>
internal static class OutdatedCommand
{
    /// <param name="NewestInRange">The newest version the project's own version range allows (what BAKE110 warns about).</param>
    /// <param name="State">Null when it cannot be known (the project is not restored, or references no base-image package).</param>
    /// <param name="Lineage">The base image's ancestors, nearest first, and <paramref name="ImageStates"/> the state of each image judged.</param>
    public sealed record Row(string Project, string? Package, string? Version, string? Digest, LifecycleState? State, string? Newest,
        int? DaysToExpiry, string? Message, string? NewestInRange = null, string? Image = null,
        IReadOnlyList<LineageEntry>? Lineage = null, IReadOnlyDictionary<string, LifecycleState>? ImageStates = null)
    {
        public bool IsOutdated => Newest is not null && Version is not null && NuGet.Versioning.NuGetVersion.Parse(Newest) > NuGet.Versioning.NuGetVersion.Parse(Version);
    }

    public static Command Create()
    {
        var path = new Argument<string>("path") { Description = "A folder (searched for projects), or a .sln or .slnx file.", DefaultValueFactory = _ => "." };
        var json = ToolContext.JsonOption();
        var markdown = new Option<bool>("--markdown") { Description = "Write a Markdown table (for a CI job that notifies teams)." };
        var failOn = new Option<string[]>("--fail-on") { Description = "Exit with 3 when any project is: deprecated, expired, revoked, outdated.", AllowMultipleArgumentsPerToken = true };
        var offline = new Option<bool>("--offline") { Description = "Judge by the packages' dates only; do not read the registries' lifecycle records." };
        var command = new Command("outdated", "List the projects on old, deprecated, expired or revoked base images.") { path, json, markdown, failOn, offline };
        command.SetAction((result, ct) => ToolContext.RunAsync(async () =>
        {
            var conditions = (result.GetValue(failOn) ?? []).SelectMany(v => v.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)).ToList();
            var unknown = conditions.Except(["deprecated", "expired", "revoked", "outdated"], StringComparer.OrdinalIgnoreCase).ToList();
            if (unknown.Count > 0) throw new ToolException(ExitCodes.BadInput, $"--fail-on takes deprecated, expired, revoked or outdated, not {string.Join(", ", unknown)}.");
            if (!MSBuildLocator.IsRegistered) MSBuildLocator.RegisterDefaults();
            var projects = ProjectDiscovery.Find(Path.GetFullPath(result.GetValue(path)!));
            var rows = new List<Row>();
            foreach (var project in projects) rows.Add(await InspectAsync(project, result.GetValue(offline), ct));

            if (result.GetValue(json)) ToolContext.WriteJson(rows);
            else if (result.GetValue(markdown)) Console.Write(ToMarkdown(rows));
            else Table.Write(["project", "base image package", "version", "digest", "state", "newest", "in range", "expires in"], rows.Select(Cells));

            var failing = rows.Where(r => Fails(r, conditions)).ToList();
            return failing.Count > 0 ? ExitCodes.NotInGoodStanding : ExitCodes.Ok;
        }));
        return command;
    }

    private static bool Fails(Row row, List<string> conditions) => conditions.Any(c => c.ToLowerInvariant() switch
    {
        "deprecated" => row.State >= LifecycleState.Deprecated,
        "expired" => row.State >= LifecycleState.Expired,
        "revoked" => row.State == LifecycleState.Revoked,
        "outdated" => row.IsOutdated,
        _ => false,
    });

    private static IReadOnlyList<string> Cells(Row r) =>
    [
        r.Project, r.Package ?? "(none)", r.Version ?? "", r.Digest is null ? "" : r.Digest[..Math.Min(19, r.Digest.Length)], r.State?.ToString() ?? r.Message ?? "unknown",
        r.IsOutdated ? r.Newest! : r.Newest is null ? "" : "(current)", r.NewestInRange ?? "",
        r.DaysToExpiry?.ToString(CultureInfo.InvariantCulture) + (r.DaysToExpiry is null ? "" : " days"),
    ];

    /// <summary>The table grouped by base image (most severe first), and the lineage of every project as a Mermaid graph.</summary>
    private static string ToMarkdown(List<Row> rows)
    {
        var ordered = rows.OrderByDescending(r => r.State ?? LifecycleState.Supported).ThenBy(r => r.Package ?? "~", StringComparer.Ordinal)
            .ThenBy(r => r.Version, StringComparer.Ordinal).ThenBy(r => r.Project, StringComparer.Ordinal).ToList();
        var md = new StringBuilder("| Project | Base image package | Version | State | Newest | In range | Expires in |\n|---|---|---|---|---|---|---|\n");
        foreach (var r in ordered)
        {
            var c = Cells(r);
            md.Append($"| {c[0]} | {c[1]} | {c[2]} | {(r.State is { } state ? state.ToString() + (r.Message is null ? "" : ": ") : "")}{r.Message} | {c[5]} | {c[6]} | {c[7]} |\n");
        }
        if (rows.Any(r => r.Package is not null)) md.Append('\n').Append(Graph(ordered));
        return md.ToString();
    }

    /// <summary>Upstream → bases → projects; the projects on one base version share a box; an outdated project's edge says what is newer.</summary>
    private static string Graph(IReadOnlyList<Row> rows)
    {
        var nodes = new List<LineageNode>();
        var edges = new List<LineageEdge>();
        foreach (var r in rows.Where(r => r.Package is not null && r.Digest is not null))
        {
            LifecycleState StateOf(string digest) => r.ImageStates?.GetValueOrDefault(digest) ?? LifecycleState.Supported;
            var chain = (r.Lineage ?? []).Reverse().Select(a => new LineageNode(a.Digest,
                a.PackageId is null ? $"{a.Repository.Split('/', 2)[^1]}\n{a.Digest[..19]}" : $"{a.PackageId} {a.PackageVersion}", StateOf(a.Digest))).ToList();
            var baseNode = new LineageNode(r.Digest!, $"{r.Package} {r.Version}", StateOf(r.Digest!));
            chain.Add(baseNode);
            nodes.AddRange(chain);
            for (var i = 1; i < chain.Count; i++) edges.Add(new LineageEdge(chain[i - 1].Key, chain[i].Key));
            var project = "project:" + r.Project;
            nodes.Add(new LineageNode(project, r.Project, r.State, $"on {r.Package} {r.Version}"));
            edges.Add(new LineageEdge(baseNode.Key, project, r.IsOutdated ? $"newer: {r.Newest}" : null));
        }
        return MermaidLineage.Write(nodes, edges);
    }

    private static async Task<Row> InspectAsync(string project, bool offline, CancellationToken ct)
    {
        var name = Path.GetFileNameWithoutExtension(project);
        var (item, restored) = ProjectReader.BaseImageOf(project);
        if (item is null)
            return new Row(name, null, null, null, null, null, null, restored
                ? "references no base-image package"
                : $"not restored: run 'dotnet restore {Path.GetFileName(project)}' (the base-image package's props add its BakeryBaseImage item), then run bakery outdated again");
        var descriptor = DescriptorReader.Load(item.Value.Descriptor, item.Value.Id);
        var now = DateTimeOffset.UtcNow;
        var selection = new BaseImageSelection(ImageReference.Parse(descriptor.PinnedReference), descriptor);
        var verdict = await new BaseImageLifecycleCheck { CheckRegistry = !offline }.JudgeAsync(selection, now, ToolContext.RegistryOptions(), ct);
        var (available, _) = await AvailableVersions.FindAsync(descriptor, Path.GetDirectoryName(project)!, online: !offline, ToolContext.RegistryOptions(), ct);
        var newest = available.Versions.DefaultIfEmpty().Max();
        var inRange = NuGet.Versioning.NuGetVersion.TryParse(descriptor.Version, out var current)
            ? NewerVersions.Find(available.Versions, current, item.Value.Range).NewestAllowed : null;
        var days = descriptor.Lifecycle.ExpiresOn is { } e ? (int?)Math.Floor((e - now).TotalDays) : null;
        return new Row(name, descriptor.Id, descriptor.Version, descriptor.Image.Digest, verdict.State, newest?.ToNormalizedString(), days,
            verdict.Diagnostics.FirstOrDefault()?.Message, inRange?.ToNormalizedString(), $"{descriptor.Image.Registry}/{descriptor.Image.Repository}",
            descriptor.Lineage, verdict.ByImage);
    }
}
