using Bakery.Oci.Model;
using Bakery.Oci.Registry;

namespace Bakery.Core.Baking;

/// <summary>
/// The pinned base of a bake, fetched through the one image fetch (<see cref="RegistryImages.GetImageAsync"/>)
/// with manifests and configs kept with the bake's blobs: for an index, the image for the platform asked
/// for, which must be the one the base's package records for that platform (BAKE215); for a single
/// image, the image itself.
/// </summary>
internal static class BaseImageFetch
{
    public sealed record Fetched(ImageManifest Manifest, Digest Digest, byte[] Config, Digest? IndexDigest);

    public static async Task<Fetched> FetchAsync(RegistryClient client, BakeRequest request, string blobDirectory, CancellationToken ct)
    {
        var baseRef = request.BaseImage.Reference;
        var pinned = Pinned(baseRef);
        var wanted = request.Platform ?? Platform.LinuxAmd64;
        using var reads = new PinnedReadCache(client, blobDirectory);
        try
        {
            var image = await reads.GetImageAsync(baseRef.Repository, pinned, wanted, ct);
            if (image.Index is not null && request.BaseImage.Descriptor?.PlatformImage(wanted) is { } recorded && recorded.Digest != image.Digest.ToString())
                throw Messages.BAKE215(baseRef, wanted, image.Digest, recorded.Digest).Exception();
            return new Fetched(image.ParsedManifest, image.Digest, image.Config, image.Index?.Digest);
        }
        catch (RegistryException e) when (e.Failure == RegistryFailure.NoMatchingPlatform)
        {
            throw Messages.BAKE206(baseRef, wanted, string.Join(", ", await PlatformsAsync(client, request, blobDirectory, ct) ?? [])).Exception();
        }
        catch (RegistryException e) when (e.Failure == RegistryFailure.NotAnImage)
        {
            throw Messages.BAKE208(baseRef, e.Message).Exception();
        }
        catch (RegistryException e)
        {
            throw RegistryErrors.WhileResolvingBase(e, baseRef.ToString(), pinned);
        }
    }

    /// <summary>The platforms the base has images for: an index's (attestations and artifacts left out), or null for a single image.</summary>
    public static async Task<IReadOnlyList<Platform>?> PlatformsAsync(RegistryClient client, BakeRequest request, string blobDirectory, CancellationToken ct)
    {
        var baseRef = request.BaseImage.Reference;
        using var reads = new PinnedReadCache(client, blobDirectory);
        try
        {
            var fetched = await reads.GetManifestAsync(baseRef.Repository, Pinned(baseRef), ct);
            var manifest = fetched.Parse();
            return manifest.IsIndex(fetched.MediaType) ? manifest.Platforms : null;
        }
        catch (RegistryException e)
        {
            throw RegistryErrors.WhileResolvingBase(e, baseRef.ToString(), Pinned(baseRef));
        }
    }

    private static string Pinned(ImageReference reference) => reference.Digest?.ToString() ?? reference.Reference;
}
