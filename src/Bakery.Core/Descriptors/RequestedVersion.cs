namespace Bakery.Core.Descriptors;

/// <summary>Which metadata states the version a project asks for.</summary>
public enum VersionSource { VersionOverride, Version, CentralPackageVersion }

/// <summary>
/// The one rule for "which version of a package does this project ask for", as NuGet applies it:
/// a PackageReference's VersionOverride, else its Version, else the central PackageVersion of the
/// same id (central package management). The MSBuild task feeds it items; the tool evaluated projects.
/// </summary>
public static class RequestedVersion
{
    /// <returns>The winning source and its version (range) text, or null when the project states none.</returns>
    public static (VersionSource Source, string Spec)? Choose(string? versionOverride, string? version, string? centralVersion)
    {
        if (!string.IsNullOrWhiteSpace(versionOverride)) return (VersionSource.VersionOverride, versionOverride.Trim());
        if (!string.IsNullOrWhiteSpace(version)) return (VersionSource.Version, version.Trim());
        if (!string.IsNullOrWhiteSpace(centralVersion)) return (VersionSource.CentralPackageVersion, centralVersion.Trim());
        return null;
    }

    /// <summary>The range a project asks for <paramref name="packageId"/>, from its PackageReference and PackageVersion items (id, metadata).</summary>
    public static string? Of(string packageId, IEnumerable<(string Id, Func<string, string?> Metadata)> packageReferences, IEnumerable<(string Id, Func<string, string?> Metadata)> packageVersions)
    {
        var reference = packageReferences.FirstOrDefault(r => r.Id.Equals(packageId, StringComparison.OrdinalIgnoreCase));
        var central = packageVersions.FirstOrDefault(v => v.Id.Equals(packageId, StringComparison.OrdinalIgnoreCase));
        return Choose(reference.Metadata?.Invoke("VersionOverride"), reference.Metadata?.Invoke("Version"), central.Metadata?.Invoke("Version"))?.Spec;
    }
}
