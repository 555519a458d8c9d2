using System.Formats.Tar;
using System.IO.Compression;
using Bakery.Oci.Model;

namespace Bakery.Oci.Layers;

/// <summary>
/// Writes a gzip-compressed tar layer into a content-addressed blob folder. The same entries give
/// the same bytes: sorted paths, one fixed time stamp, fixed owner, normalised permissions.
/// The layer is written to a temporary file and moved into place only when complete.
/// </summary>
public sealed class DeterministicLayerWriter(string blobDirectory, LayerOptions options)
{
    public LayerBlob Write(IEnumerable<LayerSource> sources) => Write(LayerPlan.Expand(sources));

    /// <summary>
    /// gzip's default level, as docker, Jib and the .NET SDK use: on .NET runtime and app layers it is
    /// ~20% smaller than Fastest for ~3x the (one-off) compression time, and pulls happen far more
    /// often than bakes (measured in ./build.sh bench).
    /// </summary>
    public const CompressionLevel Level = CompressionLevel.Optimal;

    public LayerBlob Write(IReadOnlyList<LayerPlan.Entry> entries)
    {
        Directory.CreateDirectory(blobDirectory);
        var temp = Path.Combine(blobDirectory, $".tmp-{Guid.NewGuid():N}");
        try
        {
            var (digest, diffId, size, tarSize) = WriteTo(temp, entries, Level);
            // Incompressible content (media, archives, encrypted files) is stored rather than grown.
            if (size > MaxStoredSize(tarSize)) (digest, diffId, size, _) = WriteTo(temp, entries, CompressionLevel.NoCompression);
            var final = BlobPath(blobDirectory, digest);
            if (File.Exists(final)) File.Delete(temp);
            else File.Move(temp, final);
            return new LayerBlob(digest, diffId, size, final, entries.Count);
        }
        catch
        {
            if (File.Exists(temp)) File.Delete(temp);
            throw;
        }
    }

    public static string BlobPath(string blobDirectory, Digest digest) => Path.Combine(blobDirectory, digest.Hex);

    /// <summary>gzip's framing around stored (uncompressed) data: header and trailer, and 5 bytes per 16 KiB block.</summary>
    public static long MaxStoredSize(long tarSize) => tarSize + 18 + 5 * ((tarSize + 16383) / 16384);

    private (Digest Digest, Digest DiffId, long Size, long TarSize) WriteTo(string path, IReadOnlyList<LayerPlan.Entry> entries, CompressionLevel level)
    {
        using var file = new FileStream(path, FileMode.Create, FileAccess.Write, FileShare.None, 1 << 16);
        using var compressedHash = new HashingStream(file, leaveOpen: true);
        Digest diffId;
        long tarSize;
        using (var gzip = new GZipStream(compressedHash, level, leaveOpen: true))
        using (var tarHash = new HashingStream(gzip, leaveOpen: true))
        {
            using (var tar = new TarWriter(tarHash, TarEntryFormat.Gnu, leaveOpen: true))
            {
                foreach (var entry in entries)
                {
                    var tarEntry = ToTarEntry(entry);
                    try { tar.WriteEntry(tarEntry); }
                    finally { tarEntry.DataStream?.Dispose(); }
                }
            }
            diffId = tarHash.GetDigest();
            tarSize = tarHash.BytesWritten;
        }
        return (compressedHash.GetDigest(), diffId, compressedHash.BytesWritten, tarSize);
    }

    private GnuTarEntry ToTarEntry(LayerPlan.Entry entry)
    {
        var (type, name) = entry.Kind switch
        {
            LayerPlan.EntryKind.Directory => (TarEntryType.Directory, entry.Path + "/"),
            LayerPlan.EntryKind.SymbolicLink => (TarEntryType.SymbolicLink, entry.Path),
            _ => (TarEntryType.RegularFile, entry.Path),
        };
        var tarEntry = new GnuTarEntry(type, name)
        {
            Mode = entry.Mode,
            Uid = entry.Uid ?? options.Uid,
            Gid = entry.Gid ?? options.Gid,
            UserName = "",
            GroupName = "",
            ModificationTime = options.ModificationTime,
            AccessTime = options.ModificationTime,
            ChangeTime = options.ModificationTime,
        };
        if (entry.Kind == LayerPlan.EntryKind.SymbolicLink) tarEntry.LinkName = entry.LinkTarget!;
        if (entry.Kind == LayerPlan.EntryKind.File)
            tarEntry.DataStream = new FileStream(entry.SourcePath!, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16);
        return tarEntry;
    }
}
