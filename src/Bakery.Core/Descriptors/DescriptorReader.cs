using System.Text.Json;
using Bakery.Oci.Model;
using NuGet.Versioning;

namespace Bakery.Core.Descriptors;

/// <summary>Reads and validates <c>bakery/image.json</c>; every problem is BAKE203 naming the field.</summary>
public static class DescriptorReader
{
    public static BaseImageDescriptor Load(string path, string packageName)
    {
        if (!File.Exists(path))
            throw Messages.BAKE203(packageName, path, "the file does not exist").Exception();
        return Parse(File.ReadAllText(path), path, packageName);
    }

    public static BaseImageDescriptor Parse(string json, string path, string packageName)
    {
        BaseImageDescriptor? descriptor;
        try
        {
            descriptor = JsonSerializer.Deserialize(json, DescriptorJson.Default.BaseImageDescriptor);
        }
        catch (JsonException e)
        {
            var field = string.IsNullOrEmpty(e.Path) || e.Path == "$" ? "the document" : $"field '{e.Path.TrimStart('$', '.')}'";
            throw Messages.BAKE203(packageName, path, $"{field} cannot be read (line {e.LineNumber + 1}): {FirstSentence(e.Message)}").Exception();
        }
        if (descriptor is null) throw Messages.BAKE203(packageName, path, "the document is empty").Exception();
        var problem = Validate(descriptor);
        if (problem is not null) throw Messages.BAKE203(packageName, path, problem).Exception();
        return descriptor;
    }

    /// <summary>The first problem found, naming its field, or null when the descriptor is usable.</summary>
    public static string? Validate(BaseImageDescriptor d)
    {
        if (d.SchemaVersion != BaseImageDescriptor.CurrentSchemaVersion)
            return $"field 'schemaVersion' is {d.SchemaVersion}; this Bakery.Sdk reads version {BaseImageDescriptor.CurrentSchemaVersion}";
        if (string.IsNullOrWhiteSpace(d.Id)) return "field 'id' is missing";
        if (string.IsNullOrWhiteSpace(d.Version)) return "field 'version' is missing";
        if (!NuGetVersion.TryParse(d.Version, out _)) return $"field 'version' ('{d.Version}') is not a NuGet version";
        if (string.IsNullOrWhiteSpace(d.Image.Registry)) return "field 'image.registry' is missing";
        if (string.IsNullOrWhiteSpace(d.Image.Repository)) return "field 'image.repository' is missing";
        if (!ImageReference.IsValidRepository(d.Image.Repository)) return $"field 'image.repository' ('{d.Image.Repository}') is not a valid repository name";
        if (string.IsNullOrWhiteSpace(d.Image.Digest)) return "field 'image.digest' is missing: a base image must be pinned by digest";
        if (!Digest.TryParse(d.Image.Digest, out _)) return $"field 'image.digest' ('{d.Image.Digest}') is not a digest such as sha256:<64 hex characters>";
        if (d.Image.Size is < 0) return "field 'image.size' is negative";
        if (d.Lifecycle.DeprecatedOn is { } dep && d.Lifecycle.ExpiresOn is { } exp && exp < dep)
            return "field 'lifecycle.expiresOn' is before 'lifecycle.deprecatedOn'";
        if (ValidateLineage(d.Lineage, "lineage") is { } lineageProblem) return lineageProblem;
        var platforms = d.Image.Platforms ?? [];
        if (d.Image.Platforms is { Count: 0 }) return "field 'image.platforms' is empty: an index has at least one image";
        for (var i = 0; i < platforms.Count; i++)
        {
            var field = $"image.platforms[{i}]";
            var entry = platforms[i];
            if (entry.Platform is null) return $"field '{field}.platform' is missing";
            if (!Digest.TryParse(entry.Digest, out _)) return $"field '{field}.digest' ('{entry.Digest}') is not a digest";
            if (entry.Digest == d.Image.Digest) return $"field '{field}.digest' is the index's own digest";
            if (entry.Size is < 0) return $"field '{field}.size' is negative";
            if (platforms.Take(i).Any(p => p.Platform!.ToString() == entry.Platform.ToString())) return $"field '{field}.platform' ({entry.Platform}) is listed twice";
            if (ValidateLineage(entry.Lineage, field + ".lineage") is { } problem) return problem;
        }
        return d.Trust?.Validate();
    }

    private static string? ValidateLineage(IReadOnlyList<LineageEntry> lineage, string field)
    {
        for (var i = 0; i < lineage.Count; i++)
        {
            if (string.IsNullOrWhiteSpace(lineage[i].Repository)) return $"field '{field}[{i}].repository' is missing";
            if (!Digest.TryParse(lineage[i].Digest, out _)) return $"field '{field}[{i}].digest' is not a digest";
            if (lineage[i].Index is { } index && !Digest.TryParse(index, out _)) return $"field '{field}[{i}].index' is not a digest";
        }
        return null;
    }

    private static string FirstSentence(string message)
    {
        var cut = message.IndexOf(". Path:", StringComparison.Ordinal);
        return cut > 0 ? message[..cut] : message;
    }
}
