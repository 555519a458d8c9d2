using System.Text.Json;

namespace Bakery.Core.Secrets;

/// <summary>
/// The fields of an image configuration a secret can be written into, each named as findings show it:
/// <c>config:Env[DB_PASSWORD]</c>, <c>config:Labels[com.example.token]</c>, <c>config:Entrypoint</c>, <c>config:Cmd</c>,
/// <c>config:Healthcheck</c>, <c>config:history[3].created_by</c>.
/// </summary>
internal static class ImageConfigFields
{
    /// <summary>The fields of <paramref name="config"/> that <paramref name="baseConfig"/> (when given) does not already hold.</summary>
    public static IEnumerable<(string Field, string Text)> Added(ReadOnlySpan<byte> config, ReadOnlySpan<byte> baseConfig)
    {
        var fields = Read(config);
        if (baseConfig.IsEmpty) return fields;
        var inherited = Read(baseConfig).ToHashSet();
        return fields.Where(f => !inherited.Contains(f));
    }

    private static List<(string Field, string Text)> Read(ReadOnlySpan<byte> json)
    {
        var fields = new List<(string, string)>();
        using var document = JsonDocument.Parse(json.ToArray());
        var root = document.RootElement;
        if (root.ValueKind != JsonValueKind.Object) return fields;
        if (root.TryGetProperty("config", out var config) && config.ValueKind == JsonValueKind.Object)
        {
            if (config.TryGetProperty("Env", out var env) && env.ValueKind == JsonValueKind.Array)
                foreach (var entry in env.EnumerateArray())
                    if (entry.ValueKind == JsonValueKind.String && entry.GetString() is { } text)
                    {
                        var eq = text.IndexOf('=');
                        fields.Add(($"config:Env[{Clean(eq < 0 ? text : text[..eq])}]", text));
                    }
            if (config.TryGetProperty("Labels", out var labels) && labels.ValueKind == JsonValueKind.Object)
                foreach (var label in labels.EnumerateObject())
                    if (label.Value.ValueKind == JsonValueKind.String)
                        fields.Add(($"config:Labels[{Clean(label.Name)}]", $"{label.Name}={label.Value.GetString()}"));
            foreach (var name in (ReadOnlySpan<string>)["Entrypoint", "Cmd", "OnBuild"])
                if (config.TryGetProperty(name, out var args) && args.ValueKind == JsonValueKind.Array)
                    fields.Add(($"config:{name}", Join(args)));
            if (config.TryGetProperty("Healthcheck", out var health) && health.ValueKind == JsonValueKind.Object
                && health.TryGetProperty("Test", out var test) && test.ValueKind == JsonValueKind.Array)
                fields.Add(("config:Healthcheck", Join(test)));
        }
        if (root.TryGetProperty("history", out var history) && history.ValueKind == JsonValueKind.Array)
        {
            var i = 0;
            foreach (var entry in history.EnumerateArray())
            {
                if (entry.ValueKind == JsonValueKind.Object)
                    foreach (var name in (ReadOnlySpan<string>)["created_by", "comment"])
                        if (entry.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String && value.GetString() is { Length: > 0 } text)
                            fields.Add(($"config:history[{i}].{name}", text));
                i++;
            }
        }
        return fields;
    }

    private static string Join(JsonElement args) =>
        string.Join(' ', args.EnumerateArray().Where(a => a.ValueKind == JsonValueKind.String).Select(a => a.GetString()));

    private static string Clean(string name) => NestedArchives.MemberName(name);
}
