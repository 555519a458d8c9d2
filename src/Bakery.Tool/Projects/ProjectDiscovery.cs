using System.Runtime.CompilerServices;
using Bakery.Tool.Commands;

namespace Bakery.Tool.Projects;

/// <summary>The projects a command looks at: a folder (searched, obj/ bin/ node_modules/ skipped), a .sln or .slnx (read by MSBuild's own solution reader), or one project file.</summary>
internal static class ProjectDiscovery
{
    private static readonly string[] SkippedFolders = ["obj", "bin", "node_modules"];

    /// <summary>Needs MSBuild registered through the locator when <paramref name="path"/> is a solution.</summary>
    public static List<string> Find(string path)
    {
        if (File.Exists(path) && (path.EndsWith(".sln", StringComparison.OrdinalIgnoreCase) || path.EndsWith(".slnx", StringComparison.OrdinalIgnoreCase)))
            return FromSolution(path);
        if (File.Exists(path)) return [path];
        if (!Directory.Exists(path)) throw new ToolException(ExitCodes.BadInput, $"'{path}' is neither a folder, a project nor a solution.");
        return Directory.EnumerateFiles(path, "*.csproj", SearchOption.AllDirectories)
            .Where(p => !Path.GetRelativePath(path, p).Split(Path.DirectorySeparatorChar).Any(part => SkippedFolders.Contains(part)))
            .Order(StringComparer.Ordinal).ToList();
    }

    // Kept out of line: Microsoft.Build types load only after the locator has registered the SDK's MSBuild.
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static List<string> FromSolution(string path)
    {
        Microsoft.Build.Construction.SolutionFile solution;
        try { solution = Microsoft.Build.Construction.SolutionFile.Parse(Path.GetFullPath(path)); }
        catch (Microsoft.Build.Exceptions.InvalidProjectFileException e)
        {
            throw new ToolException(ExitCodes.BadInput, $"'{path}' is not a solution MSBuild can read: {e.BaseMessage}");
        }
        return solution.ProjectsInOrder
            .Where(p => p.ProjectType != Microsoft.Build.Construction.SolutionProjectType.SolutionFolder && p.AbsolutePath.EndsWith("proj", StringComparison.OrdinalIgnoreCase))
            .Select(p => Path.GetFullPath(p.AbsolutePath.Replace('\\', Path.DirectorySeparatorChar)))
            .Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToList();
    }
}
