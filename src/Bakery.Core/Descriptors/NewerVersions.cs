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
        var allowed = newer.Where(v => range is null || Allows(range, v));
        return new NewerVersions(allowed.DefaultIfEmpty().Max(), newer.DefaultIfEmpty().Max(), range);
    }

    /// <summary>What restore could pick: inside the range, and for a floating range (10.0.*) within what it floats over.</summary>
    public static bool Allows(VersionRange range, NuGetVersion version) =>
        range.Satisfies(version) && (!range.IsFloating || range.Float.Satisfies(version));

    /// <summary>Versions from a base image's tags as Bakery writes them: 10.0.4, and 10.0.4-build.2 as 10.0.4.2; other tags are ignored.</summary>
    public static IReadOnlyList<NuGetVersion> FromTags(IEnumerable<string> tags)
    {
        var versions = new List<NuGetVersion>();
        foreach (var tag in tags)
        {
            var build = tag.IndexOf("-build.", StringComparison.Ordinal);
            var text = build < 0 ? tag : $"{tag[..build]}.{tag[(build + 7)..]}";
            if (NuGetVersion.TryParse(text, out var version) && !version.IsPrerelease && (build < 0 || int.TryParse(tag[(build + 7)..], out _)))
                versions.Add(version);
        }
        return versions.Distinct().ToList();
    }
}
