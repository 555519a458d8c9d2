using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Bakery.Oci.Layers;
using Bakery.Oci.Model;

namespace Bakery.Oci.Archives;

/// <summary>
/// Opens an image saved as a file: a docker-archive (`docker save`, manifest.json) or an OCI image
/// layout (oci-layout + index.json + blobs/), plain or compressed. The archive is unpacked with the
/// same safe reader as layers (only plainly named regular files are written, each checked to land
/// inside the work folder), every blob is checked against its digest and descriptor size, and the
/// result is a <see cref="LocalImage"/> whose layers are files under the work folder, each with the
/// media type and diff id its reader checks. On any failure the work folder is removed.
/// </summary>
public static partial class ImageArchive
{
    public static LocalImage Open(string archivePath, string workDirectory, Platform? platform = null)
    {
        if (!File.Exists(archivePath)) throw new ImageArchiveException(archivePath, "the file does not exist");
        var created = !Directory.Exists(workDirectory);
        try
        {
            Directory.CreateDirectory(workDirectory);
            var files = Unpack(archivePath, workDirectory);
            if (files.ContainsKey("oci-layout") && files.ContainsKey("index.json"))
                return OpenOciLayout(archivePath, workDirectory, files, platform ?? Platform.LinuxAmd64);
            if (files.ContainsKey("manifest.json")) return OpenDockerArchive(archivePath, workDirectory, files);
            throw new ImageArchiveException(archivePath, "it has neither index.json + oci-layout (OCI image layout) nor manifest.json (docker save)");
        }
        catch (Exception e) when (e is not ImageArchiveException)
        {
            RemoveQuietly(workDirectory, created);
            throw e switch
            {
                UnsafeLayerException unsafeEntry => new ImageArchiveException(archivePath, unsafeEntry.Message.TrimEnd('.'), e),
                JsonException or FormatException or InvalidOperationException or KeyNotFoundException or InvalidCastException or ArgumentException
                    => new ImageArchiveException(archivePath, $"a manifest or config in it is malformed ({e.Message.TrimEnd('.')})", e),
                IOException or UnauthorizedAccessException => new ImageArchiveException(archivePath, $"it cannot be read or unpacked ({e.Message.TrimEnd('.')})", e),
                _ => e,
            };
        }
        catch
        {
            RemoveQuietly(workDirectory, created);
            throw;
        }
    }

    /// <summary>
    /// Writes the archive's regular files under <paramref name="root"/>; returns each path with its
    /// digest. Only names an image archive uses (letters, digits, '.', '_', '-' between slashes)
    /// are written; two names that one case-insensitive or normalizing file system would merge refuse
    /// the archive, so no platform can be tricked into overwriting a checked blob.
    /// </summary>
    private static Dictionary<string, Digest> Unpack(string archivePath, string root)
    {
        var files = new Dictionary<string, Digest>(StringComparer.Ordinal);
        var folded = new Dictionary<string, string>(StringComparer.Ordinal);
        var links = new Dictionary<string, string>(StringComparer.Ordinal);
        var fullRoot = Path.GetFullPath(root);
        // Members are blobs, not layer files: a compressed layer may be larger than the layer limit.
        // An archive on disk holds what it holds; a compressed one is still bound by the ratio check.
        var limits = new LayerReadLimits() with { MaxEntrySize = 1L << 40, MaxTotalSize = 1L << 42 };
        using var input = File.OpenRead(archivePath);
        SafeLayerReader.Read(input, new LayerReadOptions { Limits = limits, Standalone = true }, (entry, content) =>
        {
            if (entry.Type is not (LayerEntryType.File or LayerEntryType.SymbolicLink or LayerEntryType.HardLink) || !PlainName().IsMatch(entry.Path)) return;
            var key = entry.Path.Normalize(NormalizationForm.FormC).ToUpperInvariant();
            if (folded.TryGetValue(key, out var other) && other != entry.Path)
                throw new ImageArchiveException(archivePath, $"it holds both '{LayerNames.Escape(other)}' and '{LayerNames.Escape(entry.Path)}', one file on a case-insensitive file system");
            folded[key] = entry.Path;
            switch (entry.Type)
            {
                case LayerEntryType.SymbolicLink:
                    links[entry.Path] = entry.LinkTarget!;
                    files.Remove(entry.Path);
                    return;
                case LayerEntryType.HardLink:
                    links[entry.Path] = "/" + entry.LinkTarget!;
                    files.Remove(entry.Path);
                    return;
            }
            // A sparse member would be written out at its logical size (a 200-byte archive can declare 64 GiB);
            // docker save, skopeo and OCI layout writers never make one, so it is refused before a byte is written.
            if (entry.Sparse)
                throw new ImageArchiveException(archivePath, $"'{LayerNames.Escape(entry.Path)}' is a sparse file of {entry.Size:N0} bytes; image archives hold blobs, never sparse files");
            links.Remove(entry.Path);
            var target = Inside(fullRoot, entry.Path);
            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            using var output = new FileStream(target, FileMode.Create, FileAccess.Write, FileShare.None, 1 << 16);
            using var hashing = new HashingStream(output, leaveOpen: true);
            content!.CopyTo(hashing, 1 << 16);
            files[entry.Path] = hashing.GetDigest();
        });
        // docker save links repeated layers to the first copy; links resolve inside the archive's names only.
        foreach (var (path, _) in links)
        {
            if (Resolve(path, links, files) is not { } source) continue;
            var target = Inside(fullRoot, path);
            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            File.Copy(Inside(fullRoot, source), target, overwrite: true);
            files[path] = files[source];
        }
        return files;
    }

