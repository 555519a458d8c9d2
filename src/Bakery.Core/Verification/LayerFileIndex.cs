using System.Text;
using Bakery.Oci.Layers;

namespace Bakery.Core.Verification;

/// <summary>
/// A layer's entries and hazards, read once with <see cref="SafeLayerReader"/> and cached by layer
/// digest. Before anything is cached the blob is checked against its descriptor (size, media type)
/// and its config (diff id); a cached index is only used for a blob and media type it was checked for.
/// </summary>
internal sealed record LayerFileIndex(IReadOnlyList<LayerEntry> Entries, IReadOnlyList<LayerHazard> Hazards)
{
    private const int MaxHazardsKept = 1000;

    /// <summary>
    /// Indexes read in this process, by cache file (an image's merged view and its old base's share layers), up to
    /// <see cref="MaxEntriesKept"/> entries in all, so a long-lived build process does not grow with every image it reads.
    /// </summary>
    private static readonly System.Collections.Concurrent.ConcurrentDictionary<string, (LayerCompression Compression, string DiffId, LayerFileIndex Index)> Loaded =
        new(StringComparer.Ordinal);
    private const int MaxEntriesKept = 50_000;
    private static int _entriesKept;

    private static string CachePath(LayerFile layer, string cacheDirectory) => Path.Combine(cacheDirectory, "v3-" + layer.Digest.Replace(':', '-') + ".bin");

    public static LayerFileIndex Load(LayerFile layer, string cacheDirectory, LayerReadLimits? limits = null)
    {
        CheckSize(layer);
        var declared = layer.MediaType is null ? (LayerCompression?)null
            : LayerMediaTypes.CompressionOf(layer.MediaType) ?? throw new UnsafeLayerException(LayerProblem.UnsupportedMediaType, null,
                $"Its media type '{LayerNames.Escape(layer.MediaType)}' is not a layer Bakery reads (tar, tar+gzip or tar+zstd).");
        var cache = CachePath(layer, cacheDirectory);
        if (!Loaded.TryGetValue(cache, out var known) && TryReadCache(cache) is { } cached) known = cached;
        if (known.Index is not null)
        {
            if (declared is { } d && d != known.Compression)
                throw new UnsafeLayerException(LayerProblem.MediaTypeMismatch, null,
                    $"The media type '{layer.MediaType}' says the blob is {d.ToString().ToLowerInvariant()}, but it is {known.Compression.ToString().ToLowerInvariant()}.");
            CheckDiffId(layer, known.DiffId);
            Remember(cache, known);
            return known.Index;
        }

        var entries = new List<LayerEntry>();
        var hazards = new List<LayerHazard>();
        var kept = new List<(int Ordinal, byte[] Content)>();
        var keptBytes = 0L;
        LayerReadSummary summary;
        using (var stream = new FileStream(layer.Path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16))
            summary = SafeLayerReader.Read(stream, new LayerReadOptions
            {
                Limits = limits ?? new LayerReadLimits(),
                MediaType = layer.MediaType,
                ComputeDiffId = true,
                OnHazard = h => { if (hazards.Count < MaxHazardsKept) hazards.Add(h); },
            }, (entry, content) =>
            {
                entries.Add(entry.Xattrs is null ? entry : entry with { Xattrs = null });
                if (content is not null && entry.Type == LayerEntryType.File && entry.Size <= MaxKeptFile && keptBytes + entry.Size <= MaxKeptBytes && IsKept(entry.Path))
                {
                    var bytes = new byte[entry.Size];
                    var read = content.ReadAtLeast(bytes, bytes.Length, throwOnEndOfStream: false);
                    kept.Add((entry.Ordinal, read == bytes.Length ? bytes : bytes[..read]));
                    keptBytes += read;
                }
            });
        CheckDiffId(layer, summary.DiffId!.Value.ToString());
        // Only now that the blob proved to be the layer its config names: the small files the gates read, kept as the file cache.
        foreach (var (ordinal, content) in kept) Oci.AtomicFile.WriteAllBytes(ContentCachePath(cacheDirectory, layer.Digest, ordinal), content);
        var read = new LayerFileIndex(entries, hazards);
        Oci.AtomicFile.Write(cache, stream => WriteCache(stream, summary.Compression, summary.DiffId.Value.ToString(), read));
        Remember(cache, (summary.Compression, summary.DiffId.Value.ToString(), read));
        return read;
    }

