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
            var byDigest = new Dictionary<Digest, (List<string> Tags, ImageConfig? Config)>();
            foreach (var tag in await client.ListTagsAsync(repository, ct))
            {
                if (tag.StartsWith("sha256-", StringComparison.Ordinal)) continue;
                var digest = (await client.GetManifestAsync(repository, tag, ct)).Digest;
                if (!byDigest.TryGetValue(digest, out var entry))
                {
                    ImageConfig? config;
                    try { config = ImageConfig.Parse((await client.GetImageAsync(repository, digest.ToString(), ct: ct)).Config); }
                    catch (RegistryException e) when (e.Failure is RegistryFailure.NotAnImage or RegistryFailure.NoMatchingPlatform) { config = null; }
                    byDigest[digest] = entry = ([], config);
                }
                entry.Tags.Add(tag);
            }
            foreach (var (digest, (tags, config)) in byDigest)
                if (config is not null && LineageLabel.IsPresent(config.Labels))
                    images.Add(new RegistryImage($"{registry}/{repository}", digest.ToString(), tags.Order(StringComparer.Ordinal).ToList(), LineageLabel.Read(config.Labels)));
        }
        return images;
    }
}