    private static string? Resolve(string path, Dictionary<string, string> links, Dictionary<string, Digest> files)
    {
        for (var hops = 0; hops < 40; hops++)
        {
            if (files.ContainsKey(path)) return path;
            if (!links.TryGetValue(path, out var target)) return null;
            var parent = target.StartsWith('/') ? "" : LayerPaths.Split(path).Parent;
            var parts = new List<string>(parent.Split('/', StringSplitOptions.RemoveEmptyEntries));
            foreach (var part in target.Split('/', StringSplitOptions.RemoveEmptyEntries))
            {
                if (part == "..") { if (parts.Count == 0) return null; parts.RemoveAt(parts.Count - 1); }
                else if (part != ".") parts.Add(part);
            }
            path = string.Join('/', parts);
        }
        return null;
    }

    private static string Inside(string fullRoot, string relative)
    {
        var full = Path.GetFullPath(Path.Join(fullRoot, relative.Replace('/', Path.DirectorySeparatorChar)));
        if (!full.StartsWith(fullRoot.TrimEnd(Path.DirectorySeparatorChar) + Path.DirectorySeparatorChar, StringComparison.Ordinal))
            throw new UnsafeLayerException(LayerProblem.PathTraversal, relative, "The entry would be written outside the unpack folder.");
        return full;
    }

