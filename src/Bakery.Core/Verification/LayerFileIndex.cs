using System.Text;
using System.Text.Json;
using Bakery.Oci.Layers;

namespace Bakery.Core.Verification;

/// <summary>
/// A layer's entries and hazards, read once with <see cref="SafeLayerReader"/> and cached by layer
/// digest. Before anything is cached the blob is checked against its descriptor (size, media type)
/// and its config (diff id); a cached index is only used for a blob and media type it was checked for.
/// </summary>
internal sealed partial record LayerFileIndex(IReadOnlyList<LayerEntry> Entries, IReadOnlyList<LayerHazard> Hazards)
{
    private const int MaxHazardsKept = 1000;

    /// <summary>
    /// Indexes read in this process, by cache file (an image's merged view and its old base's share layers), up to
    /// <see cref="MaxEntriesKept"/> entries in all, so a long-lived build process does not grow with every image it reads.
    /// </summary>
    private static readonly System.Collections.Concurrent.ConcurrentDictionary<string, (LayerCompression Compression, string DiffId, LayerFileIndex Index)> Loaded =
        new(StringComparer.Ordinal);
    private const int MaxEntriesKept = 200_000;
    private static int _entriesKept;

    public static LayerFileIndex Load(LayerFile layer, string cacheDirectory, LayerReadLimits? limits = null)
    {
        CheckSize(layer);
        var declared = layer.MediaType is null ? (LayerCompression?)null
            : LayerMediaTypes.CompressionOf(layer.MediaType) ?? throw new UnsafeLayerException(LayerProblem.UnsupportedMediaType, null,
                $"Its media type '{LayerNames.Escape(layer.MediaType)}' is not a layer Bakery reads (tar, tar+gzip or tar+zstd).");
        var cache = Path.Combine(cacheDirectory, "v2-" + layer.Digest.Replace(':', '-') + ".json");
        if (!Loaded.TryGetValue(cache, out var known) && TryReadCache(cache) is { } cached)
            known = (cached.Compression, cached.DiffId, new LayerFileIndex(cached.Entries.Select(e => e.ToEntry()).ToList(), cached.Hazards.Select(h => h.ToHazard()).ToList()));
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
        LayerReadSummary summary;
        using (var stream = new FileStream(layer.Path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16))
            summary = SafeLayerReader.Read(stream, new LayerReadOptions
            {
                Limits = limits ?? new LayerReadLimits(),
                MediaType = layer.MediaType,
                ComputeDiffId = true,
                OnHazard = h => { if (hazards.Count < MaxHazardsKept) hazards.Add(h); },
            }, (entry, _) => entries.Add(entry.Xattrs is null ? entry : entry with { Xattrs = null }));
        CheckDiffId(layer, summary.DiffId!.Value.ToString());
        var index = new CachedIndex(summary.Compression, summary.DiffId.Value.ToString(), entries.Select(CachedEntry.From), hazards.Select(CachedHazard.From).ToList());
        Oci.AtomicFile.Write(cache, stream => JsonSerializer.Serialize(stream, index, CacheJson.Default.CachedIndex));
        var read = new LayerFileIndex(entries, hazards);
        Remember(cache, (summary.Compression, summary.DiffId.Value.ToString(), read));
        return read;
    }

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

    private static CachedIndex? TryReadCache(string path)
    {
        if (!File.Exists(path)) return null;
        try
        {
            using var stream = File.OpenRead(path);
            return JsonSerializer.Deserialize(stream, CacheJson.Default.CachedIndex);
        }
        catch (JsonException)
        {
            return null; // rebuilt from the layer
        }
    }

    [System.Text.Json.Serialization.JsonSerializable(typeof(CachedIndex))]
    private sealed partial class CacheJson : System.Text.Json.Serialization.JsonSerializerContext;

    private sealed record CachedIndex(LayerCompression Compression, string DiffId, IEnumerable<CachedEntry> Entries, List<CachedHazard> Hazards);

    private sealed record CachedEntry(string P, LayerEntryType T, long S, int M, int U, int G, string? L, int O, long Mt, bool Sp, int Ma, int Mi)
    {
        public static CachedEntry From(LayerEntry e) =>
            new(CacheText.Encode(e.Path), e.Type, e.Size, e.Mode, e.Uid, e.Gid, e.LinkTarget is null ? null : CacheText.Encode(e.LinkTarget), e.Ordinal, e.ModificationTime, e.Sparse, e.DeviceMajor, e.DeviceMinor);

        public LayerEntry ToEntry() =>
            new(CacheText.Decode(P), T, S, M, U, G, L is null ? null : CacheText.Decode(L)) { Ordinal = O, ModificationTime = Mt, Sparse = Sp, DeviceMajor = Ma, DeviceMinor = Mi };
    }

    private sealed record CachedHazard(LayerHazardKind K, string E, string D)
    {
        public static CachedHazard From(LayerHazard h) => new(h.Kind, CacheText.Encode(h.Entry), h.Detail);
        public LayerHazard ToHazard() => new(K, CacheText.Decode(E), D);
    }

    /// <summary>JSON cannot carry lone surrogates (names that were not UTF-8): they are written as NUL + two hex digits; NUL never occurs in a name.</summary>
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
