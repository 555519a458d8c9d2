using System.Globalization;
using Bakery.Core.Descriptors;
using Bakery.Oci.Model;
using Bakery.Oci.Registry;

namespace Bakery.Core.Lifecycle;

/// <summary>An image whose lifecycle is checked, and how to name it in a message.</summary>
public sealed record LifecycleSubject(ImageReference Image, string DisplayName, string? Successor = null);

/// <summary>Reads and writes lifecycle records in registries, and judges images by them.</summary>
public sealed class RegistryLifecycle(RegistryClientOptions options)
{
    public async Task<IReadOnlyList<LifecycleRecord>> HistoryAsync(ImageReference image, CancellationToken ct = default)
    {
        using var client = new RegistryClient(image.Registry, options);
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
    /// Judges every subject (a base image and its ancestors) by its newest record; the most severe
    /// state wins. Revoked is BAKE103, past end of life BAKE101, deprecated BAKE102, end of life
    /// within the warning window BAKE111.
    /// </summary>
    public async Task<LifecycleResult> EvaluateAsync(IReadOnlyList<LifecycleSubject> subjects, DateTimeOffset now, LifecyclePolicy policy, CancellationToken ct = default)
    {
        // The ancestors' records are independent reads: fetch them together, judge them nearest first.
        var histories = await Task.WhenAll(subjects.Select(s => HistoryAsync(s.Image, ct)));
        var worst = new LifecycleResult(LifecycleState.Supported, []);
        for (var i = 0; i < subjects.Count; i++)
        {
            if (histories[i].LastOrDefault() is not { } newest) continue;
            var result = Judge(subjects[i], newest, now, policy);
            if (result.State > worst.State) worst = result;
        }
        return worst;
    }

    public static LifecycleResult Judge(LifecycleSubject subject, LifecycleRecord record, DateTimeOffset now, LifecyclePolicy policy)
    {
        var successor = record.Successor ?? subject.Successor;
        var next = successor is null
            ? "Move to a newer base image, or ask the bakery that publishes it which image replaces it."
            : $"Its successor is {successor}: update your PackageReference to it.";
        var reason = string.IsNullOrWhiteSpace(record.Reason) ? "" : $" ({record.Reason})";
        if (record.State == LifecycleRecord.Revoked)
            return new(LifecycleState.Revoked, [BakeryDiagnostic.Error("BAKE103", subject.DisplayName, Date(record.Created) + reason, next)]);
        if (record.EndOfLife is { } eol && eol <= now)
            return new(LifecycleState.Expired, [BakeryDiagnostic.Error("BAKE101", subject.DisplayName, Date(eol) + reason, next)]);
        if (record.State == LifecycleRecord.Deprecated)
        {
            var when = Date(record.Created) + reason;
            return new(LifecycleState.Deprecated, [policy.DeprecatedIsWarning
                ? BakeryDiagnostic.Warning("BAKE102", subject.DisplayName, when, next)
                : BakeryDiagnostic.Error("BAKE102", subject.DisplayName, when, next)]);
        }
        if (record.EndOfLife is { } soon && soon - now <= TimeSpan.FromDays(policy.ExpiryWarningDays))
            return new(LifecycleState.ExpiringSoon, [BakeryDiagnostic.Warning("BAKE111", subject.DisplayName, Date(soon), (int)Math.Ceiling((soon - now).TotalDays), next)]);
        return new(LifecycleState.Supported, []);
    }

    /// <summary>The base image and every ancestor its package records, nearest first.</summary>
    public static IReadOnlyList<LifecycleSubject> SubjectsOf(BaseImageSelection selection)
    {
        var subjects = new List<LifecycleSubject>();
        var d = selection.Descriptor;
        subjects.Add(new LifecycleSubject(selection.Reference, d?.DisplayName ?? selection.Reference.ToString(), d?.Lifecycle.Successor));
        foreach (var ancestor in d?.Lineage ?? [])
        {
            if (!ImageReference.TryParse($"{ancestor.Repository}@{ancestor.Digest}", out var reference, out _)) continue;
            var name = ancestor.PackageId is null ? reference!.ToString() : $"{ancestor.PackageId} {ancestor.PackageVersion} ({reference})";
            subjects.Add(new LifecycleSubject(reference!, $"{name}, an ancestor of {d!.Id} {d.Version},"));
        }
        return subjects;
    }

    private static Digest Pinned(ImageReference image) =>
        image.Digest ?? throw new ArgumentException($"{image} is not pinned by digest; lifecycle records refer to a digest.");

    private static string Date(DateTimeOffset value) => value.UtcDateTime.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);
}
