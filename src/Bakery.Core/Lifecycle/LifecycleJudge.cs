using System.Globalization;
using Bakery.Core.Descriptors;

namespace Bakery.Core.Lifecycle;

/// <summary>Supported &lt; ExpiringSoon &lt; Deprecated &lt; Expired &lt; Revoked: a later state is more severe.</summary>
public enum LifecycleState { Supported, ExpiringSoon, Deprecated, Expired, Revoked }

public sealed record LifecyclePolicy
{
    /// <summary>BakeryDeprecatedBaseImage=Warning: deprecated warns instead of failing.</summary>
    public bool DeprecatedIsWarning { get; init; }

    public int ExpiryWarningDays { get; init; } = 30;
}

/// <summary>The state a bake goes ahead with (the most severe of its subjects) and one diagnostic per subject not in good standing.</summary>
public sealed record LifecycleResult(LifecycleState State, IReadOnlyList<BakeryDiagnostic> Diagnostics)
{
    public static readonly LifecycleResult Supported = new(LifecycleState.Supported, []);

    /// <summary>The state of each image judged (by digest), for pictures of a lineage; images not listed are in good standing.</summary>
    public IReadOnlyDictionary<string, LifecycleState> ByImage { get; init; } = new Dictionary<string, LifecycleState>();

    public bool HasErrors => Diagnostics.Any(d => d.IsError);
}

/// <summary>
/// An image whose lifecycle is judged and how messages name it. <paramref name="PackageId"/> and
/// <paramref name="Successor"/> come from the package that describes it; <paramref name="AncestorOf"/>
/// is the base-image package the project references when this image is one of that package's ancestors.
/// </summary>
public sealed record LifecycleSubject(Oci.Model.ImageReference Image, string DisplayName, string? PackageId = null, string? Successor = null,
    BaseImageDescriptor? AncestorOf = null)
{
    /// <summary>For an ancestor: whether the feeds were searched for a way off it, and the version of <see cref="AncestorOf"/> found (null: none yet).</summary>
    public (bool Searched, string? Version) Escape { get; init; }

    /// <summary>
    /// The digest results are filed under (<see cref="LifecycleResult.ByImage"/>): a platform image of an
    /// index is the same image as its index there; null means the image's own digest.
    /// </summary>
    public string? Key { get; init; }

    public static LifecycleSubject Of(BaseImageDescriptor descriptor) =>
        new(Oci.Model.ImageReference.Parse(descriptor.PinnedReference), descriptor.DisplayName, descriptor.Id, descriptor.Lifecycle.Successor);

    public static LifecycleSubject Of(Oci.Model.ImageReference image) => new(image, image.ToString());
}

/// <summary>
/// The one place that decides an image's lifecycle: from the dates its package records and the newest
/// lifecycle record in its registry. Revoked beats expired beats deprecated beats expiring soon; only
/// the most severe state of an image is reported, with what to do next.
/// </summary>
public static class LifecycleJudge
{
    /// <param name="dates">The package's lifecycle dates, when a package describes the image.</param>
    /// <param name="record">The newest registry record, when there is one.</param>
    public static LifecycleResult Judge(LifecycleSubject subject, DescriptorLifecycle? dates, LifecycleRecord? record, DateTimeOffset now, LifecyclePolicy policy)
    {
        var successor = record?.Successor ?? subject.Successor;
        var next = NextStep(subject, successor);
        var reason = string.IsNullOrWhiteSpace(record?.Reason) ? "" : $" ({record!.Reason})";
        var name = subject.DisplayName;

        if (record?.State == LifecycleRecord.Revoked)
            return Result(subject, LifecycleState.Revoked, Messages.BAKE103(name, Date(record.Created) + reason, next).Error());

        var expired = Earliest(dates?.ExpiresOn, record?.EndOfLife, d => d <= now);
        if (expired is { } eol)
            return Result(subject, LifecycleState.Expired, Messages.BAKE101(name, Date(eol.When) + (eol.FromRecord ? reason : ""), next).Error());

        DateTimeOffset? deprecatedOn = dates?.DeprecatedOn is { } d && d <= now ? d : null;
        var recordDeprecates = record?.State == LifecycleRecord.Deprecated;
        if (deprecatedOn is not null || recordDeprecates)
        {
            var when = deprecatedOn is { } fromDates ? Date(fromDates) : Date(record!.Created) + reason;
            return Result(subject, LifecycleState.Deprecated, policy.DeprecatedIsWarning
                ? Messages.BAKE102(name, when, next).Warning()
                : Messages.BAKE102(name, when, next).Error());
        }

        var soon = Earliest(dates?.ExpiresOn, record?.EndOfLife, d => d - now <= TimeSpan.FromDays(policy.ExpiryWarningDays));
        if (soon is { } expiring)
            return Result(subject, LifecycleState.ExpiringSoon,
                Messages.BAKE111(name, Date(expiring.When), (int)Math.Ceiling((expiring.When - now).TotalDays), next).Warning());

        return LifecycleResult.Supported;
    }