    private static LocalImage OpenOciLayout(string archive, string root, Dictionary<string, Digest> files, Platform platform)
    {
        var index = ImageManifest.Parse(File.ReadAllBytes(Path.Combine(root, "index.json")));
        var candidates = index.Manifests ?? [];
        string? name = null;
        for (var depth = 0; ; depth++)
        {
            if (depth > 8) throw new ImageArchiveException(archive, "its indexes nest more than 8 deep");
            // Several entries for one manifest (one per tag) are one image.
            var chosen = candidates.Count > 0 && candidates.All(c => c.Digest == candidates[0].Digest) ? candidates[0]
                : new ImageManifest { Manifests = candidates }.ManifestFor(platform)
                ?? throw new ImageArchiveException(archive, candidates.Count == 0
                    ? "index.json lists no manifest"
                    : $"index.json lists {candidates.Count} manifests and none is for {platform}");
            name ??= chosen.Annotations?.GetValueOrDefault("org.opencontainers.image.ref.name");
            var bytes = ReadBlob(archive, root, files, chosen);
            var manifest = ImageManifest.Parse(bytes);
            if (manifest.IsIndex(chosen.MediaType))
            {
                candidates = manifest.Manifests ?? [];
                continue;
            }
            if (manifest.Config is null || manifest.Layers is null)
                throw new ImageArchiveException(archive, $"{chosen.Digest} is not an image manifest");
            var config = ReadBlob(archive, root, files, manifest.Config);
            var diffIds = ImageConfig.Parse(config).DiffIds;
            if (diffIds.Count != manifest.Layers.Count)
                throw new ImageArchiveException(archive, $"the config lists {diffIds.Count} diff id(s) for {manifest.Layers.Count} layer(s)");
            var layers = manifest.Layers.Select((l, i) =>
            {
                ReadBlob(archive, root, files, l, load: false);
                return new LayerFile(l.Digest, BlobPath(root, l.ParsedDigest), l.MediaType, l.Size, diffIds[i]);
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
        var entry = entries[0] as JsonObject ?? throw new ImageArchiveException(archive, "manifest.json's entry is not an object");
        var configPath = Member(archive, files, (string?)entry["Config"], "Config");
        var layerPaths = (entry["Layers"] as JsonArray ?? throw new ImageArchiveException(archive, "manifest.json has no Layers"))
            .Select(l => Member(archive, files, (string?)l, "Layers")).ToList();
        var config = File.ReadAllBytes(Path.Combine(root, configPath));
        var diffIds = ImageConfig.Parse(config).DiffIds;
        if (diffIds.Count != layerPaths.Count)
            throw new ImageArchiveException(archive, $"the config lists {diffIds.Count} layer(s) but manifest.json has {layerPaths.Count}");
        var layers = new List<LayerFile>();
        for (var i = 0; i < layerPaths.Count; i++)
        {
            var path = Path.Combine(root, layerPaths[i]);
            var digest = files[layerPaths[i]];
            // An uncompressed layer's digest is its diff id: checked here. A compressed one is checked when it is read.
            if (!IsCompressed(path) && digest.ToString() != diffIds[i])
                throw new ImageArchiveException(archive, $"layer {layerPaths[i]} has digest {digest}, but the config says {diffIds[i]}");
            layers.Add(new LayerFile(digest.ToString(), path, null, new FileInfo(path).Length, diffIds[i]));
        }
        var name = (entry["RepoTags"] as JsonArray)?.FirstOrDefault()?.GetValue<string>() ?? Path.GetFileName(archive);
        return new LocalImage(name, null, MediaTypes.DockerManifest, files[configPath], config, layers, archive);
    }

    private static string Member(string archive, Dictionary<string, Digest> files, string? path, string field)
    {
        var normalized = path is null ? null : string.Join('/', path.Split('/', StringSplitOptions.RemoveEmptyEntries).Where(p => p != "."));
        return normalized is not null && files.ContainsKey(normalized)
            ? normalized
            : throw new ImageArchiveException(archive, $"manifest.json's {field} names '{LayerNames.Escape(path)}', which is not in the archive");
    }

    private static byte[] ReadBlob(string archive, string root, Dictionary<string, Digest> files, OciDescriptor descriptor, bool load = true)
    {
        var digest = descriptor.ParsedDigest;
        var relative = $"blobs/{digest.Algorithm}/{digest.Hex}";
        if (!files.TryGetValue(relative, out var actual))
            throw new ImageArchiveException(archive, $"blob {digest} is missing");
        var path = BlobPath(root, digest);
        if (digest.Algorithm != actual.Algorithm) actual = Rehash(path, digest.Algorithm);
        if (actual != digest)
            throw new ImageArchiveException(archive, $"blob {relative} has digest {actual}: the archive is corrupt");
        var size = new FileInfo(path).Length;
        if (size != descriptor.Size)
            throw new ImageArchiveException(archive, $"blob {digest} is {size} bytes, but its descriptor says {descriptor.Size}");
        if (load && size > 64 << 20) throw new ImageArchiveException(archive, $"the manifest or config {digest} is {size} bytes, too large to be one");
        return load ? File.ReadAllBytes(path) : [];
    }

    private static Digest Rehash(string path, string algorithm)
    {
        using var stream = File.OpenRead(path);
        return algorithm == "sha512" ? new Digest("sha512", Convert.ToHexStringLower(SHA512.HashData(stream))) : new Digest(algorithm, "");
    }

    private static string BlobPath(string root, Digest digest) => Path.Combine(root, "blobs", digest.Algorithm, digest.Hex);

    private static bool IsCompressed(string path)
    {
        using var stream = File.OpenRead(path);
        var head = new byte[6];
        var read = stream.ReadAtLeast(head, head.Length, throwOnEndOfStream: false);
        return LayerMediaTypes.Sniff(head.AsSpan(0, read), out var compression) is not null || compression != LayerCompression.None;
    }

    private static void RemoveQuietly(string directory, bool created)
    {
        try
        {
            if (created && Directory.Exists(directory)) Directory.Delete(directory, recursive: true);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // the caller's own cleanup tries again
        }
    }

    [GeneratedRegex(@"^[A-Za-z0-9_][A-Za-z0-9._-]*(/[A-Za-z0-9_][A-Za-z0-9._-]*)*$")]
    private static partial Regex PlainName();
}

/// <summary>An image archive that cannot be used: what is wrong with it.</summary>
public sealed class ImageArchiveException(string archive, string problem, Exception? inner = null)
    : Exception($"{archive} is not a usable image archive: {problem}.", inner)
{
    public string Archive { get; } = archive;
    public string Problem { get; } = problem;
}
