using System.Runtime.CompilerServices;
using Bakery.Core.Descriptors;
using Bakery.Core.Remediation;

namespace Bakery.Tool.Projects;

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
            var central = project.GetItems("PackageVersion").FirstOrDefault(v => v.EvaluatedInclude.Equals(item.EvaluatedInclude, StringComparison.OrdinalIgnoreCase))?.GetMetadata("Version");
            var chosen = RequestedVersion.Choose(item.GetMetadata("VersionOverride")?.EvaluatedValue, item.GetMetadata("Version")?.EvaluatedValue, central?.EvaluatedValue);
            var metadata = chosen?.Source switch
            {
                VersionSource.VersionOverride => item.GetMetadata("VersionOverride"),
                VersionSource.Version => item.GetMetadata("Version"),
                VersionSource.CentralPackageVersion => central,
                _ => null,
            };
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

    /// <summary>The project's BakeryBaseImage item (added by its base-image package's props once restored) and the range it asks for.</summary>
    // Kept out of line: Microsoft.Build types load only after the locator has registered the SDK's MSBuild.
    [MethodImpl(MethodImplOptions.NoInlining)]
    public static ((string Id, string Descriptor, string? Range)? Item, bool Restored) BaseImageOf(string project)
    {
        using var collection = new Microsoft.Build.Evaluation.ProjectCollection();
        var evaluated = collection.LoadProject(project);
        var item = evaluated.GetItems("BakeryBaseImage").FirstOrDefault();
        if (item is null) return (null, File.Exists(evaluated.GetPropertyValue("ProjectAssetsFile")));
        var descriptor = Path.GetFullPath(Path.Combine(evaluated.DirectoryPath, item.GetMetadataValue("Descriptor")));
        var range = References(evaluated).FirstOrDefault(r => r.PackageId.Equals(item.EvaluatedInclude, StringComparison.OrdinalIgnoreCase))?.VersionSpec;
        return ((item.EvaluatedInclude, descriptor, string.IsNullOrWhiteSpace(range) ? null : range), true);
    }
}
