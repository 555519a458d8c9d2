using NuGet.Versioning;

namespace Bakery.Core.Descriptors;

/// <summary>What the feeds hold beyond the version a project uses: the newest its range allows, and the newest at all.</summary>
public sealed record NewerVersions(NuGetVersion? NewestAllowed, NuGetVersion? Newest, VersionRange? Range)
{
    /// <summary>
    /// Compares <paramref name="current"/> with the versions in <paramref name="available"/>. A floating
    /// range (10.0.*) allows only what it floats over; a plain version (1.0.0, NuGet's "1.0.0 or later")
    /// and an interval allow what they contain. An unparsable or missing range allows every version.
    /// </summary>
    public static NewerVersions Find(IEnumerable<NuGetVersion> available, NuGetVersion current, string? rangeSpec)
    {
        VersionRange? range = null;
        if (!string.IsNullOrWhiteSpace(rangeSpec) && VersionRange.TryParse(rangeSpec, out var parsed)) range = parsed;
        var newer = available.Where(v => v > current).ToList();
        var allowed = newer.Where(v => range is null || (range.Satisfies(v) && (!range.IsFloating || range.Float.Satisfies(v))));
        return new NewerVersions(allowed.DefaultIfEmpty().Max(), newer.DefaultIfEmpty().Max(), range);
    }
}
