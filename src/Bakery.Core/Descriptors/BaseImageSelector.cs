using Bakery.Oci.Model;

namespace Bakery.Core.Descriptors;

/// <summary>A <c>BakeryBaseImage</c> item as added by a base-image package's build/&lt;id&gt;.props.</summary>
public sealed record BaseImageItem(string PackageId, string? Version, string DescriptorPath);

/// <summary>
/// The base image a bake starts from: from a package descriptor, a pinned upstream (base-image
/// projects of a global bakery), or knowingly untrusted.
/// </summary>
public sealed record BaseImageSelection(ImageReference Reference, BaseImageDescriptor? Descriptor, bool IsUpstream = false)
{
    public bool IsTrusted => Descriptor is not null || IsUpstream;
}

public static class BaseImageSelector
{
    /// <param name="containerBaseImage">ContainerBaseImage as the project author set it (before the SDK's own defaulting).</param>
    public static BaseImageSelection Select(IReadOnlyList<BaseImageItem> items, string? containerBaseImage, bool allowUntrusted,
        IReadOnlyList<string>? upstreams = null)
    {
        if (upstreams is { Count: > 0 }) return SelectUpstream(upstreams, items);

        var distinct = items
            .GroupBy(i => i.PackageId, StringComparer.OrdinalIgnoreCase)
            .Select(g => g.First())
            .ToList();

        if (!string.IsNullOrWhiteSpace(containerBaseImage))
        {
            if (distinct.Count == 1)
            {
                var descriptor = DescriptorReader.Load(distinct[0].DescriptorPath, Describe(distinct[0]));
                if (SameImage(containerBaseImage, descriptor)) return FromDescriptor(descriptor);
            }
            if (!allowUntrusted) throw Messages.BAKE205(containerBaseImage).Exception();
            if (!ImageReference.TryParse(containerBaseImage, out var reference, out var error))
                throw Messages.BAKE208(containerBaseImage, error).Exception();
            return new BaseImageSelection(reference!, null);
        }

        return distinct.Count switch
        {
            0 => throw Messages.BAKE201().Exception(),
            > 1 => throw Messages.BAKE202(string.Join(", ", distinct.Select(Describe))).Exception(),
            _ => FromDescriptor(DescriptorReader.Load(distinct[0].DescriptorPath, Describe(distinct[0]))),
        };
    }

    /// <summary>A global bakery starts from exactly one upstream image, pinned by digest.</summary>
    private static BaseImageSelection SelectUpstream(IReadOnlyList<string> upstreams, IReadOnlyList<BaseImageItem> items)
    {
        if (upstreams.Count > 1 || items.Count > 0)
            throw Messages.BAKE202(string.Join(", ", upstreams.Concat(items.Select(Describe)))).Exception();
        if (!ImageReference.TryParse(upstreams[0], out var reference, out var error))
            throw Messages.BAKE208(upstreams[0], error).Exception();
        if (!reference!.IsPinned) throw Messages.BAKE209(upstreams[0]).Exception();
        return new BaseImageSelection(reference, null, IsUpstream: true);
    }

    /// <summary>The base a package pins: its registry (lowercased, as references are compared), repository and digest.</summary>
    public static BaseImageSelection FromDescriptor(BaseImageDescriptor d) =>
        new(new ImageReference(d.Image.Registry.ToLowerInvariant(), d.Image.Repository, null, Digest.Parse(d.Image.Digest)), d);

    private static bool SameImage(string reference, BaseImageDescriptor descriptor) =>
        ImageReference.TryParse(reference, out var parsed, out _)
        && parsed!.Digest?.ToString() == descriptor.Image.Digest
        && string.Equals(parsed.Registry, descriptor.Image.Registry, StringComparison.OrdinalIgnoreCase)
        && parsed.Repository == descriptor.Image.Repository;

    private static string Describe(BaseImageItem item) =>
        string.IsNullOrEmpty(item.Version) ? item.PackageId : $"{item.PackageId} {item.Version}";
}
