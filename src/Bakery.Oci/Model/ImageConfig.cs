using System.Text.Json;
using System.Text.Json.Nodes;

namespace Bakery.Oci.Model;

/// <summary>
/// The image configuration blob, edited as JSON so that fields we do not model (history, healthcheck,
/// vendor extensions) survive from the base image unchanged.
/// </summary>
public sealed class ImageConfig
{
    private readonly JsonObject _root;

    private ImageConfig(JsonObject root) => _root = root;

    public static ImageConfig Parse(ReadOnlySpan<byte> json)
    {
        var node = JsonNode.Parse(json) as JsonObject
            ?? throw new FormatException("The image configuration is not a JSON object.");
        return new ImageConfig(node);
    }

    private JsonObject Config => _root["config"] as JsonObject ?? (JsonObject)(_root["config"] = new JsonObject());

    public string? Architecture => (string?)_root["architecture"];
    public string? Os => (string?)_root["os"];
    public string? Variant => (string?)_root["variant"];

    /// <summary>The platform the config says the image is for; null when it names no OS or architecture.</summary>
    public Platform? Platform => string.IsNullOrEmpty(Os) || string.IsNullOrEmpty(Architecture) ? null
        : new Platform { Os = Os, Architecture = Architecture, Variant = string.IsNullOrEmpty(Variant) ? null : Variant };
    public string? User => (string?)Config["User"];
    public string? WorkingDir => (string?)Config["WorkingDir"];
    public IReadOnlyList<string> Entrypoint => Strings(Config["Entrypoint"]);
    public IReadOnlyList<string> Cmd => Strings(Config["Cmd"]);

    public string? Created => (string?)_root["created"];

    /// <summary>One flag per history entry: true for entries that made no layer (ENV, LABEL, …).</summary>
    public IReadOnlyList<bool>? HistoryEmptyLayers =>
        _root["history"] is JsonArray history
            ? history.Select(h => h is JsonObject o && o["empty_layer"] is JsonValue v && v.TryGetValue<bool>(out var empty) && empty).ToList()
            : null;

    /// <summary>What made each history entry (created_by), in order.</summary>
    public IReadOnlyList<string> HistoryCreatedBy =>
        _root["history"] is JsonArray history
            ? history.Select(h => h is JsonObject o && o["created_by"] is JsonValue v && v.TryGetValue<string>(out var by) ? by : "").ToList()
            : [];

    /// <summary>When each history entry was made (created), in order; null where an entry says nothing.</summary>
    public IReadOnlyList<string?> HistoryCreated =>
        _root["history"] is JsonArray history
            ? history.Select(h => h is JsonObject o && o["created"] is JsonValue v && v.TryGetValue<string>(out var at) ? at : null).ToList()
            : [];

    public IReadOnlyList<string> DiffIds =>
        Strings((_root["rootfs"] as JsonObject)?["diff_ids"]);

    public IReadOnlyDictionary<string, string> Labels =>
        (Config["Labels"] as JsonObject)?.ToDictionary(p => p.Key, p => (string?)p.Value ?? "", StringComparer.Ordinal)
        ?? new Dictionary<string, string>();

    public IReadOnlyDictionary<string, string> Environment
    {
        get
        {
            var result = new Dictionary<string, string>(StringComparer.Ordinal);
            foreach (var entry in Strings(Config["Env"]))
            {
                var eq = entry.IndexOf('=');
                if (eq > 0) result[entry[..eq]] = entry[(eq + 1)..];
            }
            return result;
        }
    }

    /// <summary>The names of the environment variables in the order the config lists them.</summary>
    public IReadOnlyList<string> EnvironmentNames =>
        Strings(Config["Env"]).Select(e => e.IndexOf('=')).Zip(Strings(Config["Env"]), (eq, e) => eq > 0 ? e[..eq] : "").Where(n => n.Length > 0).ToList();

    public IReadOnlyList<string> Volumes =>
        (Config["Volumes"] as JsonObject)?.Select(p => p.Key).ToList() ?? [];

    public IReadOnlyList<string> ExposedPorts =>
        (Config["ExposedPorts"] as JsonObject)?.Select(p => p.Key).ToList() ?? [];

    public void SetCreated(DateTimeOffset created) => _root["created"] = Timestamp(created);

    public void SetEntrypoint(IReadOnlyList<string>? entrypoint) => Config["Entrypoint"] = ToArray(entrypoint);

    public void SetCmd(IReadOnlyList<string>? cmd) => Config["Cmd"] = ToArray(cmd);

    public void SetUser(string? user) { if (!string.IsNullOrEmpty(user)) Config["User"] = user; }

    public void SetWorkingDir(string? dir) { if (!string.IsNullOrEmpty(dir)) Config["WorkingDir"] = dir; }

    /// <summary>Sets variables, replacing ones of the same name and keeping the rest in base order.</summary>
    public void SetEnvironment(IEnumerable<KeyValuePair<string, string>> variables)
    {
        var env = Strings(Config["Env"]).ToList();
        foreach (var (name, value) in variables)
        {
            var index = env.FindIndex(e => e.StartsWith(name + "=", StringComparison.Ordinal));
            if (index >= 0) env[index] = $"{name}={value}";
            else env.Add($"{name}={value}");
        }
        Config["Env"] = ToArray(env);
    }

    public void AddExposedPorts(IEnumerable<string> ports)
    {
        var existing = Config["ExposedPorts"] as JsonObject ?? new JsonObject();
        var merged = new SortedSet<string>(existing.Select(p => p.Key), StringComparer.Ordinal);
        foreach (var port in ports) merged.Add(port.Contains('/') ? port : port + "/tcp");
        var result = new JsonObject();
        foreach (var port in merged) result[port] = new JsonObject();
        if (result.Count > 0) Config["ExposedPorts"] = result;
    }

    public void SetLabels(IEnumerable<KeyValuePair<string, string>> labels)
    {
        var merged = new SortedDictionary<string, string>(StringComparer.Ordinal);
        foreach (var (key, value) in Labels) merged[key] = value;
        foreach (var (key, value) in labels) merged[key] = value;
        var result = new JsonObject();
        foreach (var (key, value) in merged) result[key] = value;
        Config["Labels"] = result;
    }

    /// <summary>Records a layer: its uncompressed digest in rootfs and a history line saying who made it.</summary>
    public void AddLayer(Digest diffId, string createdBy, DateTimeOffset created)
    {
        var rootfs = _root["rootfs"] as JsonObject ?? (JsonObject)(_root["rootfs"] = new JsonObject { ["type"] = "layers" });
        var diffIds = rootfs["diff_ids"] as JsonArray ?? (JsonArray)(rootfs["diff_ids"] = new JsonArray());
        diffIds.Add(diffId.ToString());
        var history = _root["history"] as JsonArray ?? (JsonArray)(_root["history"] = new JsonArray());
        history.Add(new JsonObject { ["created"] = Timestamp(created), ["created_by"] = createdBy });
    }

    public byte[] ToBytes() => JsonSerializer.SerializeToUtf8Bytes(_root);

    private static string Timestamp(DateTimeOffset value) =>
        value.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", System.Globalization.CultureInfo.InvariantCulture);

    private static JsonArray? ToArray(IReadOnlyList<string>? values)
    {
        if (values is null) return null;
        var array = new JsonArray();
        foreach (var value in values) array.Add(value);
        return array;
    }

    private static IReadOnlyList<string> Strings(JsonNode? node) =>
        node is JsonArray array ? array.Select(n => (string?)n ?? "").ToList() : [];
}
