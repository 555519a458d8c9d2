using Bakery.Oci.Model;

namespace Bakery.Oci.Registry;

/// <summary>
/// An image as fetched from a registry, every part checked against its digest: the index when the
/// reference names one, the image manifest (for the platform asked for), and the config.
/// </summary>
public sealed record FetchedImage(string Registry, string Repository, FetchedManifest? Index, FetchedManifest Manifest, ImageManifest ParsedManifest,
    byte[] Config, Platform? Platform)
{
    /// <summary>The image manifest's digest (the platform image's, for an index).</summary>
    public Digest Digest => Manifest.Digest;

    /// <summary>What the reference resolved to: the index's digest, or the manifest's.</summary>
    public Digest ReferenceDigest => Index?.Digest ?? Manifest.Digest;

    public string MediaType => Manifest.MediaType;

    public Digest ConfigDigest => ParsedManifest.Config!.ParsedDigest;

    public IReadOnlyList<OciDescriptor> Layers => ParsedManifest.Layers ?? [];
}

public static class RegistryImages
{
    /// <summary>
    /// Fetches an image in one operation: the manifest the reference names; for an index, the image for
    /// <paramref name="platform"/> (its only image when no platform is given); then the config. A manifest
    /// that is no image, or an index without the platform, is a <see cref="RegistryException"/> saying so.
    /// </summary>
    public static async Task<FetchedImage> GetImageAsync(this IRegistryClient client, string repository, string reference, Platform? platform = null,
        CancellationToken ct = default) =>
        await client.ResolveImageAsync(repository, reference, await client.GetManifestAsync(repository, reference, ct), platform, ct);

    /// <summary>
    /// The image behind <paramref name="fetched"/>, a manifest already fetched for <paramref name="reference"/>:
    /// itself, or for an index the entry for <paramref name="platform"/> (the exact variant first, then
    /// any variant of that OS and architecture), with its config.
    /// </summary>
    public static async Task<FetchedImage> ResolveImageAsync(this IRegistryClient client, string repository, string reference, FetchedManifest fetched,
        Platform? platform = null, CancellationToken ct = default)
    {
        var manifest = Parse(client, repository, fetched);
        FetchedManifest? index = null;
        if (manifest.IsIndex(fetched.MediaType))
        {
            index = fetched;
            var images = manifest.ImageEntries;
            var match = platform is null
                ? images.Count == 1 ? images[0] : null
                : manifest.ImageFor(platform);
            if (match is null)
            {
                var available = string.Join(", ", images.Select(m => m.Platform?.ToString() ?? "unknown"));
                throw new RegistryException(RegistryFailure.NoMatchingPlatform, client.Registry, repository,
                    platform is null
                        ? $"{client.Registry}/{repository}{Separator(reference)}{reference} is an index of {images.Count} images ({available}): say which platform to use."
                        : $"{client.Registry}/{repository}{Separator(reference)}{reference} has no image for {platform} (it has: {(available.Length > 0 ? available : "none")}).");
            }
            fetched = await client.GetManifestAsync(repository, match.Digest, ct);
            manifest = Parse(client, repository, fetched);
            platform = match.Platform ?? platform;
        }
        var mediaType = manifest.MediaType ?? fetched.MediaType;
        if (manifest.Config is null || manifest.Layers is null || !MediaTypes.IsManifest(mediaType))
            throw new RegistryException(RegistryFailure.NotAnImage, client.Registry, repository,
                $"{client.Registry}/{repository}{Separator(reference)}{reference} is not an image manifest (media type {mediaType}).");
        var config = await client.GetBlobAsync(repository, manifest.Config.ParsedDigest, ct);
        return new FetchedImage(client.Registry, repository, index, fetched, manifest with { MediaType = mediaType }, config, platform);
    }

    private static string Separator(string reference) => Digest.TryParse(reference, out _) ? "@" : ":";

    private static ImageManifest Parse(IRegistryClient client, string repository, FetchedManifest fetched)
    {
        try
        {
            return fetched.Parse();
        }
        catch (Exception e) when (e is System.Text.Json.JsonException or FormatException)
        {
            throw new RegistryException(RegistryFailure.NotAnImage, client.Registry, repository,
                $"The manifest {fetched.Digest} in {client.Registry}/{repository} is not valid JSON ({e.Message}).", null, e);
        }
    }
}
