using Bakery.Core.Descriptors;

namespace Bakery.Core.Rebasing;

/// <summary>
/// Whether a new base continues the line of an image's old one: another version of the same
/// base-image package, or the package the old one's lifecycle names as its successor (in its
/// descriptor or a registry lifecycle record). An image baked on an upstream or an untrusted base
/// stays on the same repository.
/// </summary>
internal static class BaseLine
{
    /// <param name="oldBase">The image's nearest lineage entry: the base it was baked on.</param>
    /// <param name="successors">Successors named for the old base ("Id Version", "Id/Version" or "Id").</param>
    /// <returns>Why the new base is not of the line; null when it is.</returns>
    public static string? WhyNot(LineageEntry oldBase, BaseImageSelection onto, IEnumerable<string> successors)
    {
        var ontoRepository = $"{onto.Reference.Registry}/{onto.Reference.Repository}";
        if (oldBase.PackageId is not { Length: > 0 } oldId)
        {
            if (onto.Descriptor is not null) return $"it was baked on the image {oldBase.Repository}, not on a base-image package";
            return string.Equals(oldBase.Repository, ontoRepository, StringComparison.OrdinalIgnoreCase)
                ? null
                : $"it was baked on {oldBase.Repository}, and {ontoRepository} is another repository";
        }
        if (onto.Descriptor is not { } descriptor) return $"it was baked on the package {oldId}, and {ontoRepository} is not pinned by a version of it";
        if (descriptor.Id.Equals(oldId, StringComparison.OrdinalIgnoreCase)) return null;
        var named = successors.Select(SuccessorId).Where(id => id.Length > 0).Distinct(StringComparer.OrdinalIgnoreCase).ToList();
        if (named.Contains(descriptor.Id, StringComparer.OrdinalIgnoreCase)) return null;
        return named.Count == 0
            ? $"{descriptor.Id} is another package than {oldId} {oldBase.PackageVersion}, which names no successor"
            : $"{descriptor.Id} is another package than {oldId} {oldBase.PackageVersion}, whose successor is {string.Join(" or ", named)}";
    }

    /// <summary>The package id of a successor as lifecycle records and descriptors write it.</summary>
    public static string SuccessorId(string successor)
    {
        var text = successor.Trim();
        var end = text.IndexOfAny([' ', '/', '@', ':']);
        return end < 0 ? text : text[..end];
    }
}
