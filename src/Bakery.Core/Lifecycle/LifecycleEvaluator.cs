using System.Globalization;
using Bakery.Core.Descriptors;

namespace Bakery.Core.Lifecycle;

public enum LifecycleState { Supported, ExpiringSoon, Deprecated, Expired, Revoked }

public sealed record LifecyclePolicy
{
    /// <summary>BakeryDeprecatedBaseImage=Warning: deprecated warns instead of failing.</summary>
    public bool DeprecatedIsWarning { get; init; }

    public int ExpiryWarningDays { get; init; } = 30;
}

public sealed record LifecycleResult(LifecycleState State, IReadOnlyList<BakeryDiagnostic> Diagnostics)
{
    public bool HasErrors => Diagnostics.Any(d => d.IsError);
}

/// <summary>
/// Judges a base image by the dates baked into its package. The most severe state wins;
/// only that state is reported.
/// </summary>
public static class LifecycleEvaluator
{
    public static LifecycleResult Evaluate(BaseImageDescriptor descriptor, DateTimeOffset now, LifecyclePolicy policy)
    {
        var life = descriptor.Lifecycle;
        var name = descriptor.DisplayName;
        var next = NextStep(descriptor);
        if (life.ExpiresOn is { } expires && expires <= now)
            return new(LifecycleState.Expired, [BakeryDiagnostic.Error("BAKE101", name, Date(expires), next)]);
        if (life.DeprecatedOn is { } deprecated && deprecated <= now)
        {
            var diagnostic = policy.DeprecatedIsWarning
                ? BakeryDiagnostic.Warning("BAKE102", name, Date(deprecated), next)
                : BakeryDiagnostic.Error("BAKE102", name, Date(deprecated), next);
            return new(LifecycleState.Deprecated, [diagnostic]);
        }
        if (life.ExpiresOn is { } soon && soon - now <= TimeSpan.FromDays(policy.ExpiryWarningDays))
        {
            var days = (int)Math.Ceiling((soon - now).TotalDays);
            return new(LifecycleState.ExpiringSoon, [BakeryDiagnostic.Warning("BAKE111", name, Date(soon), days, next)]);
        }
        return new(LifecycleState.Supported, []);
    }

    /// <summary>What the team should do: the successor when the bakery named one.</summary>
    public static string NextStep(BaseImageDescriptor descriptor) =>
        string.IsNullOrWhiteSpace(descriptor.Lifecycle.Successor)
            ? $"Move to a newer version of {descriptor.Id}, or ask the bakery that publishes it which image replaces it."
            : $"Its successor is {descriptor.Lifecycle.Successor}: update your PackageReference to it.";

    /// <summary>Parses BakeryNow: an ISO 8601 date or date-time; empty means the real clock.</summary>
    public static DateTimeOffset ParseNow(string? value, DateTimeOffset realNow) =>
        string.IsNullOrWhiteSpace(value) ? realNow : ParseDate("BakeryNow", value);

    /// <summary>An ISO 8601 date or date-time from a property; anything else is BAKE502 naming the property.</summary>
    public static DateTimeOffset ParseDate(string property, string value)
    {
        if (DateTimeOffset.TryParse(value, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var parsed))
            return parsed;
        throw BakeryException.Create("BAKE502", property, value, "use an ISO 8601 date such as 2026-11-24 or 2026-11-24T10:00:00Z");
    }

    private static string Date(DateTimeOffset value) => value.UtcDateTime.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);
}