    /// <summary>Several images judged together (a base and its ancestors): the most severe state, every diagnostic.</summary>
    public static LifecycleResult Combine(IEnumerable<LifecycleResult> results)
    {
        var all = results.ToList();
        if (all.Count == 0) return LifecycleResult.Supported;
        var byImage = new Dictionary<string, LifecycleState>(StringComparer.Ordinal);
        foreach (var (image, state) in all.SelectMany(r => r.ByImage))
            if (!byImage.TryGetValue(image, out var known) || state > known) byImage[image] = state;
        return new(all.Max(r => r.State), all.SelectMany(r => r.Diagnostics).ToList()) { ByImage = byImage };
    }

    /// <summary>What the team should do: move to the successor when one is named, within the package the project references.</summary>
    public static string NextStep(LifecycleSubject subject, string? successor)
    {
        if (subject.AncestorOf is { } referenced)
        {
            var prefix = $"Your project references {referenced.Id} {referenced.Version}, which is built on it: ";
            if (subject.Escape is (true, { } version)) return prefix + $"update that reference to {referenced.Id} {version}, which is no longer built on it.";
            var wanted = successor is null ? "a newer base" : successor;
            return subject.Escape.Searched
                ? prefix + $"no version of {referenced.Id} in your feeds is built on {wanted} yet; ask the bakery that publishes it to rebuild it."
                : prefix + $"move to a version of {referenced.Id} built on {wanted}, or ask the bakery that publishes it.";
        }
        if (successor is not null) return $"Its successor is {successor}: update your PackageReference to it.";
        return subject.PackageId is { } id
            ? $"Move to a newer version of {id}, or ask the bakery that publishes it which image replaces it."
            : "Move to a newer base image, or ask the bakery that publishes it which image replaces it.";
    }

    private static LifecycleResult Result(LifecycleSubject subject, LifecycleState state, BakeryDiagnostic diagnostic) =>
        new(state, [diagnostic]) { ByImage = (subject.Key ?? subject.Image.Digest?.ToString()) is { } key ? new Dictionary<string, LifecycleState> { [key] = state } : new Dictionary<string, LifecycleState>() };

    /// <summary>The earlier of the package's and the record's dates that satisfies <paramref name="applies"/>.</summary>
    private static (DateTimeOffset When, bool FromRecord)? Earliest(DateTimeOffset? fromDates, DateTimeOffset? fromRecord, Func<DateTimeOffset, bool> applies)
    {
        (DateTimeOffset, bool)? best = null;
        if (fromDates is { } a && applies(a)) best = (a, false);
        if (fromRecord is { } b && applies(b) && (best is null || b < best.Value.Item1)) best = (b, true);
        return best;
    }

    private static string Date(DateTimeOffset value) => value.UtcDateTime.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);
}
