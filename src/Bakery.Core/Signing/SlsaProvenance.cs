using System.Text.Json;
using Bakery.Core.Baking;
using Bakery.Core.Descriptors;
using Bakery.Oci.Model;

namespace Bakery.Core.Signing;

/// <summary>
/// SLSA provenance v1 for a bake, as an in-toto statement about the image: the builder and run, the
/// bake's parameters (what the project asked for), and what it resolved (source commit, the base image
/// and every ancestor by digest, the base-image package). No wall-clock time is recorded, so the same
/// run gives the same statement and a rebake finds it already attached.
/// </summary>
public static class SlsaProvenance
{
    public const string PredicateType = "https://slsa.dev/provenance/v1";
    public const string BuildType = "https://bakery.dev/provenance/bake/v1";

    /// <summary>resolvedDependencies name of the image the bake started from; verification follows the chain through it.</summary>
    public const string BaseDependency = "base";
    public const string AncestorDependency = "ancestor";

    /// <summary>The statement for <paramref name="manifest"/> of <paramref name="image"/> (registry/repository), baked on <paramref name="lineage"/> (nearest first, the base itself first).</summary>
    public static byte[] Statement(BakeRequest request, BuilderIdentity builder, string image, Digest manifest, Platform? platform, IReadOnlyList<LineageEntry> lineage) =>
        InTotoStatement.Create([new StatementSubject(image, manifest)], PredicateType, json => WritePredicate(json, request, builder, image, platform, lineage));

    /// <summary>The base image a provenance statement names (its first "base" dependency), or null.</summary>
    public static Digest? RecordedBase(JsonElement predicate)
    {
        if (predicate.ValueKind != JsonValueKind.Object
            || !predicate.TryGetProperty("buildDefinition", out var definition) || definition.ValueKind != JsonValueKind.Object
            || !definition.TryGetProperty("resolvedDependencies", out var dependencies) || dependencies.ValueKind != JsonValueKind.Array) return null;
        foreach (var dependency in dependencies.EnumerateArray())
        {
            if (dependency.ValueKind != JsonValueKind.Object || !dependency.TryGetProperty("name", out var name) || name.ValueKind != JsonValueKind.String || name.GetString() != BaseDependency) continue;
            if (dependency.TryGetProperty("digest", out var digests) && digests.ValueKind == JsonValueKind.Object
                && digests.TryGetProperty("sha256", out var hex) && hex.ValueKind == JsonValueKind.String && Digest.TryParse("sha256:" + hex.GetString(), out var digest))
                return digest;
        }
        return null;
    }

    private static void WritePredicate(Utf8JsonWriter json, BakeRequest request, BuilderIdentity builder, string image, Platform? platform, IReadOnlyList<LineageEntry> lineage)
    {
        var descriptor = request.BaseImage.Descriptor;
        json.WriteStartObject();
        json.WriteStartObject("buildDefinition");
        json.WriteString("buildType", BuildType);

        json.WriteStartObject("externalParameters");
        json.WriteString("kind", request.AppDirectory is null ? "base-image" : "app");
        WriteIfSet(json, "project", request.ProjectName);
        json.WriteString("image", image);
        json.WriteStartArray("tags");
        foreach (var tag in request.Tags) json.WriteStringValue(tag);
        json.WriteEndArray();
        WriteIfSet(json, "version", request.Version);
        WriteIfSet(json, "platform", platform?.ToString());
        json.WriteString("baseImage", request.BaseImage.Reference.ToString());
        WriteIfSet(json, "basePackage", descriptor is null ? null : $"{descriptor.Id}/{descriptor.Version}");
        if (request.Source is not null || request.Revision is not null)
        {
            json.WriteStartObject("source");
            WriteIfSet(json, "uri", request.Source);
            WriteIfSet(json, "revision", request.Revision);
            json.WriteEndObject();
        }
        json.WriteStartArray("steps");
        foreach (var step in request.Steps)
        {
            json.WriteStartObject();
            if (step is RunStep run)
            {
                json.WriteString("run", run.Command);
                WriteIfSet(json, "user", run.User);
            }
            else json.WriteString("layer", step.StepName);
            json.WriteEndObject();
        }
        if (request.AppDirectory is not null)
        {
            json.WriteStartObject();
            json.WriteString("app", request.AppDestination);
            json.WriteEndObject();
        }
        json.WriteEndArray();
        json.WriteStartArray("verification");
        foreach (var source in request.Verification.Sources) json.WriteStringValue(source.InheritedFrom is null ? Path.GetFileName(source.Path) : $"{source.InheritedFrom}/{Path.GetFileName(source.Path)}");
        json.WriteEndArray();
        json.WriteString("failOnSeverity", request.FailOnSeverity.ToString());
        json.WriteBoolean("vulnerabilityGate", request.AdvisoryDatabase is not null);
        json.WriteEndObject();

        json.WriteStartObject("internalParameters");
        json.WriteString("bakeryVersion", BakePlan.CurrentBakeryVersion);
        WriteIfSet(json, "buildId", request.BuildId);
        json.WriteString("created", request.Created.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", System.Globalization.CultureInfo.InvariantCulture));
        json.WriteEndObject();

        json.WriteStartArray("resolvedDependencies");
        if (request.Revision is { Length: > 0 } revision)
        {
            json.WriteStartObject();
            json.WriteString("name", "source");
            json.WriteString("uri", request.Source is { Length: > 0 } source ? $"git+{source}@{revision}" : $"git+{revision}");
            json.WriteStartObject("digest");
            json.WriteString("gitCommit", revision);
            json.WriteEndObject();
            json.WriteEndObject();
        }
        for (var i = 0; i < lineage.Count; i++)
        {
            if (!Digest.TryParse(lineage[i].Digest, out var digest)) continue;
            json.WriteStartObject();
            json.WriteString("name", i == 0 ? BaseDependency : AncestorDependency);
            json.WriteString("uri", $"oci://{lineage[i].Repository}");
            json.WriteStartObject("digest");
            json.WriteString(digest.Algorithm, digest.Hex);
            json.WriteEndObject();
            if (lineage[i].PackageId is { } id)
            {
                json.WriteStartObject("annotations");
                json.WriteString("packageId", id);
                WriteIfSet(json, "packageVersion", lineage[i].PackageVersion);
                json.WriteEndObject();
            }
            json.WriteEndObject();
        }
        if (descriptor is not null)
        {
            json.WriteStartObject();
            json.WriteString("name", "base-image-package");
            json.WriteString("uri", $"pkg:nuget/{descriptor.Id}@{descriptor.Version}");
            json.WriteEndObject();
        }
        json.WriteEndArray();
        json.WriteEndObject();

        json.WriteStartObject("runDetails");
        json.WriteStartObject("builder");
        json.WriteString("id", builder.Id);
        json.WriteStartObject("version");
        json.WriteString("bakery", BakePlan.CurrentBakeryVersion);
        json.WriteEndObject();
        json.WriteEndObject();
        if (builder.InvocationId is not null)
        {
            json.WriteStartObject("metadata");
            json.WriteString("invocationId", builder.InvocationId);
            json.WriteEndObject();
        }
        json.WriteEndObject();
        json.WriteEndObject();
    }

    private static void WriteIfSet(Utf8JsonWriter json, string name, string? value)
    {
        if (!string.IsNullOrEmpty(value)) json.WriteString(name, value);
    }
}
