using Bakery.Oci.Model;
using Bakery.Oci.Registry;

namespace Bakery.Core.Baking;

/// <summary>
/// The pinned base of a bake, fetched by digest (manifests and configs are kept with the bake's blobs):
/// for an index, the image for the platform asked for, which must be the one the base's package
/// records for that platform (BAKE215); for a single image, the image itself.
/// </summary>
internal static class BaseImageFetch
{
    public sealed record Fetched(ImageManifest Manifest, Digest Digest, byte[] Config, Digest? IndexDigest);

    public static async Task<Fetched> FetchAsync(RegistryClient client, BakeRequest request, string blobDirectory, CancellationToken ct)
    {
        var baseRef = request.BaseImage.Reference;
        var pinned = baseRef.Digest?.ToString() ?? baseRef.Reference;
        try
        {
            var pinnedContent = new PinnedContent(client, baseRef.Repository, blobDirectory);
            var fetched = await TopAsync(client, pinnedContent, baseRef, ct);
            var manifest = fetched.Parse();
            var digest = fetched.Digest;
            Digest? index = null;
            if (IsIndex(fetched, manifest))
            {
                index = digest;
                var wanted = request.Platform ?? Platform.LinuxAmd64;
                var match = manifest.ManifestFor(wanted)
                    ?? throw Messages.BAKE206(baseRef, wanted, string.Join(", ", manifest.Platforms)).Exception();
                if (request.BaseImage.Descriptor?.PlatformImage(wanted) is { } recorded && recorded.Digest != match.Digest)
                    throw Messages.BAKE215(baseRef, wanted, match.Digest, recorded.Digest).Exception();
                var child = await pinnedContent.ManifestAsync(match.ParsedDigest, ct);
                manifest = child.Parse();
                digest = child.Digest;
            }
            if (manifest.Config is null || !MediaTypes.IsManifest(manifest.MediaType ?? fetched.MediaType))
                throw Messages.BAKE208(baseRef, $"its manifest has media type '{manifest.MediaType ?? fetched.MediaType}', which is not an image manifest").Exception();
            var config = await pinnedContent.BlobAsync(manifest.Config.ParsedDigest, ct);
            return new Fetched(manifest with { MediaType = manifest.MediaType ?? fetched.MediaType }, digest, config, index);
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
        try
        {
            var fetched = await TopAsync(client, new PinnedContent(client, baseRef.Repository, blobDirectory), baseRef, ct);
            var manifest = fetched.Parse();
            if (!IsIndex(fetched, manifest)) return null;
            return (manifest.Manifests ?? []).Where(m => MediaTypes.IsManifest(m.MediaType) && m.ArtifactType is null)
                .Select(m => m.Platform).OfType<Platform>().Where(p => p.Os != "unknown").ToList();
        }
        catch (RegistryException e)
        {
            throw RegistryErrors.WhileResolvingBase(e, baseRef.ToString(), baseRef.Digest?.ToString() ?? baseRef.Reference);
        }
    }

    private static Task<FetchedManifest> TopAsync(RegistryClient client, PinnedContent pinned, ImageReference baseRef, CancellationToken ct) =>
        baseRef.Digest is { } byDigest ? pinned.ManifestAsync(byDigest, ct) : client.GetManifestAsync(baseRef.Repository, baseRef.Reference, ct);

    private static bool IsIndex(FetchedManifest fetched, ImageManifest manifest) =>
        MediaTypes.IsIndex(fetched.MediaType) || (manifest.Manifests is not null && manifest.Config is null);
}
