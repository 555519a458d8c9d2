using NuGet.Versioning;

namespace Bakery.Core.Remediation;

/// <summary>
/// Orders the rebuilds a fixed base image calls for: first the projects that reference the fixed
/// package, then the projects on the base images those publish, and so on (global → local → apps);
/// and lists the registry images whose lineage runs through a replaced version.
/// </summary>
public static class RemediationPlanner
{
    public static RemediationPlan Plan(FixedBase fixedBase, IReadOnlyList<SourceProject> projects, IReadOnlyList<RegistryImage> registryImages)
    {
        var steps = new List<PlanStep>();
        var visited = new HashSet<string>(StringComparer.Ordinal);
        // The packages whose consumers make up the next level, with the project that publishes each.
        var frontier = new List<(string PackageId, string? Publisher)> { (fixedBase.PackageId, null) };
        for (var depth = 1; frontier.Count > 0; depth++)
        {
            var level = new List<PlanStep>();
            foreach (var (packageId, publisher) in frontier)
            {
                foreach (var project in projects)
                {
                    var reference = project.References.FirstOrDefault(r => r.PackageId.Equals(packageId, StringComparison.OrdinalIgnoreCase));
                    if (reference is null || visited.Contains(project.Path)) continue;
                    var (action, edit) = publisher is null ? DirectAction(fixedBase, reference) : IndirectAction(publisher, reference);
                    if (action is null) continue;
                    visited.Add(project.Path);
                    level.Add(new PlanStep(0, depth, project.Name, project.Path, project.PublishesPackage, publisher, action, edit));
                }
            }
            level.Sort((a, b) => StringComparer.Ordinal.Compare(a.Project, b.Project));
            var done = steps.Count;
            steps.AddRange(level.Select((step, i) => step with { Order = done + i + 1 }).ToList());
            frontier = level.Where(s => s.Publishes is not null).Select(s => (s.Publishes!, (string?)s.Project)).ToList();
        }
        return new RemediationPlan(fixedBase, steps, RegistryDescendants(fixedBase, registryImages));
    }

    /// <summary>A project on the fixed package: a floating range that takes the fix needs only a restore; anything else is edited.</summary>
    private static (string? Action, VersionEdit? Edit) DirectAction(FixedBase fixedBase, PackageVersionReference reference)
    {
        var target = fixedBase.Version.ToNormalizedString();
        if (!VersionRange.TryParse(reference.VersionSpec, out var range))
            return ($"set {fixedBase.PackageId} to {target} by hand: '{reference.VersionSpec}' is not a NuGet version", null);
        if (range.MinVersion is { } min && min >= fixedBase.Version && !range.IsFloating)
            return (null, null); // already on the fix or later
        if (range.IsFloating && Descriptors.NewerVersions.Allows(range, fixedBase.Version))
            return ($"restore picks {target} ('{reference.VersionSpec}' floats to it; use --force-evaluate with a lock file), then rebuild", null);
        if (reference.Location is not { } location)
            return ($"set {fixedBase.PackageId} to {target} (the version '{reference.VersionSpec}' is not written where bakery can edit it), then rebuild", null);
        return ($"bump {fixedBase.PackageId} {reference.VersionSpec} → {target} in {location.Description}, then rebuild",
            new VersionEdit(location.File, location.Line, location.Text, target));
    }

    private static (string? Action, VersionEdit? Edit) IndirectAction(string publisher, PackageVersionReference reference) =>
        VersionRange.TryParse(reference.VersionSpec, out var range) && range.IsFloating
            ? ($"after {publisher} publishes its rebuilt package, restore picks it ('{reference.VersionSpec}'), then rebuild", null)
            : ($"after {publisher} publishes its rebuilt package, set {reference.PackageId} to its new version (now '{reference.VersionSpec}'), then rebuild", null);

    private static List<RegistryDescendant> RegistryDescendants(FixedBase fixedBase, IReadOnlyList<RegistryImage> images)
    {
        var found = new List<RegistryDescendant>();
        foreach (var image in images)
        {
            for (var i = 0; i < image.Lineage.Count; i++)
            {
                var ancestor = image.Lineage[i];
                if (!ancestor.Repository.Equals(fixedBase.Repository, StringComparison.OrdinalIgnoreCase)) continue;
                // An image of one platform of a multi-platform base records that base's index too: either is the fixed one.
                if (ancestor.Digest != fixedBase.Digest && ancestor.Index != fixedBase.Digest)
                    found.Add(new RegistryDescendant(image.Image, image.Digest, image.Tags, i + 1, ancestor.Digest, $"{image.Lineage[0].Repository}@{image.Lineage[0].Digest}"));
                break;
            }
        }
        return found.OrderBy(d => d.Depth).ThenBy(d => d.Image, StringComparer.Ordinal).ToList();
    }
}
