using System.Formats.Tar;
using System.IO.Compression;
using System.Text;
using System.Text.Json.Nodes;
using Bakery.Oci.Model;

namespace Bakery.Oci.Archives;

/// <summary>The two archive formats engines and tools exchange images in.</summary>
public enum ImageArchiveFormat
{
    /// <summary><c>docker save</c>'s format: manifest.json with the config and layer files, repository tags; no manifest, no index.</summary>
    Docker,

    /// <summary>An OCI image layout (oci-layout, index.json, blobs/): manifests and indexes as pushed, so digests survive.</summary>
    Oci,
}

/// <summary>A blob an archive holds: its digest, size and where its bytes are (a file, or bytes in memory).</summary>
public sealed record ArchiveBlob(Digest Digest, long Size, string? Path, byte[]? Bytes = null)
{
    public static ArchiveBlob FromBytes(byte[] bytes) => new(Digest.Compute(bytes), bytes.Length, null, bytes);

    public static ArchiveBlob FromFile(string path, Digest digest) => new(digest, new FileInfo(path).Length, path);

    internal Stream Open() => Bytes is { } bytes ? new MemoryStream(bytes, writable: false)
        : new FileStream(Path!, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16);
}

/// <summary>One image for a docker-archive: its config, its layers bottom first and the names (<c>repository:tag</c>) it is loaded under.</summary>
public sealed record DockerArchiveImage(ArchiveBlob Config, IReadOnlyList<ArchiveBlob> Layers, IReadOnlyList<string> RepoTags);

/// <summary>
/// Writes image archives that <c>docker load</c>, <c>podman load</c>, skopeo (<c>docker-archive:</c>,
/// <c>oci-archive:</c>) and <see cref="ImageArchive"/> read. Deterministic: entries in a fixed order,
/// ustar headers with owner 0:0, mode 0644 (folders 0755) and one time stamp, so the same image gives
/// the same archive bytes. Blobs are named by digest (<c>blobs/sha256/&lt;hex&gt;</c>) in both formats,
/// as docker 25's own <c>docker save</c> does, and each is written once however often it is named.
/// A name ending in <c>.gz</c> or <c>.tgz</c> gets the archive gzip-compressed.
/// </summary>
public static class ImageArchiveWriter
{
    private const UnixFileMode FileMode = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead;
    private const UnixFileMode FolderMode = FileMode | UnixFileMode.UserExecute | UnixFileMode.GroupExecute | UnixFileMode.OtherExecute;

    /// <summary>True for file names the writer compresses: <c>.gz</c>, <c>.tgz</c>.</summary>
    public static bool IsCompressedName(string path) =>
        path.EndsWith(".gz", StringComparison.OrdinalIgnoreCase) || path.EndsWith(".tgz", StringComparison.OrdinalIgnoreCase);

    /// <summary>Writes <paramref name="path"/> whole or not at all (a temporary file beside it, then moved over it).</summary>
    public static void WriteFile(string path, Action<Stream> write) => AtomicFile.Write(path, stream =>
    {
        if (!IsCompressedName(path))
        {
            write(stream);
            return;
        }
        using var gzip = new GZipStream(stream, CompressionLevel.Fastest, leaveOpen: true);
        write(gzip);
    });

    /// <summary>A docker-archive: the blobs, then manifest.json listing each image's config, layers and tags.</summary>
    public static void WriteDocker(Stream output, IReadOnlyList<DockerArchiveImage> images, DateTimeOffset timestamp)
    {
        using var tar = new TarWriter(output, TarEntryFormat.Ustar, leaveOpen: true);
        var written = new HashSet<Digest>();
        Folders(tar, timestamp);
        foreach (var image in images)
        {
            foreach (var layer in image.Layers) Blob(tar, layer, written, timestamp);
            Blob(tar, image.Config, written, timestamp);
        }
        DockerManifest(tar, images, timestamp);
    }

