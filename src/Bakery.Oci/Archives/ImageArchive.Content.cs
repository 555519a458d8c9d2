using System.Text.Json.Nodes;
using Bakery.Oci.Layers;
using Bakery.Oci.Model;

namespace Bakery.Oci.Archives;

/// <summary>A manifest or index in an archive: its exact bytes (they are its digest) and what they say.</summary>
public sealed record ArchiveManifest(byte[] Bytes, Digest Digest, string MediaType, ImageManifest Parsed)
{
    public OciDescriptor Descriptor => new() { MediaType = MediaType, Digest = Digest.ToString(), Size = Bytes.Length };
}

/// <summary>
/// Everything needed to push an archived image as it is: the root (an image manifest, or an index of
/// per-platform manifests), the manifests below it in push order (children first), every blob as a
/// digest-checked file, and the names the archive gives it.
/// </summary>
/// <param name="Names">What the archive calls the image: docker-archive RepoTags (<c>[registry/]repository:tag</c>), or an OCI entry's tags and name.</param>
public sealed record ArchiveContent(string ArchivePath, ImageArchiveFormat Format, ArchiveManifest Root, IReadOnlyList<ArchiveManifest> Children,
    IReadOnlyDictionary<Digest, string> Blobs, string? Repository, IReadOnlyList<string> Tags);

public static partial class ImageArchive
{
    /// <summary>
    /// Opens an archive to be pushed. Every blob is checked against its digest and descriptor size
    /// (as <see cref="Open"/> does), an index's child manifests too; a docker-archive, which has no
    /// manifest, gets one built from its config and layers (<see cref="DockerArchiveManifest"/>) after
    /// each layer's uncompressed digest was checked against the config's diff ids. On any failure the
    /// work folder is removed.
    /// </summary>
    public static ArchiveContent OpenContent(string archivePath, string workDirectory)
    {
        if (!File.Exists(archivePath)) throw new ImageArchiveException(archivePath, "the file does not exist");
        var created = !Directory.Exists(workDirectory);
        try
        {
            Directory.CreateDirectory(workDirectory);
            var files = Unpack(archivePath, workDirectory);
            if (files.ContainsKey("oci-layout") && files.ContainsKey("index.json")) return OciContent(archivePath, workDirectory, files);
            if (files.ContainsKey("manifest.json")) return DockerContent(archivePath, workDirectory, files);
            throw new ImageArchiveException(archivePath, "it has neither index.json + oci-layout (OCI image layout) nor manifest.json (docker save)");
        }
        catch (Exception e)
        {
            RemoveQuietly(workDirectory, created);
            if (e is ImageArchiveException) throw;
            throw e switch
            {
                UnsafeLayerException unsafeEntry => new ImageArchiveException(archivePath, unsafeEntry.Message.TrimEnd('.'), e),
                System.Text.Json.JsonException or FormatException or InvalidOperationException or KeyNotFoundException or InvalidCastException or ArgumentException
                    => new ImageArchiveException(archivePath, $"a manifest or config in it is malformed ({e.Message.TrimEnd('.')})", e),
                IOException or UnauthorizedAccessException => new ImageArchiveException(archivePath, $"it cannot be read or unpacked ({e.Message.TrimEnd('.')})", e),
                _ => e,
            };
        }
    }

