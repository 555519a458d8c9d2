using Bakery.Oci.Layers;

namespace Bakery.Core.Verification;

/// <summary>
/// The merged filesystem of an image's layers as a container of it sees it (containerd's applier on
/// overlayfs), for daemonless checks, the SBOM and owner look-ups. Each layer is read once with
/// <see cref="SafeLayerReader"/> into an index (cached by layer digest, so a rebake only reads new
/// layers; the read checks the blob's media type, size and diff id). Layers are applied bottom-up as
/// the runtime applies them: an entry's parent directories are resolved through symbolic links
/// inside the root and created when missing, an entry replaces what was at its path (a directory
/// over a directory merges), whiteouts and opaque directories hide lower layers only, and a hard
/// link is the file it links to, in this layer or a lower one. Nothing is ever written to the host
/// but the index cache.
/// </summary>
public sealed class ImageFilesystem
{
    /// <summary>
    /// One path of the merged view. <see cref="Layer"/> is the layer whose data it shows (-1 for the
    /// root when no layer set it); a regular file's bytes are entry <see cref="Ordinal"/> of that
    /// layer (a hard link's are its target's). A symbolic link's mode is its own (0777), never its
    /// target's.
    /// </summary>
    public sealed record Node(string Path, LayerEntryType Type, int Mode, int Uid, int Gid, string? LinkTarget, long Size, int Layer)
    {
        /// <summary>The entry's position in its layer, for reading its content again.</summary>
        public int Ordinal { get; init; } = -1;

        /// <summary>A directory no layer listed: created for an entry below it, mode 0755, owned by root.</summary>
        public bool Implied { get; init; }
    }

    /// <summary>A hazard an accepted layer entry carries, with the layer it is in.</summary>
    public sealed record LayerHazardAt(int Layer, string LayerDigest, LayerHazard Hazard);

    private const int MaxHops = 40;
    private readonly Dictionary<string, Node> _nodes = new(StringComparer.Ordinal);
    private readonly Dictionary<string, HashSet<string>> _children = new(StringComparer.Ordinal);
    private readonly Dictionary<string, int> _inLayer = new(StringComparer.Ordinal);
    private readonly List<LayerHazardAt> _hazards = [];
    private readonly IReadOnlyList<LayerFile> _layers;
    private readonly string _cache;
    private readonly string _image;
    private LayerReadLimits? _limits;

    private ImageFilesystem(IReadOnlyList<LayerFile> layers, string cache, string image)
    {
        (_layers, _cache, _image) = (layers, cache, image);
        _nodes[""] = new Node("", LayerEntryType.Directory, 0x1ED, 0, 0, null, 0, -1);
        _children[""] = new HashSet<string>(StringComparer.Ordinal);
    }

    /// <summary>Every path of the merged view but the root, in ordinal order.</summary>
    public IEnumerable<Node> Nodes => _nodes.Values.Where(n => n.Path.Length > 0).OrderBy(n => n.Path, StringComparer.Ordinal);

    /// <summary>Accepted but notable entries (setuid, devices, xattrs, …), in layer order.</summary>
    public IReadOnlyList<LayerHazardAt> Hazards => _hazards;

    /// <param name="layers">Layer blob files, bottom first, with their digests (the index cache key).</param>
    public static ImageFilesystem Load(IReadOnlyList<(string Digest, string Path)> layers, string indexCache) =>
        Load(layers.Select(l => new LayerFile(l.Digest, l.Path)).ToList(), indexCache);

    /// <summary>
    /// The merged view of <paramref name="layers"/> (bottom first). A layer that is unsafe, does not
    /// match its media type, size or diff id, or cannot be read is a <see cref="BakeryException"/>
    /// (BAKE320–BAKE323) naming <paramref name="image"/>, the layer and the entry.
    /// </summary>
    public static ImageFilesystem Load(IReadOnlyList<LayerFile> layers, string indexCache, string? image = null, LayerReadLimits? limits = null)
    {
        var fs = new ImageFilesystem(layers, indexCache, image ?? "the image") { _limits = limits };
        for (var i = 0; i < layers.Count; i++)
        {
            var layer = layers[i];
            try
            {
                var index = LayerFileIndex.Load(layer, indexCache, limits);
                fs._hazards.AddRange(index.Hazards.Select(h => new LayerHazardAt(i, layer.Digest, h)));
                foreach (var entry in index.Entries) fs.Apply(entry, i);
            }
            catch (UnsafeLayerException e)
            {
                throw LayerErrors.Refused(fs._image, layer.Digest, e);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                throw LayerErrors.Unreadable(fs._image, layer, e);
            }
        }
        return fs;
    }

