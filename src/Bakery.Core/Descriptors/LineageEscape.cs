using NuGet.Versioning;

namespace Bakery.Core.Descriptors;

/// <summary>
/// The way off a bad ancestor for a project: the lowest newer version of the base-image package it
/// references whose lineage no longer runs through that ancestor, from the folder feeds its
/// nuget.config names (each candidate's descriptor is read from its .nupkg).
/// </summary>
public static class LineageEscape
{
    public static string? NewerVersionWithout(BaseImageDescriptor referenced, string ancestorDigest, string projectDirectory)
    {
        if (!NuGetVersion.TryParse(referenced.Version, out var current)) return null;
        var folders = PackageFeeds.FolderSources(projectDirectory);
        foreach (var version in PackageFeeds.Versions(folders, referenced.Id).Where(v => v > current).Order())
        {
            var nupkg = PackageFeeds.Find(folders, referenced.Id, version);
            if (nupkg is null) continue;
            BaseImageDescriptor? candidate;
            try { candidate = PackageLayout.ReadFromNupkg(nupkg, $"{referenced.Id} {version.ToNormalizedString()}"); }
            catch (BakeryException) { continue; }
            if (candidate is not null && !candidate.AncestryDigests.Contains(ancestorDigest)) return candidate.Version;
        }
        return null;
    }
}
