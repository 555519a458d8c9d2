using NuGet.Versioning;

namespace Bakery.Core.Descriptors;

/// <summary>BAKE110 when a newer version within the project's own range exists; a plain note when only one outside it does.</summary>
public static class NewerVersionAdvice
{
    public static (BakeryDiagnostic? Warning, string? Note) For(BaseImageDescriptor descriptor, string? rangeSpec, AvailableVersions available)
    {
        if (!NuGetVersion.TryParse(descriptor.Version, out var current)) return (null, null);
        var found = NewerVersions.Find(available.Versions, current, rangeSpec);
        if (found.NewestAllowed is { } newest)
        {
            var how = available.FromRegistryTags
                ? $"(Seen in {available.SeenIn}; the package comes from your feed.) Update the version, or run 'bakery outdated'."
                : found.Range is { IsFloating: true }
                ? $"The range floats, but restore kept {current.ToNormalizedString()}: run 'dotnet restore --force-evaluate' (lock files pin it until then)."
                : "Update the version, or run 'bakery outdated' / 'bakery remediate' to see every project on an old base image.";
            return (Messages.BAKE110(descriptor.Id, rangeSpec ?? "any", newest.ToNormalizedString(), current.ToNormalizedString(), how).Warning(), null);
        }
        return found.Newest is { } outside
            ? (null, $"{descriptor.Id} {outside.ToNormalizedString()} is available, outside this project's range '{rangeSpec}'.")
            : (null, null);
    }
}