    private void Apply(LayerEntry entry, int layer)
    {
        if (entry.Path.Length == 0)
        {
            _nodes[""] = _nodes[""] with { Mode = entry.Mode, Uid = entry.Uid, Gid = entry.Gid, Layer = layer };
            return;
        }
        var (parentPath, name) = LayerPaths.Split(entry.Path);
        var parent = Directory(parentPath, layer, entry.Path);
        if (name.StartsWith(".wh.", StringComparison.Ordinal))
        {
            if (name == ".wh..wh..opq") HideLower(parent, layer, keepSelf: true);
            else if (!name.StartsWith(".wh..wh.", StringComparison.Ordinal)) HideLower(LayerPaths.Join(parent, name[4..]), layer, keepSelf: false);
            return; // other .wh..wh. names are aufs metadata, which runtimes skip
        }
        var path = LayerPaths.Join(parent, name);
        if (_nodes.TryGetValue(path, out var existing) && !(existing.Type == LayerEntryType.Directory && entry.Type == LayerEntryType.Directory))
            Remove(path);
        var node = entry.Type switch
        {
            LayerEntryType.File => new Node(path, LayerEntryType.File, entry.Mode, entry.Uid, entry.Gid, null, entry.Size, layer) { Ordinal = entry.Ordinal },
            LayerEntryType.SymbolicLink => new Node(path, LayerEntryType.SymbolicLink, 0x1FF, entry.Uid, entry.Gid, entry.LinkTarget, LayerNames.ByteCount(entry.LinkTarget!), layer),
            LayerEntryType.HardLink => HardLink(entry, path, layer),
            _ => new Node(path, entry.Type, entry.Mode, entry.Uid, entry.Gid, null, 0, layer) { Ordinal = entry.Ordinal },
        };
        Add(node, layer);
    }

    /// <summary>A hard link is the node it links to under another name (its target resolved as the applier resolves it).</summary>
    private Node HardLink(LayerEntry entry, string path, int layer)
    {
        var (targetParent, targetName) = LayerPaths.Split(entry.LinkTarget!);
        var resolvedParent = Walk(targetParent, layer, create: false, entry.Path);
        if (resolvedParent is null || !_nodes.TryGetValue(LayerPaths.Join(resolvedParent, targetName), out var target))
            throw new UnsafeLayerException(LayerProblem.HardlinkEscape, entry.Path,
                $"The hard link target '{LayerNames.Escape(entry.LinkTarget)}' is neither an earlier entry of this layer nor a file of a lower layer.");
        if (target.Type == LayerEntryType.Directory)
            throw new UnsafeLayerException(LayerProblem.HardlinkEscape, entry.Path, $"The hard link target '{LayerNames.Escape(entry.LinkTarget)}' is a directory.");
        return target with { Path = path, Implied = false };
    }

    private void Add(Node node, int layer)
    {
        var isNew = !_nodes.ContainsKey(node.Path);
        _nodes[node.Path] = node;
        _inLayer[node.Path] = layer;
        if (isNew) _children[LayerPaths.Split(node.Path).Parent].Add(node.Path);
        if (node.Type == LayerEntryType.Directory) _children.TryAdd(node.Path, new HashSet<string>(StringComparer.Ordinal));
    }

    private void Remove(string path)
    {
        if (!_nodes.Remove(path)) return;
        _inLayer.Remove(path);
        if (_children.TryGetValue(LayerPaths.Split(path).Parent, out var siblings)) siblings.Remove(path);
        if (_children.Remove(path, out var children))
            foreach (var child in children.ToList()) Remove(child);
    }

    /// <summary>A whiteout hides what lower layers put at a path; an opaque directory hides everything lower layers put under it.</summary>
    private void HideLower(string path, int layer, bool keepSelf)
    {
        if (!_nodes.ContainsKey(path)) return;
        if (!keepSelf && _inLayer.GetValueOrDefault(path) < layer)
        {
            Remove(path);
            return;
        }
        foreach (var child in _children.GetValueOrDefault(path)?.ToList() ?? [])
            HideLower(child, layer, keepSelf: false);
    }

