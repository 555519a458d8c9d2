using System.Text.Json.Serialization;
using Bakery.Oci.Model;

namespace Bakery.Core.Verification;

/// <summary>A label every image must carry; <see cref="SetBy"/> is the base-image package that requires it (null: this project).</summary>
public sealed record RequiredLabel(
    [property: JsonPropertyName("name")] string Name,
    [property: JsonPropertyName("setBy")] string? SetBy = null);

/// <summary>
/// The policies every bake checks without a verification file: the base image is pinned by digest,
/// and the required labels (the project's own and every ancestor's) are present. Results are
/// ordinary checks, so they fail a bake (BAKE301, or BAKE305 when inherited) and show in the reports.
/// </summary>
public static class BuiltInPolicies
{
    public const string File = "built-in policies";

    public static IReadOnlyList<CheckResult> Evaluate(ImageConfig config, ImageReference baseImage, IReadOnlyList<RequiredLabel> requiredLabels)
    {
        var results = new List<CheckResult>
        {
            baseImage.Digest is { } digest
                ? new CheckResult(File, "policy", "base image pinned by digest", true, null)
                : new CheckResult(File, "policy", "base image pinned by digest", false, $"{baseImage} has no digest"),
        };
        var labels = config.Labels;
        foreach (var label in requiredLabels.DistinctBy(l => l.Name))
        {
            var present = labels.TryGetValue(label.Name, out var value) && !string.IsNullOrWhiteSpace(value);
            results.Add(new CheckResult(File, "policy", $"label {label.Name}", present,
                present ? null : $"label {label.Name} is missing or empty; set it with <ContainerLabel Include=\"{label.Name}\" Value=\"…\" />",
                InheritedFrom: label.SetBy));
        }
        return results;
    }

    /// <summary>This project's required labels and its ancestors', for its package: each name once, the nearest setter kept.</summary>
    public static IReadOnlyList<RequiredLabel> Merge(IEnumerable<string> own, string packageId, IEnumerable<RequiredLabel> inherited) =>
        own.Select(name => new RequiredLabel(name.Trim(), packageId)).Concat(inherited)
            .Where(l => l.Name.Length > 0).DistinctBy(l => l.Name).ToList();
}
