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
        var referrers = await client.GetReferrersAsync(image.Repository, Pinned(image), LifecycleRecord.ArtifactType, ct);
        return referrers.Select(LifecycleRecord.FromDescriptor).OfType<LifecycleRecord>()
            .OrderBy(r => r.Created).ThenBy(r => r.Digest, StringComparer.Ordinal).ToList();
    }

    /// <summary>The record in force (the newest) for each image, read together; null where an image has none.</summary>
    public async Task<IReadOnlyList<LifecycleRecord?>> NewestAsync(IEnumerable<ImageReference> images, CancellationToken ct = default)
    {
        var histories = await Task.WhenAll(images.Select(i => HistoryAsync(i, ct)));
        return histories.Select(h => h.LastOrDefault()).ToList();
    }

    public async Task<LifecycleRecord> WriteAsync(ImageReference image, LifecycleRecord record, CancellationToken ct = default)
    {
        using var client = new RegistryClient(image.Registry, options with { Role = RegistryRole.Push });
        var manifest = await client.GetManifestAsync(image.Repository, Pinned(image).ToString(), ct);
        var subject = new OciDescriptor { MediaType = manifest.MediaType, Digest = manifest.Digest.ToString(), Size = manifest.Bytes.Length };
        var pushed = await client.PushReferrerAsync(image.Repository, subject, LifecycleRecord.ArtifactType, record.ToAnnotations(), ct);
        return record with { Digest = pushed.Digest };
    }

    /// <summary>The base image and every ancestor its package records, nearest first.</summary>
    public static IReadOnlyList<LifecycleSubject> SubjectsOf(BaseImageSelection selection)
    {
        var d = selection.Descriptor;
        var subjects = new List<LifecycleSubject>
        {
            d is null ? LifecycleSubject.Of(selection.Reference) : LifecycleSubject.Of(d) with { Image = selection.Reference },
        };
        foreach (var ancestor in d?.Lineage ?? [])
        {
            if (!ImageReference.TryParse($"{ancestor.Repository}@{ancestor.Digest}", out var reference, out _)) continue;
            var name = ancestor.PackageId is null ? reference!.ToString() : $"{ancestor.PackageId} {ancestor.PackageVersion} ({reference})";
            subjects.Add(new LifecycleSubject(reference!, $"{name}, an ancestor of {d!.Id} {d.Version},", ancestor.PackageId, AncestorOf: d));
        }
        return subjects;
    }

    private static Digest Pinned(ImageReference image) =>
        image.Digest ?? throw new ArgumentException($"{image} is not pinned by digest; lifecycle records refer to a digest.");
}