    /// <summary>
    /// The directory an entry's parent path names after symbolic links (inside the root), creating
    /// missing directories as the applier does; a parent that is a file refuses the layer.
    /// </summary>
    private string Directory(string path, int layer, string entry)
    {
        // A directory node only ever exists at a resolved path, so a parent that is one needs no walk;
        // its ancestors are marked as part of this layer once.
        if (path.Length == 0) return path;
        if (_nodes.TryGetValue(path, out var node) && node.Type == LayerEntryType.Directory)
        {
            if (_markedLayer != layer) (_markedLayer, _marked) = (layer, new HashSet<string>(StringComparer.Ordinal));
            for (var dir = path; dir.Length > 0 && _marked.Add(dir); dir = LayerPaths.Split(dir).Parent) _inLayer[dir] = layer;
            return path;
        }
        return Walk(path, layer, create: true, entry)!;
    }

    private int _markedLayer = -1;
    private HashSet<string> _marked = new(StringComparer.Ordinal);

    /// <summary>
    /// Follows <paramref name="path"/> component by component, every symbolic link resolved inside
    /// the root ('..' stops at the root, as in a chroot). With <paramref name="create"/>, missing
    /// directories are created and marked as part of <paramref name="layer"/>; without, null when
    /// something is missing.
    /// </summary>
    private string? Walk(string path, int layer, bool create, string entry)
    {
        var pending = new Stack<string>(Parts(path).Reverse());
        var resolved = new List<string>();
        var hops = 0;
        while (pending.Count > 0)
        {
            var part = pending.Pop();
            if (part == "..") { if (resolved.Count > 0) resolved.RemoveAt(resolved.Count - 1); continue; }
            var candidate = resolved.Count == 0 ? part : string.Join('/', resolved) + "/" + part;
            if (!_nodes.TryGetValue(candidate, out var node))
            {
                if (!create) return null;
                Add(new Node(candidate, LayerEntryType.Directory, 0x1ED, 0, 0, null, 0, layer) { Implied = true }, layer);
                resolved.Add(part);
                continue;
            }
            switch (node.Type)
            {
                case LayerEntryType.Directory:
                    if (create) _inLayer[candidate] = layer;
                    resolved.Add(part);
                    break;
                case LayerEntryType.SymbolicLink:
                    if (++hops > MaxHops)
                    {
                        if (!create) return null;
                        throw new UnsafeLayerException(LayerProblem.NotADirectory, entry, $"Resolving its parent '{LayerNames.Escape(path)}' meets more than {MaxHops} symbolic links.");
                    }
                    if (node.LinkTarget!.StartsWith('/')) resolved.Clear();
                    foreach (var p in Parts(node.LinkTarget).Reverse()) pending.Push(p);
                    break;
                default:
                    if (!create && pending.Count == 0)
                    {
                        resolved.Add(part); // a path to a file: only its parents must be directories
                        break;
                    }
                    if (!create) return null;
                    throw new UnsafeLayerException(LayerProblem.NotADirectory, entry,
                        $"Its parent '{LayerNames.Escape(candidate)}' is a {SafeLayerReader.Describe(node.Type)}, not a directory (the runtime cannot unpack it either).");
            }
        }
        return string.Join('/', resolved);
    }

    /// <summary>The node at <paramref name="path"/> after following symbolic links inside the image; null when absent.</summary>
    public Node? Resolve(string path, bool followLast = true)
    {
        var parts = Parts(path).ToList();
        if (parts.Count > 0 && parts[^1] == "..") // "a/.." is a directory walk, not a last name
        {
            var parent = Walk(string.Join('/', parts), -1, create: false, path);
            return parent is null ? null : _nodes.GetValueOrDefault(parent);
        }
        if (parts.Count == 0) return _nodes[""];
        var dir = Walk(string.Join('/', parts.Take(parts.Count - 1)), -1, create: false, path);
        if (dir is null || !_nodes.TryGetValue(LayerPaths.Join(dir, parts[^1]), out var node)) return null;
        if (!followLast || node.Type != LayerEntryType.SymbolicLink) return node;
        var full = Walk(LayerPaths.Join(dir, parts[^1]), -1, create: false, path);
        return full is null ? null : _nodes.GetValueOrDefault(full);
    }

