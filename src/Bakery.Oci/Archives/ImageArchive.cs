using System.Text.Json;
using System.Text.Json.Nodes;
using Bakery.Oci.Layers;
using Bakery.Oci.Model;

namespace Bakery.Oci.Archives;

/// <summary>
/// Opens an image saved as a file: a docker-archive (`docker save`, manifest.json) or an OCI image
/// layout (oci-layout + index.json + blobs/), plain or gzip-compressed. The archive is unpacked with
/// the same safe reader as layers, every blob is checked against its digest, and the result is a
/// <see cref="LocalImage"/> whose layers are files under the work folder.
/// </summary>
public static class ImageArchive
{
    public static LocalImage Open(string archivePath, string workDirectory, Platform? platform = null)
    {
        if (!File.Exists(archivePath)) throw new ImageArchiveException(archivePath, "the file does not exist");
        Directory.CreateDirectory(workDirectory);
        var files = Unpack(archivePath, workDirectory);
        try
        {
            if (files.ContainsKey("oci-layout") && files.ContainsKey("index.json"))
                return OpenOciLayout(archivePath, workDirectory, files, platform ?? Platform.LinuxAmd64);
            if (files.ContainsKey("manifest.json")) return OpenDockerArchive(archivePath, workDirectory, files);
        }
        catch (Exception e) when (e is JsonException or FormatException or InvalidOperationException)
        {
            throw new ImageArchiveException(archivePath, $"a manifest or config in it is malformed ({e.Message})", e);
        }
        throw new ImageArchiveException(archivePath, "it has neither index.json + oci-layout (OCI image layout) nor manifest.json (docker save)");
    }

    /// <summary>Writes the archive's regular files under <paramref name="root"/>; returns each path with its digest.</summary>
    private static Dictionary<string, Digest> Unpack(string archivePath, string root)
    {
        var files = new Dictionary<string, Digest>(StringComparer.Ordinal);
        var links = new List<(string Path, string Target)>();
        try
        {
            using var input = File.OpenRead(archivePath);
            SafeLayerReader.Read(input, new LayerReadLimits(), (entry, content) =>
            {
                var path = LayerPlan.NormalizeImagePath(entry.Path); // "./index.json" and "index.json" are one file
                if (entry.Type == LayerEntryType.SymbolicLink) links.Add((path, entry.LinkTarget!));
                if (entry.Type != LayerEntryType.File || content is null) return;
                var target = Path.Combine(root, path);
                Directory.CreateDirectory(Path.GetDirectoryName(target)!);
                using var output = File.Create(target);
                using var hashing = new HashingStream(output, leaveOpen: true);
                content.CopyTo(hashing);
                files[path] = hashing.GetDigest();
            });
        }
        catch (Exception e) when (e is UnsafeLayerException or ArgumentException)
        {
            throw new ImageArchiveException(archivePath, e.Message, e);
        }
        // docker save links repeated layers to the first copy; the reader has checked links stay inside.
        foreach (var (path, target) in links)
        {
            var resolved = Path.GetRelativePath(root, Path.GetFullPath(Path.Combine(root, Path.GetDirectoryName(path) ?? "", target))).Replace('\\', '/');
            if (files.TryGetValue(resolved, out var digest))
            {
                Directory.CreateDirectory(Path.GetDirectoryName(Path.Combine(root, path))!);
                File.Copy(Path.Combine(root, resolved), Path.Combine(root, path), overwrite: true);
                files[path] = digest;
            }
        }
        return files;
    }

