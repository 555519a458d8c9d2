using System.Text.Json.Nodes;

namespace Bakery.Core.Rebasing;

/// <summary>Says where two image configs (or, when they agree, their manifests) first differ, for BAKE611.</summary>
internal static class ConfigDifference
{
    public static string Describe(byte[] expectedConfig, byte[] actualConfig, byte[] expectedManifest, byte[] actualManifest)
    {
        var config = First(Parse(expectedConfig), Parse(actualConfig), "config");
        if (config is not null) return config;
        return First(Parse(expectedManifest), Parse(actualManifest), "manifest")
            ?? "the same content, written in other bytes (key order or spacing)";
    }

    private static JsonNode? Parse(byte[] bytes)
    {
        try { return JsonNode.Parse(bytes); }
        catch (System.Text.Json.JsonException) { return null; }
    }

    private static string? First(JsonNode? expected, JsonNode? actual, string path)
    {
        if (JsonNode.DeepEquals(expected, actual)) return null;
        if (expected is JsonObject e && actual is JsonObject a)
        {
            foreach (var key in e.Select(p => p.Key).Union(a.Select(p => p.Key)).Order(StringComparer.Ordinal))
            {
                if (!a.ContainsKey(key)) return $"{path}.{key} is in the image but not composed";
                if (!e.ContainsKey(key)) return $"{path}.{key} is composed but not in the image";
                if (First(e[key], a[key], $"{path}.{key}") is { } inner) return inner;
            }
        }
        if (expected is JsonArray ea && actual is JsonArray aa)
        {
            for (var i = 0; i < Math.Max(ea.Count, aa.Count); i++)
            {
                if (i >= ea.Count || i >= aa.Count) return $"{path} has {ea.Count} entries in the image, {aa.Count} composed";
                if (First(ea[i], aa[i], $"{path}[{i}]") is { } inner) return inner;
            }
        }
        // The container settings can hold secrets (an environment value, a label): say where, not what.
        return path.StartsWith("config.config", StringComparison.Ordinal)
            ? $"{path} differs"
            : $"{path} is {Short(expected)} in the image, {Short(actual)} composed";
    }

    private static string Short(JsonNode? node)
    {
        var text = node?.ToJsonString() ?? "absent";
        return Oci.Layers.LayerNames.Escape(text.Length > 120 ? text[..117] + "…" : text);
    }
}