    public bool DirectoryHasEntries(string path) =>
        Resolve(path) is { Type: LayerEntryType.Directory } dir && _children.TryGetValue(dir.Path, out var children) && children.Count > 0;

    /// <summary>The paths directly inside a directory (after following symbolic links to it), in ordinal order.</summary>
    public IEnumerable<string> ChildrenOf(string directory) =>
        Resolve(directory) is { Type: LayerEntryType.Directory } dir && _children.TryGetValue(dir.Path, out var children)
            ? children.Order(StringComparer.Ordinal).ToList()
            : [];

    /// <summary>
    /// A regular file's content as a stream, read again from the layer that holds it; memory stays
    /// bounded whatever the file's size. Null for anything but a regular file.
    /// </summary>
    public Stream? OpenFile(Node node)
    {
        if (node.Type != LayerEntryType.File || node.Layer < 0 || node.Layer >= _layers.Count) return null;
        var layer = _layers[node.Layer];
        try
        {
            return LayerFileIndex.OpenEntry(layer, node.Ordinal, node.Path, _limits);
        }
        catch (UnsafeLayerException e)
        {
            throw LayerErrors.Refused(_image, layer.Digest, e);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw LayerErrors.Unreadable(_image, layer, e);
        }
    }

    /// <summary>
    /// The content of many regular files with one pass over each layer that holds them (reading them
    /// one by one would read a layer again from its start for each). Nodes that share content (hard
    /// links) are given together; the stream is read in the callback, never kept.
    /// </summary>
    public void ReadFiles(IEnumerable<Node> nodes, Action<IReadOnlyList<Node>, Stream> read)
    {
        foreach (var layerGroup in nodes.Where(n => n.Type == LayerEntryType.File && n.Layer >= 0 && n.Layer < _layers.Count).GroupBy(n => n.Layer).OrderBy(g => g.Key))
        {
            var layer = _layers[layerGroup.Key];
            var wanted = layerGroup.GroupBy(n => n.Ordinal).ToDictionary(g => g.Key, g => (IReadOnlyList<Node>)g.ToList());
            try
            {
                using var file = new FileStream(layer.Path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16);
                using var reader = SafeLayerReader.Open(file, new LayerReadOptions { MediaType = layer.MediaType, Limits = _limits ?? new LayerReadLimits() });
                while (wanted.Count > 0 && reader.Next() is { } entry)
                    if (wanted.Remove(entry.Ordinal, out var group) && reader.Content is { } content) read(group, content);
            }
            catch (UnsafeLayerException e)
            {
                throw LayerErrors.Refused(_image, layer.Digest, e);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                throw LayerErrors.Unreadable(_image, layer, e);
            }
        }
    }

    /// <summary>
    /// A regular file's content, at most <paramref name="limit"/> bytes (the rest is never read into
    /// memory); cached by layer digest and entry (and limit, when it cuts the file short), since layers never change.
    /// Indexing a layer already kept the small files gates read (<see cref="LayerFileIndex"/>).
    /// </summary>
    public byte[]? ReadFile(Node node, int limit = 16 << 20)
    {
        if (node.Type != LayerEntryType.File || node.Layer < 0) return null;
        var digest = _layers[node.Layer].Digest;
        var cached = node.Size <= limit
            ? LayerFileIndex.ContentCachePath(_cache, digest, node.Ordinal)
            : Path.Combine(_cache, "files", $"{digest.Replace(':', '-')}-{node.Ordinal}-{limit}");
        if (File.Exists(cached)) return File.ReadAllBytes(cached);
        using var stream = OpenFile(node);
        if (stream is null) return null;
        var buffer = new byte[(int)Math.Min(limit, node.Size)];
        var read = stream.ReadAtLeast(buffer, buffer.Length, throwOnEndOfStream: false);
        var content = read == buffer.Length ? buffer : buffer[..read];
        Oci.AtomicFile.WriteAllBytes(cached, content);
        return content;
    }

    private static IEnumerable<string> Parts(string path) => path.Split('/', StringSplitOptions.RemoveEmptyEntries).Where(p => p != ".");
}
