using Bakery.Oci.Model;

namespace Bakery.Core.Tags;

public sealed record TagRequest
{
    public required string ImageName { get; init; }
    public required string Version { get; init; }
    public string? BuildId { get; init; }
    public IReadOnlyList<string> ExtraTags { get; init; } = [];
    public bool AllowLatest { get; init; }
}

/// <summary>
/// Where a bake's image goes: registry (null when it is loaded into the local engine or written to an
/// archive, as the .NET SDK does without ContainerRegistry), repository and tags, decided once for the
/// early check and the bake.
/// </summary>
public sealed record ImageTarget(string? Registry, string Repository, TagDecision Tags, string? BuildId, string BuildIdSource)
{
    public string Image => Registry is null ? Repository : $"{Registry}/{Repository}";

    /// <summary>An invalid repository is BAKE405, an invalid tag BAKE404, a refused 'latest' BAKE401.</summary>
    /// <param name="archiveOutputPath">ContainerArchiveOutputPath: set, the image goes to that file whatever ContainerRegistry says (as in the SDK).</param>
    public static ImageTarget Decide(string? targetRegistry, string repository, string version, string? buildId,
        string? extraTags, bool allowLatest, Func<string, string?> environment, string? archiveOutputPath = null)
    {
        var registry = string.IsNullOrWhiteSpace(targetRegistry) || !string.IsNullOrWhiteSpace(archiveOutputPath) ? null : targetRegistry.Trim();
        repository = repository.Trim();
        if (!ImageReference.IsValidRepository(repository))
            throw Messages.BAKE405(repository, "repository names are lowercase letters, digits and '.', '_', '-' or '/' separators.").Exception();
        var (id, source) = BuildIdResolver.Resolve(buildId, environment);
        var tags = TagPolicy.Decide(new TagRequest
        {
            ImageName = registry is null ? repository : $"{registry}/{repository}",
            Version = version,
            BuildId = id,
            ExtraTags = Oci.Registry.RegistryClientOptions.ParseList(extraTags),
            AllowLatest = allowLatest,
        });
        return new ImageTarget(registry, repository, tags, id, source);
    }

    /// <summary>Tags that always name the same image once pushed: the CI build tags.</summary>
    public static bool IsBuildTag(string tag) => tag.Contains("-build.", StringComparison.Ordinal);
}

public sealed record TagDecision(IReadOnlyList<string> Tags, IReadOnlyList<BakeryDiagnostic> Diagnostics);

/// <summary>
/// Tags say what was built: the project version and the CI build id. 'latest' is refused unless allowed.
/// With a build id: <c>{version}</c> and <c>{version}-build.{id}</c>. Without one: <c>{version}-local</c>.
/// </summary>
public static class TagPolicy
{
    public static TagDecision Decide(TagRequest request)
    {
        var diagnostics = new List<BakeryDiagnostic>();
        var version = Sanitize(request.Version);
        var tags = new List<string>();
        if (!string.IsNullOrWhiteSpace(request.BuildId))
        {
            tags.Add(version);
            tags.Add($"{version}-build.{Sanitize(request.BuildId)}");
        }
        else
        {
            tags.Add($"{version}-local");
            diagnostics.Add(Messages.BAKE410(request.ImageName, tags[0]).Warning());
        }
        foreach (var extra in request.ExtraTags.Select(t => t.Trim()).Where(t => t.Length > 0))
        {
            if (extra.Equals("latest", StringComparison.OrdinalIgnoreCase))
            {
                if (!request.AllowLatest) throw Messages.BAKE401(request.ImageName).Exception();
                diagnostics.Add(Messages.BAKE411(request.ImageName, tags[^1]).Warning());
            }
            tags.Add(extra);
        }
        foreach (var tag in tags)
            if (!ImageReference.IsValidTag(tag)) throw Messages.BAKE404(tag).Exception();
        return new(tags.Distinct(StringComparer.Ordinal).ToList(), diagnostics);
    }

    /// <summary>NuGet versions may carry '+metadata'; tags may not contain '+'.</summary>
    internal static string Sanitize(string value)
    {
        var chars = value.Trim().Select(c => char.IsAsciiLetterOrDigit(c) || c is '_' or '.' or '-' ? c : '-').ToArray();
        return new string(chars);
    }
}

/// <summary>Finds the CI build id: BakeryBuildId first, then the build numbers of common CI systems.</summary>
public static class BuildIdResolver
{
    public static readonly string[] EnvironmentVariables = ["GITHUB_RUN_NUMBER", "BUILD_BUILDID", "CI_PIPELINE_IID", "BUILD_NUMBER"];

    public static (string? Id, string Source) Resolve(string? explicitId, Func<string, string?> environment)
    {
        if (!string.IsNullOrWhiteSpace(explicitId)) return (explicitId.Trim(), "BakeryBuildId");
        foreach (var name in EnvironmentVariables)
            if (environment(name) is { Length: > 0 } value && !string.IsNullOrWhiteSpace(value)) return (value.Trim(), name);
        return (null, "none");
    }

    /// <summary>
    /// A base-image package's version: a plain x.y.z <paramref name="version"/> gets a numeric CI build id
    /// as its fourth part (10.0.3 + build 42 = 10.0.3.42), so every CI bake of one version is a distinct,
    /// ordered package. An explicitly set PackageVersion (one that differs from Version) is kept.
    /// </summary>
    public static string PackageVersion(string version, string packageVersion, string? buildId) =>
        packageVersion == version && buildId is { Length: > 0 } id && id.All(char.IsAsciiDigit)
        && System.Text.RegularExpressions.Regex.IsMatch(version, @"^\d+\.\d+\.\d+$")
            ? $"{version}.{id}"
            : packageVersion;
}
