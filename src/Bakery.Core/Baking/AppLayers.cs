using System.Text.Json;
using Bakery.Oci.Layers;

namespace Bakery.Core.Baking;

/// <summary>BakeryAppLayers: Split (the default) layers the app by how often its parts change; Single keeps one layer.</summary>
public enum AppLayerMode { Split, Single }

/// <summary>
/// Splits the published app into layers that change at different rates, as Jib splits a Java app
/// (dependencies, then resources and classes), bottom first:
/// <list type="number">
/// <item><c>app:runtime</c> — a self-contained app's runtime packs (runtimepack libraries in the deps.json);</item>
/// <item><c>app:native</c> — runtime-specific assets of NuGet packages (<c>native</c> and <c>runtimeTargets</c>);</item>
/// <item><c>app:packages</c> — the other NuGet package assets (managed assemblies, satellite resources);</item>
/// <item><c>app</c> — everything else: the project's own assemblies (and its project references'),
/// content, <c>*.deps.json</c>, <c>*.runtimeconfig.json</c>.</item>
/// </list>
/// What belongs to which library comes from the app's <c>*.deps.json</c> (its <c>targets</c> map each
/// library to its files, <c>libraries</c> say which are packages), the file the host itself loads them
/// by. A package's <c>.pdb</c> or <c>.xml</c> beside its assembly goes with it. Empty layers are left
/// out; folders go into every layer that has files below them. The split depends only on the deps.json
/// and the file list, so one commit gives one set of layers, and a source change moves only <c>app</c>.
/// </summary>
public static class AppLayers
{
    public const string Runtime = "app:runtime";
    public const string Native = "app:native";
    public const string Packages = "app:packages";
    public const string Project = "app";

    private static readonly string[] Order = [Runtime, Native, Packages, Project];

    public sealed record Group(string Name, IReadOnlyList<LayerPlan.Entry> Entries);

    /// <summary>The app's layers, bottom first. <paramref name="warn"/> hears why a split was not possible (a malformed deps.json).</summary>
    public static IReadOnlyList<Group> Plan(string publishDirectory, string destination, AppLayerMode mode, Action<string>? warn = null, Action<string>? detail = null)
    {
        var entries = LayerPlan.Expand([new LayerSource(publishDirectory, destination)]);
        if (mode == AppLayerMode.Single) return [new Group(Project, entries)];
        var root = LayerPlan.NormalizeImagePath(destination);
        var depsJson = DepsJson(publishDirectory, detail);
        if (depsJson is null) return [new Group(Project, entries)];
        Dictionary<string, string> claims;
        try { claims = Claims(depsJson, publishDirectory); }
        catch (Exception e) when (e is JsonException or InvalidOperationException or KeyNotFoundException or FormatException)
        {
            warn?.Invoke($"{Path.GetFileName(depsJson)} cannot be read ({e.Message.TrimEnd('.')})");
            return [new Group(Project, entries)];
        }
        return Split(entries, root, claims);
    }

    /// <summary>Puts each entry in its layer: files and links by their claim (unclaimed: the project's), folders where their files are.</summary>
    public static IReadOnlyList<Group> Split(IReadOnlyList<LayerPlan.Entry> entries, string root, IReadOnlyDictionary<string, string> claims)
    {
        string Relative(string path) => root.Length == 0 ? path : path.Length > root.Length ? path[(root.Length + 1)..] : "";
        var layerOf = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var entry in entries.Where(e => e.Kind != LayerPlan.EntryKind.Directory))
            layerOf[entry.Path] = claims.TryGetValue(Relative(entry.Path), out var layer) ? layer : Project;