    /// <summary>manifest.json: each image's config, layers and tags, by the blob names both formats share.</summary>
    private static void DockerManifest(TarWriter tar, IReadOnlyList<DockerArchiveImage> images, DateTimeOffset timestamp)
    {
        var manifest = new JsonArray();
        foreach (var image in images)
            manifest.Add(new JsonObject
            {
                ["Config"] = BlobName(image.Config.Digest),
                ["RepoTags"] = new JsonArray(image.RepoTags.Select(t => (JsonNode)JsonValue.Create(t)!).ToArray()),
                ["Layers"] = new JsonArray(image.Layers.Select(l => (JsonNode)JsonValue.Create(BlobName(l.Digest))!).ToArray()),
            });
        Member(tar, "manifest.json", Encoding.UTF8.GetBytes(manifest.ToJsonString()), timestamp);
    }

    /// <summary>
    /// An OCI image layout: oci-layout, the blobs, then index.json naming <paramref name="roots"/> (an image
    /// manifest, or an index of per-platform manifests) with their <c>org.opencontainers.image.ref.name</c>.
    /// <paramref name="blobs"/> must hold every manifest, config and layer the roots reach.
    /// <paramref name="alsoForDocker"/> adds a manifest.json naming the same blobs, as docker 25's
    /// <c>docker save</c> does: a dockerd without the containerd image store loads only that file.
    /// </summary>
    public static void WriteOci(Stream output, IReadOnlyList<(OciDescriptor Root, string? RefName)> roots, IEnumerable<ArchiveBlob> blobs, DateTimeOffset timestamp,
        IReadOnlyList<DockerArchiveImage>? alsoForDocker = null)
    {
        using var tar = new TarWriter(output, TarEntryFormat.Ustar, leaveOpen: true);
        Member(tar, "oci-layout", """{"imageLayoutVersion":"1.0.0"}"""u8.ToArray(), timestamp);
        Folders(tar, timestamp);
        var written = new HashSet<Digest>();
        foreach (var blob in blobs) Blob(tar, blob, written, timestamp);
        var index = new ImageManifest
        {
            SchemaVersion = 2,
            MediaType = MediaTypes.OciIndex,
            Manifests = roots.Select(r => r.RefName is null ? r.Root : r.Root with
            {
                Annotations = new SortedDictionary<string, string>(r.Root.Annotations ?? new SortedDictionary<string, string>(), StringComparer.Ordinal)
                {
                    ["org.opencontainers.image.ref.name"] = r.RefName,
                },
            }).ToList(),
        };
        Member(tar, "index.json", index.ToBytes(), timestamp);
        if (alsoForDocker is { Count: > 0 }) DockerManifest(tar, alsoForDocker, timestamp);
    }

    public static string BlobName(Digest digest) => $"blobs/{digest.Algorithm}/{digest.Hex}";

    private static void Folders(TarWriter tar, DateTimeOffset timestamp)
    {
        foreach (var folder in new[] { "blobs/", "blobs/sha256/" })
            tar.WriteEntry(Entry(TarEntryType.Directory, folder, FolderMode, timestamp, 0));
    }

    private static void Blob(TarWriter tar, ArchiveBlob blob, HashSet<Digest> written, DateTimeOffset timestamp)
    {
        if (!written.Add(blob.Digest)) return;
        using var content = blob.Open();
        var entry = Entry(TarEntryType.RegularFile, BlobName(blob.Digest), FileMode, timestamp, blob.Size);
        entry.DataStream = content;
        tar.WriteEntry(entry);
    }

    private static void Member(TarWriter tar, string name, byte[] content, DateTimeOffset timestamp)
    {
        var entry = Entry(TarEntryType.RegularFile, name, FileMode, timestamp, content.Length);
        entry.DataStream = new MemoryStream(content, writable: false);
        tar.WriteEntry(entry);
    }

    /// <summary>ustar up to 8 GiB; larger blobs need GNU's base-256 size (its access and change times set, so nothing depends on the clock).</summary>
    private static TarEntry Entry(TarEntryType type, string name, UnixFileMode mode, DateTimeOffset timestamp, long size)
    {
        TarEntry entry = size < 8L << 30
            ? new UstarTarEntry(type, name)
            : new GnuTarEntry(type == TarEntryType.Directory ? TarEntryType.Directory : TarEntryType.RegularFile, name) { AccessTime = timestamp, ChangeTime = timestamp };
        entry.Mode = mode;
        entry.ModificationTime = timestamp;
        entry.Uid = 0;
        entry.Gid = 0;
        if (entry is PosixTarEntry posix)
        {
            posix.UserName = "";
            posix.GroupName = "";
        }
        return entry;
    }
}
