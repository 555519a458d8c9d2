using Bakery.Core.Descriptors;
using Bakery.Oci.Model;
using Bakery.Oci.Registry;

namespace Bakery.Core.Lifecycle;

/// <summary>Reads and writes lifecycle records in registries; <see cref="LifecycleJudge"/> decides what they mean.</summary>
public sealed class RegistryLifecycle(RegistryClientOptions options)
{
    public async Task<IReadOnlyList<LifecycleRecord>> HistoryAsync(ImageReference image, CancellationToken ct = default)
    {
        using var client = new RegistryClient(image.Registry, options);
        return await HistoryAsync(client, image, ct);
    }

    /// <summary>The record in force (the newest) for each image, read together (one client per registry); null where an image has none.</summary>
    public async Task<IReadOnlyList<LifecycleRecord?>> NewestAsync(IEnumerable<ImageReference> images, CancellationToken ct = default)
    {
        var list = images.ToList();
        var clients = list.Select(i => i.Registry).Distinct(StringComparer.OrdinalIgnoreCase)
            .ToDictionary(r => r, r => new RegistryClient(r, options), StringComparer.OrdinalIgnoreCase);
        try
        {
            var histories = await Task.WhenAll(list.Select(i => HistoryAsync(clients[i.Registry], i, ct)));
            return histories.Select(h => h.LastOrDefault()).ToList();
        }
        finally
        {
            foreach (var client in clients.Values) client.Dispose();
        }
    }

    private static async Task<IReadOnlyList<LifecycleRecord>> HistoryAsync(RegistryClient client, ImageReference image, CancellationToken ct)
    {
        var referrers = await client.GetReferrersAsync(image.Repository, Pinned(image), LifecycleRecord.ArtifactType, ct);
        return referrers.Select(LifecycleRecord.FromDescriptor).OfType<LifecycleRecord>()
            .OrderBy(r => r.Created).ThenBy(r => r.Digest, StringComparer.Ordinal).ToList();
    }

    public async Task<LifecycleRecord> WriteAsync(ImageReference image, LifecycleRecord record, CancellationToken ct = default)
    {
        using var client = new RegistryClient(image.Registry, options with { Role = RegistryRole.Push });
        var manifest = await client.GetManifestAsync(image.Repository, Pinned(image).ToString(), ct);
        var subject = new OciDescriptor { MediaType = manifest.MediaType, Digest = manifest.Digest.ToString(), Size = manifest.Bytes.Length };
        var pushed = await client.PushReferrerAsync(image.Repository, subject, LifecycleRecord.ArtifactType, record.ToAnnotations(), ct);
        return record with { Digest = pushed.Digest };
    }

    /// <summary>
    /// The base image and every ancestor its package records, nearest first. For a package that pins an
    /// index, the index and then the image of each platform in <paramref name="platforms"/> (null or empty:
    /// every platform it has): a record on the index applies to all of them, a record on one platform's
    /// image to that platform; so for each ancestor, its index and its image for each of those platforms.
    /// </summary>
    public static IReadOnlyList<LifecycleSubject> SubjectsOf(BaseImageSelection selection, IReadOnlyList<Platform>? platforms = null)
    {
        var d = selection.Descriptor;
        var subjects = new List<LifecycleSubject>
        {
            d is null ? LifecycleSubject.Of(selection.Reference) : LifecycleSubject.Of(d) with { Image = selection.Reference },
        };
        if (d is null) return subjects;
        var scope = d.IsIndex
            ? d.Image.Platforms!.Where(p => platforms is not { Count: > 0 } || platforms.Any(wanted => wanted.Matches(p.Platform!))).ToList()
            : [];
        foreach (var image in scope)
            if (ImageReference.TryParse($"{d.Image.Registry}/{d.Image.Repository}@{image.Digest}", out var reference, out _))
                subjects.Add(LifecycleSubject.Of(d) with { Image = reference!, DisplayName = $"{d.Id} {d.Version} ({reference}) for {image.Platform}", Key = d.Image.Digest });

        var seen = subjects.Select(s => s.Image.Digest?.ToString()).ToHashSet(StringComparer.Ordinal);
        void Ancestor(LineageEntry ancestor, Platform? platform)
        {
            if (!seen.Add(ancestor.Digest) || !ImageReference.TryParse($"{ancestor.Repository}@{ancestor.Digest}", out var reference, out _)) return;
            var name = ancestor.PackageId is null ? reference!.ToString() : $"{ancestor.PackageId} {ancestor.PackageVersion} ({reference})";
            subjects.Add(new LifecycleSubject(reference!, $"{name}{(platform is null ? "" : $" for {platform}")}, an ancestor of {d.Id} {d.Version},", ancestor.PackageId, AncestorOf: d)
            {
                Key = ancestor.Index,
            });
        }
        foreach (var ancestor in d.Lineage) Ancestor(ancestor, null);
        foreach (var image in scope)
            foreach (var ancestor in image.Lineage)
            {
                // An ancestor's index first (its records apply to every platform), then its image for this platform.
                if (ancestor.Index is { } index) Ancestor(ancestor with { Digest = index, Index = null }, null);
                Ancestor(ancestor, ancestor.Index is null ? null : image.Platform);
            }
        return subjects;
    }

    private static Digest Pinned(ImageReference image) =>
        image.Digest ?? throw new ArgumentException($"{image} is not pinned by digest; lifecycle records refer to a digest.");
}
