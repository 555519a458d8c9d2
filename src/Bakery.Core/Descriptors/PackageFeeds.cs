using System.Xml.Linq;
using NuGet.Versioning;

namespace Bakery.Core.Descriptors;

/// <summary>
/// Finds the newest version of a base-image package in the folder feeds a project's nuget.config
/// files name (nearest first, as NuGet merges them; &lt;clear/&gt; stops the walk). HTTP feeds
/// are not queried: a bake must not depend on them.
/// </summary>
public static class PackageFeeds
{
    public static IReadOnlyList<string> FolderSources(string projectDirectory)
    {
        var sources = new List<string>();
        for (var dir = new DirectoryInfo(projectDirectory); dir is not null; dir = dir.Parent)
        {
            var config = dir.EnumerateFiles().FirstOrDefault(f => f.Name.Equals("nuget.config", StringComparison.OrdinalIgnoreCase));
            if (config is null) continue;
            XElement? packageSources;
            try { packageSources = XDocument.Load(config.FullName).Root?.Element("packageSources"); }
            catch (System.Xml.XmlException) { continue; }
            if (packageSources is null) continue;
            foreach (var add in packageSources.Elements("add"))
            {
                var value = (string?)add.Attribute("value");
                if (value is null || value.Contains("://", StringComparison.Ordinal)) continue;
                var path = Path.GetFullPath(Path.Combine(dir.FullName, value));
                if (Directory.Exists(path) && !sources.Contains(path)) sources.Add(path);
            }
            if (packageSources.Element("clear") is not null) break;
        }
        return sources;
    }

    /// <summary>The .nupkg of one version in the folders (flat or id/version/ layout); null when none holds it.</summary>
    public static string? Find(IEnumerable<string> folders, string packageId, NuGetVersion version)
    {
        var normalized = version.ToNormalizedString();
        var fileName = $"{packageId}.{normalized}.nupkg";
        return folders
            .SelectMany(feed => new[] { feed, Path.Combine(feed, packageId.ToLowerInvariant(), normalized.ToLowerInvariant()) })
            .Where(Directory.Exists)
            .SelectMany(folder => Directory.EnumerateFiles(folder, "*.nupkg"))
            .FirstOrDefault(f => Path.GetFileName(f).Equals(fileName, StringComparison.OrdinalIgnoreCase));
    }

    public static NuGetVersion? NewestVersion(IEnumerable<string> folders, string packageId) => Versions(folders, packageId).DefaultIfEmpty().Max();

    /// <summary>Every version of the package in the folders (flat feeds and id/version/ layouts).</summary>
    public static IReadOnlyList<NuGetVersion> Versions(IEnumerable<string> folders, string packageId)
    {
        var prefix = packageId + ".";
        var versions = new List<NuGetVersion>();
        foreach (var folder in folders)
        {
            var files = Directory.EnumerateFiles(folder, "*.nupkg")
                .Concat(Directory.Exists(Path.Combine(folder, packageId.ToLowerInvariant()))
                    ? Directory.EnumerateFiles(Path.Combine(folder, packageId.ToLowerInvariant()), "*.nupkg", SearchOption.AllDirectories)
                    : []);
            foreach (var file in files)
            {
                var name = Path.GetFileNameWithoutExtension(file);
                if (name.StartsWith(prefix, StringComparison.OrdinalIgnoreCase) && NuGetVersion.TryParse(name[prefix.Length..], out var version))
                    versions.Add(version);
            }
        }
        return versions.Distinct().ToList();
    }
}
