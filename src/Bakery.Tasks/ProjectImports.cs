using System.Runtime.CompilerServices;
using Microsoft.Build.Framework;

namespace Bakery.Tasks;

/// <summary>
/// Every file the project's evaluation imported, for a bake plan's staleness check. MSBuild no longer
/// lists them in MSBuildAllProjects (it keeps only the newest since MSBuild 16), so the project is
/// evaluated again with the build's global properties and its import list read from the evaluation.
/// </summary>
internal static class ProjectImports
{
    [MethodImpl(MethodImplOptions.NoInlining)]
    public static IReadOnlyList<string> Of(string projectFile, IBuildEngine? engine)
    {
        var global = engine is IBuildEngine6 withProperties
            ? withProperties.GetGlobalProperties().ToDictionary(p => p.Key, p => p.Value, StringComparer.OrdinalIgnoreCase)
            : new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        using var collection = new Microsoft.Build.Evaluation.ProjectCollection(global);
        var project = collection.LoadProject(projectFile);
        return project.Imports.Select(i => i.ImportedProject.FullPath).Prepend(project.FullPath).Distinct(StringComparer.Ordinal).ToList();
    }
}
