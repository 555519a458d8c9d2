using Bakery.Oci.Registry;
using NuGet.Versioning;

namespace Bakery.Core.Descriptors;

/// <summary>Versions of a base-image package that exist, and where they were seen.</summary>
public sealed record AvailableVersions(IReadOnlyList<NuGetVersion> Versions, string? SeenIn)
{
    public bool FromRegistryTags { get; init; }

    /// <summary>
    /// The versions in the folder feeds the project's nuget.config files name; when none holds the
    /// package (an HTTP feed, which a bake does not query) and we may go online, the versions the base
    /// image's repository is tagged with (10.0.4-build.2 is 10.0.4.2). A registry that cannot be read
    /// gives no versions and the reason as Problem.
    /// </summary>
    public static async Task<(AvailableVersions Found, string? Problem)> FindAsync(BaseImageDescriptor descriptor, string projectDirectory,
        bool online, RegistryClientOptions options, CancellationToken ct)
    {
        var folders = PackageFeeds.FolderSources(projectDirectory);
        var versions = PackageFeeds.Versions(folders, descriptor.Id);
        if (versions.Count > 0 || !online) return (new AvailableVersions(versions, "the folder feeds"), null);
        try
        {
            using var client = new RegistryClient(descriptor.Image.Registry, options);
            var tags = await client.ListTagsAsync(descriptor.Image.Repository, ct);
            return (new AvailableVersions(NewerVersions.FromTags(tags), $"the tags of {descriptor.Image.Registry}/{descriptor.Image.Repository}") { FromRegistryTags = true }, null);
        }
        catch (RegistryException e)
        {
            return (new AvailableVersions([], null), $"could not list the tags of {descriptor.Image.Repository} to look for newer versions: {e.Message}");
        }
    }
}
