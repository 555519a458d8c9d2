using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Bakery.Oci.Model;

namespace Bakery.Oci.Layers;

/// <summary>
/// Remembers which layer blob a key produced (key → digest, diff id, size, entries), so unchanged
/// inputs reuse their blob instead of being tarred and compressed again. A hit needs the blob file.
/// </summary>
public sealed class LayerIndex(string directory, string blobDirectory)
{
    public LayerBlob? TryGet(string key)
    {
        var path = Path.Combine(directory, key);
        if (!File.Exists(path)) return null;
        var parts = File.ReadAllText(path).Split(' ');
        if (parts.Length != 4 || !Digest.TryParse(parts[0], out var digest) || !Digest.TryParse(parts[1], out var diffId)) return null;
        var blob = DeterministicLayerWriter.BlobPath(blobDirectory, digest);
        return File.Exists(blob)
            ? new LayerBlob(digest, diffId, long.Parse(parts[2], CultureInfo.InvariantCulture), blob, int.Parse(parts[3], CultureInfo.InvariantCulture))
            : null;
    }

    public void Save(string key, LayerBlob blob)
    {
        AtomicFile.WriteAllText(Path.Combine(directory, key), FormattableString.Invariant($"{blob.Digest} {blob.DiffId} {blob.Size} {blob.EntryCount}"));
    }

    /// <summary>
    /// The key of a planned layer: every entry's path, kind, mode, owner and link, and for files the
    /// source's size and last write time (as MSBuild's incrementality does), plus the layer options.
    /// </summary>
    public static string KeyOf(IReadOnlyList<LayerPlan.Entry> entries, LayerOptions options)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        void Add(string text) => hash.AppendData(Encoding.UTF8.GetBytes(text + "\n"));
        Add(FormattableString.Invariant($"{options.ModificationTime.ToUnixTimeSeconds()} {options.Uid} {options.Gid}"));
        foreach (var e in entries)
        {
            Add(FormattableString.Invariant($"{e.Path}|{e.Kind}|{(int)e.Mode}|{e.Uid}|{e.Gid}|{e.LinkTarget}"));
            if (e.SourcePath is { } source)
            {
                var info = new FileInfo(source);
                Add(FormattableString.Invariant($"{source}|{info.Length}|{info.LastWriteTimeUtc.Ticks}"));
            }
        }
        return Convert.ToHexStringLower(hash.GetCurrentHash());
    }

    public static string KeyOf(string text) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text)));
}
