using Bakery.Core.Descriptors;
using Bakery.Oci.Model;
using Bakery.Oci.Registry;

namespace Bakery.Core.Remediation;

/// <summary>
/// Every image in a registry that carries Bakery's lineage label, with its tags: what remediation
/// looks through to find the images built on a replaced base. Referrer tags and artifacts are skipped.
/// </summary>
public static class RegistryLineageScan
{
    public static async Task<IReadOnlyList<RegistryImage>> ScanAsync(string registry, RegistryClientOptions options, CancellationToken ct)
    {
        using var client = new RegistryClient(registry, options);
        var images = new List<RegistryImage>();
        foreach (var repository in await client.ListRepositoriesAsync(ct))
        {
            var byDigest = new Dictionary<Digest, (List<string> Tags, ImageManifest Manifest)>();
            foreach (var tag in await client.ListTagsAsync(repository, ct))
            {
                if (tag.StartsWith("sha256-", StringComparison.Ordinal)) continue;
                var fetched = await client.GetManifestAsync(repository, tag, ct);
                if (!byDigest.TryGetValue(fetched.Digest, out var entry)) byDigest[fetched.Digest] = entry = ([], fetched.Parse());
                entry.Tags.Add(tag);
            }
            foreach (var (digest, (tags, manifest)) in byDigest)
            {
                if (manifest.Config is null && manifest.Manifests is not null)
                {
                    if (await IndexLineageAsync(client, repository, manifest, ct) is { } lineage)
                        images.Add(new RegistryImage($"{registry}/{repository}", digest.ToString(), tags.Order(StringComparer.Ordinal).ToList(), lineage));
                    continue;
                }
                if (manifest.Config is null || manifest.ArtifactType is not null || !MediaTypes.IsManifest(manifest.MediaType)) continue;
                if (manifest.Config.MediaType is not (MediaTypes.OciConfig or MediaTypes.DockerConfig)) continue;
                var config = ImageConfig.Parse(await client.GetBlobAsync(repository, manifest.Config.ParsedDigest, ct));
                if (!LineageLabel.IsPresent(config.Labels)) continue;
                images.Add(new RegistryImage($"{registry}/{repository}", digest.ToString(), tags.Order(StringComparer.Ordinal).ToList(), LineageLabel.Read(config.Labels)));
            }
        }
        return images;
    }

    /// <summary>
    /// An index is one image: its lineage is its first labelled platform image's, with each ancestor taken
    /// from an index named by that index (the platform images' own digests differ, the index is shared).
    /// </summary>
    private static async Task<IReadOnlyList<LineageEntry>?> IndexLineageAsync(RegistryClient client, string repository, ImageManifest index, CancellationToken ct)
    {
        foreach (var entry in (index.Manifests ?? []).Where(m => MediaTypes.IsManifest(m.MediaType) && m.ArtifactType is null && m.Platform is { Os: not "unknown" }))
        {
            var image = (await client.GetManifestAsync(repository, entry.Digest, ct)).Parse();
            if (image.Config is null) continue;
            var config = ImageConfig.Parse(await client.GetBlobAsync(repository, image.Config.ParsedDigest, ct));
            if (!LineageLabel.IsPresent(config.Labels)) continue;
            return LineageLabel.Read(config.Labels).Select(a => a.Index is { } shared ? a with { Digest = shared, Index = null } : a).ToList();
        }
        return null;
    }
}