        // A folder goes with the files below it; a folder with none (empty) stays with the project.
        var folders = new Dictionary<string, SortedSet<string>>(StringComparer.Ordinal);
        foreach (var (path, layer) in layerOf)
            for (var slash = path.LastIndexOf('/'); slash > 0; slash = path.LastIndexOf('/', slash - 1))
            {
                var folder = path[..slash];
                if (!folders.TryGetValue(folder, out var set)) folders[folder] = set = new SortedSet<string>(StringComparer.Ordinal);
                set.Add(layer);
            }
        var groups = Order.ToDictionary(n => n, _ => new List<LayerPlan.Entry>());
        foreach (var entry in entries)
        {
            if (entry.Kind != LayerPlan.EntryKind.Directory) groups[layerOf[entry.Path]].Add(entry);
            else if (folders.TryGetValue(entry.Path, out var layers)) foreach (var layer in layers) groups[layer].Add(entry);
            else groups[Project].Add(entry);
        }
        return Order.Where(n => groups[n].Count > 0 && (n == Project || groups[n].Any(e => e.Kind != LayerPlan.EntryKind.Directory)))
            .Select(n => new Group(n, groups[n])).ToList();
    }

    /// <summary>The app's deps.json: the only one in the folder, or the one beside a runtimeconfig.json; null when there is none to go by.</summary>
    private static string? DepsJson(string publishDirectory, Action<string>? detail)
    {
        var candidates = Directory.EnumerateFiles(publishDirectory, "*.deps.json").Order(StringComparer.Ordinal).ToList();
        if (candidates.Count > 1)
            candidates = candidates.Where(c => File.Exists(c[..^".deps.json".Length] + ".runtimeconfig.json")).ToList();
        if (candidates.Count == 1) return candidates[0];
        detail?.Invoke(candidates.Count == 0
            ? $"App layers: no *.deps.json in {publishDirectory} (a single-file app?), so the app is one layer"
            : $"App layers: {candidates.Count} *.deps.json files with a runtimeconfig.json in {publishDirectory}, so the app is one layer");
        return null;
    }

    /// <summary>Publish-folder-relative path → layer, for every file a package or runtime pack brings.</summary>
    public static Dictionary<string, string> Claims(string depsJsonPath, string publishDirectory)
    {
        using var stream = File.OpenRead(depsJsonPath);
        using var deps = JsonDocument.Parse(stream, new JsonDocumentOptions { AllowTrailingCommas = true, CommentHandling = JsonCommentHandling.Skip });
        return Claims(deps.RootElement, relative => File.Exists(Path.Combine(publishDirectory, relative.Replace('/', Path.DirectorySeparatorChar))));
    }

    /// <param name="exists">Whether a publish-relative path is a file (RID-specific assets of a portable app keep their runtimes/… path).</param>
    public static Dictionary<string, string> Claims(JsonElement deps, Func<string, bool> exists)
    {
        var libraries = deps.GetProperty("libraries");
        var targets = deps.GetProperty("targets");
        var targetName = deps.TryGetProperty("runtimeTarget", out var runtimeTarget) && runtimeTarget.TryGetProperty("name", out var name) ? name.GetString() : null;
        var target = targetName is not null && targets.TryGetProperty(targetName, out var named) ? named
            : targets.EnumerateObject().Select(t => t.Value).FirstOrDefault();
        var claims = new Dictionary<string, string>(StringComparer.Ordinal);
        if (target.ValueKind != JsonValueKind.Object) return claims;
        void Claim(string path, string layer)
        {
            // A file two libraries name goes to the layer that changes more often, so a change to it never hides in a lower one.
            if (!claims.TryGetValue(path, out var other) || Array.IndexOf(Order, layer) > Array.IndexOf(Order, other)) claims[path] = layer;
        }
        foreach (var library in target.EnumerateObject())
        {
            var type = libraries.TryGetProperty(library.Name, out var info) && info.TryGetProperty("type", out var t) ? t.GetString() : null;
            var managed = type switch { "runtimepack" => Runtime, "package" => Packages, _ => null };
            if (managed is null) continue;
            var native = managed == Runtime ? Runtime : Native;
            foreach (var asset in Assets(library.Value, "runtime")) Claim(Placed(asset, exists), asset.StartsWith("runtimes/", StringComparison.Ordinal) ? native : managed);
            foreach (var asset in Assets(library.Value, "native")) Claim(Placed(asset, exists), native);
            foreach (var asset in Assets(library.Value, "runtimeTargets")) Claim(Placed(asset, exists), native);
            if (library.Value.TryGetProperty("resources", out var resources) && resources.ValueKind == JsonValueKind.Object)
                foreach (var resource in resources.EnumerateObject())
                    if (resource.Value.TryGetProperty("locale", out var locale) && locale.GetString() is { Length: > 0 } culture)
                        Claim($"{culture}/{FileName(resource.Name)}", managed);
        }
        foreach (var (path, layer) in claims.ToList())
            if (path.EndsWith(".dll", StringComparison.OrdinalIgnoreCase))
                foreach (var companion in new[] { ".pdb", ".xml" })
                {
                    var sibling = path[..^4] + companion;
                    if (!claims.ContainsKey(sibling) && exists(sibling)) claims[sibling] = layer;
                }
        return claims;
    }

    private static IEnumerable<string> Assets(JsonElement library, string section) =>
        library.TryGetProperty(section, out var assets) && assets.ValueKind == JsonValueKind.Object ? assets.EnumerateObject().Select(a => a.Name.Replace('\\', '/')) : [];

    /// <summary>Where publish put an asset: under its own relative path when that exists (runtimes/&lt;rid&gt;/… of a portable app), else by file name at the top.</summary>
    private static string Placed(string asset, Func<string, bool> exists) => exists(asset) ? asset : FileName(asset);

    private static string FileName(string path) => path[(path.LastIndexOf('/') + 1)..];

    public static AppLayerMode ParseMode(string? value) => (value ?? "").Trim().ToLowerInvariant() switch
    {
        "" or "split" => AppLayerMode.Split,
        "single" => AppLayerMode.Single,
        _ => throw Messages.BAKE502("BakeryAppLayers", value, "use Split (layers by change rate, the default) or Single (one app layer)").Exception(),
    };
}