    private static LocalImage OpenOciLayout(string archive, string root, Dictionary<string, Digest> files, Platform platform)
    {
        var index = ImageManifest.Parse(File.ReadAllBytes(Path.Combine(root, "index.json")));
        var candidates = index.Manifests ?? [];
        string? name = null;
        while (true)
        {
            var chosen = candidates.Count == 1 ? candidates[0]
                : new ImageManifest { Manifests = candidates }.ManifestFor(platform)
                ?? throw new ImageArchiveException(archive, candidates.Count == 0
                    ? "index.json lists no manifest"
                    : $"index.json lists {candidates.Count} manifests and none is for {platform}");
            name ??= chosen.Annotations?.GetValueOrDefault("org.opencontainers.image.ref.name");
            var bytes = ReadBlob(archive, root, files, chosen.ParsedDigest);
            var manifest = ImageManifest.Parse(bytes);
            if (MediaTypes.IsIndex(manifest.MediaType ?? chosen.MediaType))
            {
                candidates = manifest.Manifests ?? [];
                continue;
            }
            if (manifest.Config is null || manifest.Layers is null)
                throw new ImageArchiveException(archive, $"{chosen.Digest} is not an image manifest");
            var config = ReadBlob(archive, root, files, manifest.Config.ParsedDigest);
            var layers = manifest.Layers.Select(l =>
            {
                ReadBlob(archive, root, files, l.ParsedDigest, load: false);
                return (l.Digest, BlobPath(root, l.ParsedDigest));
            }).ToList();
            return new LocalImage(name ?? Path.GetFileName(archive), chosen.ParsedDigest, manifest.MediaType ?? chosen.MediaType,
                manifest.Config.ParsedDigest, config, layers, archive);
        }
    }

    private static LocalImage OpenDockerArchive(string archive, string root, Dictionary<string, Digest> files)
    {
        var entries = JsonNode.Parse(File.ReadAllText(Path.Combine(root, "manifest.json"))) as JsonArray
            ?? throw new ImageArchiveException(archive, "manifest.json is not a JSON array");
        if (entries.Count != 1)
            throw new ImageArchiveException(archive, $"manifest.json lists {entries.Count} images; save one image per archive");
        var entry = entries[0]!;
        var configPath = Member(archive, files, (string?)entry["Config"], "Config");
        var layerPaths = (entry["Layers"] as JsonArray ?? throw new ImageArchiveException(archive, "manifest.json has no Layers"))
            .Select(l => Member(archive, files, (string?)l, "Layers")).ToList();
        var config = File.ReadAllBytes(Path.Combine(root, configPath));
        var diffIds = ImageConfig.Parse(config).DiffIds;
        if (diffIds.Count != layerPaths.Count)
            throw new ImageArchiveException(archive, $"the config lists {diffIds.Count} layer(s) but manifest.json has {layerPaths.Count}");
        var layers = new List<(string Digest, string Path)>();
        for (var i = 0; i < layerPaths.Count; i++)
        {
            var digest = files[layerPaths[i]];
            if (!IsGzip(Path.Combine(root, layerPaths[i])) && digest.ToString() != diffIds[i])
                throw new ImageArchiveException(archive, $"layer {layerPaths[i]} has digest {digest}, but the config says {diffIds[i]}");
            layers.Add((digest.ToString(), Path.Combine(root, layerPaths[i])));
        }
        var name = (entry["RepoTags"] as JsonArray)?.FirstOrDefault()?.GetValue<string>() ?? Path.GetFileName(archive);
        return new LocalImage(name, null, MediaTypes.DockerManifest, files[configPath], config, layers, archive);
    }

    private static string Member(string archive, Dictionary<string, Digest> files, string? path, string field) =>
        path is not null && files.ContainsKey(path)
            ? path
            : throw new ImageArchiveException(archive, $"manifest.json's {field} names '{path}', which is not in the archive");

    private static byte[] ReadBlob(string archive, string root, Dictionary<string, Digest> files, Digest digest, bool load = true)
    {
        var relative = $"blobs/{digest.Algorithm}/{digest.Hex}";
        if (!files.TryGetValue(relative, out var actual))
            throw new ImageArchiveException(archive, $"blob {digest} is missing");
        if (actual != digest)
            throw new ImageArchiveException(archive, $"blob {relative} has digest {actual}: the archive is corrupt");
        return load ? File.ReadAllBytes(BlobPath(root, digest)) : [];
    }

    private static string BlobPath(string root, Digest digest) => Path.Combine(root, "blobs", digest.Algorithm, digest.Hex);

    private static bool IsGzip(string path)
    {
        using var stream = File.OpenRead(path);
        return stream.ReadByte() == 0x1f && stream.ReadByte() == 0x8b;
    }
}

/// <summary>An image archive that cannot be used: what is wrong with it.</summary>
public sealed class ImageArchiveException(string archive, string problem, Exception? inner = null)
    : Exception($"{archive} is not a usable image archive: {problem}.", inner)
{
    public string Archive { get; } = archive;
    public string Problem { get; } = problem;
}
