using System.Text.Json;
using Bakery.Oci.Layers;

namespace Bakery.Core.Verification;

/// <summary>
/// The merged filesystem of an image's layers, for daemonless checks: each layer is read once with
/// <see cref="SafeLayerReader"/> into an index (cached by layer digest, so a rebake only reads new
/// layers), whiteouts and opaque whiteouts are applied bottom-up, and symbolic links are resolved
/// inside the image root, never on the host.
/// </summary>
public sealed class ImageFilesystem
{
    public sealed record Node(string Path, LayerEntryType Type, int Mode, int Uid, int Gid, string? LinkTarget, long Size, int Layer);

    private readonly SortedDictionary<string, Node> _nodes = new(StringComparer.Ordinal);
    private readonly IReadOnlyList<(string Digest, string Path)> _layers;
    private readonly string _cache;

    private ImageFilesystem(IReadOnlyList<(string Digest, string Path)> layers, string cache) => (_layers, _cache) = (layers, cache);

    public IEnumerable<Node> Nodes => _nodes.Values;

    /// <param name="layers">Layer blob files, bottom first, with their digests (the index cache key).</param>
    public static ImageFilesystem Load(IReadOnlyList<(string Digest, string Path)> layers, string indexCache)
    {
        var fs = new ImageFilesystem(layers, indexCache);
        for (var i = 0; i < layers.Count; i++)
            foreach (var entry in Index(layers[i].Digest, layers[i].Path, indexCache)) fs.Apply(entry with { Layer = i });
        return fs;
    }

    private void Apply(Node entry)
    {
        var slash = entry.Path.LastIndexOf('/');
        var parent = slash < 0 ? "" : entry.Path[..slash];
        var name = entry.Path[(slash + 1)..];
        if (name == ".wh..wh..opq")
        {
            RemoveBelow(parent, keepSelf: true, entry.Layer);
            return;
        }
        if (name.StartsWith(".wh.", StringComparison.Ordinal))
        {
            RemoveBelow(parent.Length == 0 ? name[4..] : $"{parent}/{name[4..]}", keepSelf: false, entry.Layer);
            return;
        }
        if (entry.Type != LayerEntryType.Directory && _nodes.TryGetValue(entry.Path, out var old) && old.Type == LayerEntryType.Directory)
            RemoveBelow(entry.Path, keepSelf: false, entry.Layer);
        _nodes[entry.Path] = entry;
    }

    /// <summary>Removes a path and what lies below it, as far as lower layers put it there.</summary>
    private void RemoveBelow(string path, bool keepSelf, int layer)
    {
        var prefix = path.Length == 0 ? "" : path + "/";
        foreach (var key in _nodes.Keys.Where(k => k.StartsWith(prefix, StringComparison.Ordinal) && _nodes[k].Layer < layer).ToList()) _nodes.Remove(key);
        if (!keepSelf && _nodes.TryGetValue(path, out var self) && self.Layer < layer) _nodes.Remove(path);
    }

    /// <summary>The node at <paramref name="path"/> after following symbolic links inside the image; null when absent.</summary>
    public Node? Resolve(string path, bool followLast = true)
    {
        var parts = new Queue<string>(Split(path));
        var resolved = new List<string>();
        for (var hops = 0; parts.Count > 0;)
        {
            var part = parts.Dequeue();
            if (part == "..") { if (resolved.Count > 0) resolved.RemoveAt(resolved.Count - 1); continue; }
            resolved.Add(part);
            var current = string.Join('/', resolved);
            if (!_nodes.TryGetValue(current, out var node))
            {
                if (parts.Count == 0) return null;
                continue; // an implicit directory (a lower layer's parent that the layer did not list)
            }
            if (node.Type == LayerEntryType.SymbolicLink && (parts.Count > 0 || followLast))
            {
                if (++hops > 40) return null;
                resolved.RemoveAt(resolved.Count - 1);
                if (node.LinkTarget!.StartsWith('/')) resolved.Clear();
                var rest = parts.ToList();
                parts = new Queue<string>(Split(node.LinkTarget!).Concat(rest));
                continue;
            }
            if (parts.Count == 0)
                return node.Type == LayerEntryType.HardLink && _nodes.TryGetValue(node.LinkTarget!, out var target) ? target : node;
        }
        var final = string.Join('/', resolved);
        return final.Length == 0 ? new Node("", LayerEntryType.Directory, 0x1ED, 0, 0, null, 0, -1) : _nodes.GetValueOrDefault(final);
    }

    public bool DirectoryHasEntries(string path) =>
        _nodes.Keys.Any(k => k.StartsWith(path.TrimEnd('/') + "/", StringComparison.Ordinal));

    public IEnumerable<string> ChildrenOf(string directory)
    {
        var prefix = directory.Trim('/') + "/";
        return _nodes.Keys.Where(k => k.StartsWith(prefix, StringComparison.Ordinal) && k.IndexOf('/', prefix.Length) < 0);
    }

    /// <summary>
    /// A regular file's content (at most <paramref name="limit"/> bytes), read again from the layer
    /// that wrote it; cached by layer digest and path, since layers never change.
    /// </summary>
    public byte[]? ReadFile(Node node, int limit = 16 << 20)
    {
        if (node.Type != LayerEntryType.File || node.Layer < 0) return null;
        var (digest, path) = _layers[node.Layer];
        var cached = Path.Combine(_cache, "files", digest.Replace(':', '-') + "-" + Oci.Layers.LayerIndex.KeyOf(node.Path)[..32]);
        if (File.Exists(cached)) return File.ReadAllBytes(cached);
        byte[]? content = null;
        using (var stream = File.OpenRead(path))
            SafeLayerReader.Read(stream, new LayerReadLimits { AllowDevices = true }, (entry, data) =>
            {
                if (entry.Path != node.Path || data is null) return;
                var buffer = new MemoryStream();
                data.CopyTo(buffer);
                content = buffer.Length > limit ? buffer.ToArray()[..limit] : buffer.ToArray();
            });
        if (content is not null) Oci.AtomicFile.WriteAllBytes(cached, content);
        return content;
    }

    private static IEnumerable<string> Split(string path) => path.Split('/', StringSplitOptions.RemoveEmptyEntries).Where(p => p != ".");

    private static List<Node> Index(string digest, string layerPath, string cacheDirectory)
    {
        var cache = Path.Combine(cacheDirectory, digest.Replace(':', '-') + ".json");
        if (File.Exists(cache))
        {
            var cached = JsonSerializer.Deserialize<List<Node>>(File.ReadAllText(cache));
            if (cached is not null) return cached;
        }
        var nodes = new List<Node>();
        using (var stream = File.OpenRead(layerPath))
            SafeLayerReader.Read(stream, new LayerReadLimits { AllowDevices = true }, (e, _) =>
                nodes.Add(new Node(e.Path, e.Type, e.Mode, e.Uid, e.Gid, e.LinkTarget, e.Size, 0)));
        Oci.AtomicFile.WriteAllText(cache, JsonSerializer.Serialize(nodes));
        return nodes;
    }
}