    private static ArchiveContent OciContent(string archive, string root, Dictionary<string, Digest> files)
    {
        var index = ImageManifest.Parse(File.ReadAllBytes(Path.Combine(root, "index.json")));
        var entries = index.Manifests ?? [];
        if (entries.Count == 0) throw new ImageArchiveException(archive, "index.json lists no manifest");
        if (entries.Select(e => e.Digest).Distinct(StringComparer.Ordinal).Count() > 1)
            throw new ImageArchiveException(archive, $"index.json lists {entries.Count} different images; push one image (or one index of platforms) per archive");
        var blobs = new Dictionary<Digest, string>();
        var children = new List<ArchiveManifest>();
        var rootManifest = Manifest(archive, root, files, entries[0], blobs, children, depth: 0);
        var annotations = entries.SelectMany(e => e.Annotations ?? []).ToList();
        string? Annotation(string key) => annotations.FirstOrDefault(a => a.Key == key).Value;
        var tags = Annotation("dev.bakery.image.tags") is { Length: > 0 } all
            ? all.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).ToList()
            : entries.Select(e => e.Annotations?.GetValueOrDefault("org.opencontainers.image.ref.name")).OfType<string>()
                .Select(r => r.Contains(':') ? r[(r.LastIndexOf(':') + 1)..] : r).Distinct(StringComparer.Ordinal).ToList();
        var name = Annotation("io.containerd.image.name");
        var repository = name is null ? null : RepositoryOf(name);
        return new ArchiveContent(archive, ImageArchiveFormat.Oci, rootManifest, children, blobs, repository, tags);
    }

    /// <summary>Reads and checks a manifest (or an index and, depth first, everything below it); collects the blobs it names.</summary>
    private static ArchiveManifest Manifest(string archive, string root, Dictionary<string, Digest> files, OciDescriptor descriptor,
        Dictionary<Digest, string> blobs, List<ArchiveManifest> children, int depth)
    {
        if (depth > 8) throw new ImageArchiveException(archive, "its indexes nest more than 8 deep");
        var bytes = ReadBlob(archive, root, files, descriptor);
        var parsed = ImageManifest.Parse(bytes);
        var manifest = new ArchiveManifest(bytes, descriptor.ParsedDigest, parsed.MediaType ?? descriptor.MediaType, parsed);
        if (parsed.IsIndex(manifest.MediaType))
        {
            foreach (var child in parsed.Manifests ?? [])
                children.Add(Manifest(archive, root, files, child, blobs, children, depth + 1));
            return manifest;
        }
        if (parsed.Config is null) throw new ImageArchiveException(archive, $"{descriptor.Digest} is neither an image manifest nor an index");
        ReadBlob(archive, root, files, parsed.Config, load: false);
        blobs[parsed.Config.ParsedDigest] = BlobPath(root, parsed.Config.ParsedDigest);
        foreach (var layer in parsed.Layers ?? [])
        {
            ReadBlob(archive, root, files, layer, load: false);
            blobs[layer.ParsedDigest] = BlobPath(root, layer.ParsedDigest);
        }
        return manifest;
    }

    private static ArchiveContent DockerContent(string archive, string root, Dictionary<string, Digest> files)
    {
        var image = OpenDockerArchive(archive, root, files);
        var configPath = Path.Combine(root, Member(archive, files, (string?)((JsonNode.Parse(File.ReadAllText(Path.Combine(root, "manifest.json"))) as JsonArray)![0]!["Config"]), "Config"));
        var blobs = new Dictionary<Digest, string> { [image.ConfigDigest] = configPath };
        var layers = new List<(Digest Digest, long Size, LayerCompression Compression)>();
        foreach (var layer in image.Layers)
        {
            var compression = CheckDiffId(archive, layer);
            var digest = Digest.Parse(layer.Digest);
            blobs[digest] = layer.Path;
            layers.Add((digest, new FileInfo(layer.Path).Length, compression));
        }
        var manifest = DockerArchiveManifest(image.ConfigDigest, image.ConfigBytes.Length, layers);
        var bytes = manifest.ToBytes();
        var names = (JsonNode.Parse(File.ReadAllText(Path.Combine(root, "manifest.json"))) as JsonArray)![0]!["RepoTags"] as JsonArray;
        var repoTags = names?.Select(n => n?.GetValue<string>()).OfType<string>().ToList() ?? [];
        var repository = repoTags.Select(RepositoryOf).FirstOrDefault();
        var tags = repoTags.Where(t => RepositoryOf(t) == repository).Select(t => t[(t.LastIndexOf(':') + 1)..]).ToList();
        return new ArchiveContent(archive, ImageArchiveFormat.Docker, new ArchiveManifest(bytes, Digest.Compute(bytes), manifest.MediaType!, manifest), [], blobs, repository, tags);
    }

    /// <summary>
    /// The manifest of a docker-archive image, which the archive itself does not carry. Chosen so the
    /// same archive always gives the same digest and no byte is recompressed: Docker's schema 2 (the
    /// format docker-archive images are pushed in by docker and skopeo) when every layer is gzip, the
    /// only layer compression that schema defines; otherwise OCI, which names plain tar, gzip and zstd
    /// layers. Layers are listed as stored, with their file sizes.
    /// </summary>
    public static ImageManifest DockerArchiveManifest(Digest config, long configSize, IReadOnlyList<(Digest Digest, long Size, LayerCompression Compression)> layers)
    {
        var docker = layers.All(l => l.Compression == LayerCompression.Gzip);
        return new ImageManifest
        {
            SchemaVersion = 2,
            MediaType = docker ? MediaTypes.DockerManifest : MediaTypes.OciManifest,
            Config = new OciDescriptor { MediaType = docker ? MediaTypes.DockerConfig : MediaTypes.OciConfig, Digest = config.ToString(), Size = configSize },
            Layers = layers.Select(l => new OciDescriptor
            {
                MediaType = docker ? MediaTypes.DockerLayerGzip : l.Compression switch
                {
                    LayerCompression.Gzip => MediaTypes.OciLayerGzip,
                    LayerCompression.Zstd => MediaTypes.OciLayerZstd,
                    _ => MediaTypes.OciLayerTar,
                },
                Digest = l.Digest.ToString(),
                Size = l.Size,
            }).ToList(),
        };
    }

    /// <summary>A docker-archive layer's uncompressed digest must be the config's diff id (a plain layer was checked on opening).</summary>
    private static LayerCompression CheckDiffId(string archive, LayerFile layer)
    {
        using var file = File.OpenRead(layer.Path);
        var head = new byte[6];
        var read = file.ReadAtLeast(head, head.Length, throwOnEndOfStream: false);
        var what = LayerMediaTypes.Sniff(head.AsSpan(0, read), out var sniffed);
        if (sniffed is not { } compression)
            throw new ImageArchiveException(archive, $"layer {Path.GetFileName(layer.Path)} is {what}-compressed; layers are tar, plain, gzip or zstd");
        file.Position = 0;
        if (compression == LayerCompression.None) return compression;
        using Stream plain = compression == LayerCompression.Gzip
            ? new System.IO.Compression.GZipStream(file, System.IO.Compression.CompressionMode.Decompress, leaveOpen: true)
            : new ZstdSharp.DecompressionStream(file, leaveOpen: true);
        using var hashing = new HashingStream(Stream.Null, leaveOpen: false);
        plain.CopyTo(hashing, 1 << 16);
        if (hashing.GetDigest().ToString() != layer.DiffId)
            throw new ImageArchiveException(archive, $"layer {Path.GetFileName(layer.Path)} decompresses to {hashing.GetDigest()}, but the config says {layer.DiffId}");
        return compression;
    }

    /// <summary>"registry/team/app:1.0" → "registry/team/app"; a ':' before the last '/' is a registry port, not a tag.</summary>
    private static string RepositoryOf(string name)
    {
        var colon = name.LastIndexOf(':');
        return colon > name.LastIndexOf('/') ? name[..colon] : name;
    }
}