    /// <summary>
    /// Small files the SBOM, the runtime check and the user checks read (dpkg's status, *.deps.json, *.runtimeconfig.json,
    /// passwd and group): the one pass that indexes a layer keeps their content, so no later gate reads the layer again for them.
    /// </summary>
    private const int MaxKeptFile = 1 << 20;
    private const long MaxKeptBytes = 8L << 20;

    private static bool IsKept(string path) =>
        path.EndsWith(".deps.json", StringComparison.Ordinal) || path.EndsWith(".runtimeconfig.json", StringComparison.Ordinal)
        || path is "var/lib/dpkg/status" or "etc/passwd" or "etc/group" || path.StartsWith("var/lib/dpkg/status.d/", StringComparison.Ordinal);

    /// <summary>Where the whole content of entry <paramref name="ordinal"/> of a layer is cached (content-addressed: by layer digest and entry).</summary>
    public static string ContentCachePath(string cacheDirectory, string layerDigest, int ordinal) =>
        Path.Combine(cacheDirectory, "files", $"{layerDigest.Replace(':', '-')}-{ordinal}-full");

    private static void Remember(string cache, (LayerCompression, string, LayerFileIndex Index) index)
    {
        if (Loaded.ContainsKey(cache) || Interlocked.Add(ref _entriesKept, index.Index.Entries.Count) > MaxEntriesKept) return;
        Loaded.TryAdd(cache, index);
    }

    /// <summary>The content of entry <paramref name="ordinal"/> (or, for an old index without ordinals, the entry named <paramref name="path"/>).</summary>
    public static Stream OpenEntry(LayerFile layer, int ordinal, string path, LayerReadLimits? limits = null)
    {
        var file = new FileStream(layer.Path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16);
        SafeLayerReader? reader = null;
        try
        {
            reader = SafeLayerReader.Open(file, new LayerReadOptions { MediaType = layer.MediaType, Limits = limits ?? new LayerReadLimits() });
            while (reader.Next() is { } entry)
                if (ordinal >= 0 ? entry.Ordinal == ordinal : entry.Path == path)
                    return new EntryStream(reader.Content ?? Stream.Null, reader, file);
            throw new FileNotFoundException($"Entry {ordinal} ('{LayerNames.Escape(path)}') is not in the layer file any more.", layer.Path);
        }
        catch
        {
            reader?.Dispose();
            file.Dispose();
            throw;
        }
    }

    private static void CheckSize(LayerFile layer)
    {
        var length = new FileInfo(layer.Path).Length;
        if (layer.Size is { } size && size != length)
            throw new UnsafeLayerException(LayerProblem.SizeMismatch, null, $"The blob is {length} bytes, but its descriptor says {size}.");
    }

    private static void CheckDiffId(LayerFile layer, string actual)
    {
        if (layer.DiffId is { } expected && !string.Equals(expected, actual, StringComparison.Ordinal))
            throw new UnsafeLayerException(LayerProblem.DigestMismatch, null,
                $"Its uncompressed content has digest {actual}, but the image config's rootfs.diff_ids says {LayerNames.Escape(expected)}.");
    }

    /// <summary>
    /// The cache file: a magic number, the compression and diff id, then every entry and hazard, fields in a fixed order
    /// (a binary file: reading an index back is the warm path of every verify, scan and rebase, so it must cost little).
    /// </summary>
    private const int CacheMagic = 0x42584933; // "3IXB"

    private static void WriteCache(Stream stream, LayerCompression compression, string diffId, LayerFileIndex index)
    {
        using var writer = new BinaryWriter(stream, Encoding.UTF8, leaveOpen: true);
        writer.Write(CacheMagic);
        writer.Write((int)compression);
        writer.Write(diffId);
        writer.Write(index.Entries.Count);
        foreach (var e in index.Entries)
        {
            writer.Write(CacheText.Encode(e.Path));
            writer.Write((int)e.Type);
            writer.Write(e.Size);
            writer.Write(e.Mode);
            writer.Write(e.Uid);
            writer.Write(e.Gid);
            writer.Write(e.LinkTarget is not null);
            if (e.LinkTarget is not null) writer.Write(CacheText.Encode(e.LinkTarget));
            writer.Write(e.Ordinal);
            writer.Write(e.ModificationTime);
            writer.Write(e.Sparse);
            writer.Write(e.DeviceMajor);
            writer.Write(e.DeviceMinor);
        }
        writer.Write(index.Hazards.Count);
        foreach (var h in index.Hazards)
        {
            writer.Write((int)h.Kind);
            writer.Write(CacheText.Encode(h.Entry));
            writer.Write(CacheText.Encode(h.Detail));
        }
        writer.Write(CacheMagic);
    }

    /// <summary>The cached index; null when there is none or it cannot be read (it is then rebuilt from the layer).</summary>
    private static (LayerCompression Compression, string DiffId, LayerFileIndex Index)? TryReadCache(string path)
    {
        if (!File.Exists(path)) return null;
        try
        {
            using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16);
            using var reader = new BinaryReader(stream, Encoding.UTF8);
            if (reader.ReadInt32() != CacheMagic) return null;
            var compression = (LayerCompression)reader.ReadInt32();
            var diffId = reader.ReadString();
            var count = reader.ReadInt32();
            if (count < 0 || count > stream.Length) return null;
            var entries = new List<LayerEntry>(count);
            for (var i = 0; i < count; i++)
            {
                var entryPath = CacheText.Decode(reader.ReadString());
                var type = (LayerEntryType)reader.ReadInt32();
                var size = reader.ReadInt64();
                var mode = reader.ReadInt32();
                var uid = reader.ReadInt32();
                var gid = reader.ReadInt32();
                var link = reader.ReadBoolean() ? CacheText.Decode(reader.ReadString()) : null;
                entries.Add(new LayerEntry(entryPath, type, size, mode, uid, gid, link)
                {
                    Ordinal = reader.ReadInt32(),
                    ModificationTime = reader.ReadInt64(),
                    Sparse = reader.ReadBoolean(),
                    DeviceMajor = reader.ReadInt32(),
                    DeviceMinor = reader.ReadInt32(),
                });
            }
            var hazardCount = reader.ReadInt32();
            if (hazardCount < 0 || hazardCount > MaxHazardsKept) return null;
            var hazards = new List<LayerHazard>(hazardCount);
            for (var i = 0; i < hazardCount; i++)
                hazards.Add(new LayerHazard((LayerHazardKind)reader.ReadInt32(), CacheText.Decode(reader.ReadString()), CacheText.Decode(reader.ReadString())));
            if (reader.ReadInt32() != CacheMagic || stream.Position != stream.Length) return null;
            return (compression, diffId, new LayerFileIndex(entries, hazards));
        }
        catch (Exception e) when (e is EndOfStreamException or IOException or FormatException or DecoderFallbackException)
        {
            return null; // rebuilt from the layer
        }
    }

    /// <summary>UTF-8 cannot carry lone surrogates (names that were not UTF-8): they are written as NUL + two hex digits; NUL never occurs in a name.</summary>
    private static class CacheText
    {
        public static string Encode(string text)
        {
            if (!text.Any(c => c is '\0' or (>= '\uDC80' and <= '\uDCFF'))) return text;
            var result = new StringBuilder(text.Length + 8);
            for (var i = 0; i < text.Length; i++)
            {
                var c = text[i];
                if (char.IsHighSurrogate(c) && i + 1 < text.Length && char.IsLowSurrogate(text[i + 1])) result.Append(c).Append(text[++i]);
                else if (c is >= '\uDC80' and <= '\uDCFF') result.Append('\0').Append(((int)c - 0xDC00).ToString("x2", System.Globalization.CultureInfo.InvariantCulture));
                else result.Append(c);
            }
            return result.ToString();
        }

        public static string Decode(string text)
        {
            if (!text.Contains('\0')) return text;
            var result = new StringBuilder(text.Length);
            for (var i = 0; i < text.Length; i++)
            {
                if (text[i] == '\0' && i + 2 < text.Length)
                {
                    result.Append((char)(0xDC00 + Convert.ToInt32(text.Substring(i + 1, 2), 16)));
                    i += 2;
                }
                else result.Append(text[i]);
            }
            return result.ToString();
        }
    }

    /// <summary>An entry's content that owns the reader and file it comes from.</summary>
    private sealed class EntryStream(Stream content, SafeLayerReader reader, FileStream file) : Oci.Layers.ReadOnlyStream
    {
        public override int Read(byte[] buffer, int offset, int count) => content.Read(buffer, offset, count);
        public override int Read(Span<byte> buffer) => content.Read(buffer);
        public override long Length => content.Length;
        public override long Position { get => content.Position; set => throw new NotSupportedException(); }

        protected override void Dispose(bool disposing)
        {
            if (disposing)
            {
                reader.Dispose();
                file.Dispose();
            }
            base.Dispose(disposing);
        }
    }
}
