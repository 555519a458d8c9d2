using System.IO.Compression;
using Bakery.Oci.Layers;

namespace Bakery.Core.Secrets;

/// <summary>How far the scan goes into archives inside a layer (zip, nupkg, jar, war, tar, tar.gz, gz).</summary>
public sealed record NestedArchiveLimits
{
    /// <summary>Archives inside archives: a layer's zip is depth 1, a jar in it depth 2, …</summary>
    public int MaxDepth { get; init; } = 3;

    /// <summary>Larger archives are not opened (they are copied to be read: zip needs its central directory at the end).</summary>
    public long MaxArchiveSize { get; init; } = 512L << 20;

    /// <summary>Archives up to this size are read in memory, larger ones through a temporary file deleted on close.</summary>
    public long InMemorySize { get; init; } = 32L << 20;

    /// <summary>What one archive may expand to, its members' sizes added up (nested archives included).</summary>
    public long MaxExpandedSize { get; init; } = 4L << 30;

    public int MaxEntries { get; init; } = 100_000;

    /// <summary>The layers' bomb ratio, checked past 16 MiB: an archive inside a layer is judged sooner than a whole layer.</summary>
    public LayerReadLimits Bomb { get; init; } = new() { AllowDevices = true, BombThreshold = 16L << 20 };
}

/// <summary>Something inside an image that could not be scanned, and why (shown as a BAKE330 warning).</summary>
public sealed record UnscannedContent(string File, string Reason);

internal enum ArchiveKind { None, Zip, Tar, Gzip }

/// <summary>Opens archives found in a layer and hands each member back to the scanner, within <see cref="NestedArchiveLimits"/>.</summary>
internal sealed class NestedArchives(NestedArchiveLimits limits, Action<string, string, Stream, long, int> scanEntry, List<UnscannedContent> unscanned)
{
    public static ArchiveKind Detect(ReadOnlySpan<byte> head)
    {
        if (head.Length >= 4 && head[0] == 'P' && head[1] == 'K' && (head[2] == 3 && head[3] == 4 || head[2] == 5 && head[3] == 6)) return ArchiveKind.Zip;
        if (head.Length >= 2 && head[0] == 0x1f && head[1] == 0x8b) return ArchiveKind.Gzip;
        if (head.Length >= 262 && head.Slice(257, 5).SequenceEqual("ustar"u8)) return ArchiveKind.Tar;
        return ArchiveKind.None;
    }

    /// <summary>Scans the members of the archive <paramref name="file"/> whose first bytes are <paramref name="head"/> and the rest <paramref name="rest"/>.</summary>
    public void Scan(string file, ArchiveKind kind, ReadOnlySpan<byte> head, Stream rest, long size, int depth)
    {
        if (depth >= limits.MaxDepth)
        {
            unscanned.Add(new UnscannedContent(file, $"an archive nested more than {limits.MaxDepth} deep is not opened"));
            return;
        }
        if (size > limits.MaxArchiveSize)
        {
            unscanned.Add(new UnscannedContent(file, $"the archive is {size} bytes; archives up to {limits.MaxArchiveSize} bytes are opened"));
            return;
        }
        using var copy = size >= 0 && size <= limits.InMemorySize
            ? new MemoryStream((int)size)
            : (Stream)new FileStream(Path.Combine(Path.GetTempPath(), $"bakery-scan-{Guid.NewGuid():N}"), FileMode.CreateNew, FileAccess.ReadWrite, FileShare.None, 81920, FileOptions.DeleteOnClose);
        copy.Write(head);
        CopyBounded(rest, copy, limits.MaxArchiveSize - head.Length, file);
        copy.Position = 0;
        var budget = new ExpansionBudget(limits, copy.Length, file);
        try
        {
            switch (kind)
            {
                case ArchiveKind.Zip: Zip(file, copy, depth, budget); break;
                case ArchiveKind.Tar: Tar(file, copy, depth, budget); break;
                case ArchiveKind.Gzip when IsTarGz(copy): Tar(file, copy, depth, budget); break;
                case ArchiveKind.Gzip: Gzip(file, copy, depth, budget); break;
            }
        }
        catch (Exception e) when (e is InvalidDataException or UnsafeLayerException or NotSupportedException or ArchiveLimitException or EndOfStreamException)
        {
            unscanned.Add(new UnscannedContent(file, e is ArchiveLimitException ? e.Message : $"the archive cannot be read: {e.Message}"));
        }
    }

    private void Zip(string file, Stream copy, int depth, ExpansionBudget budget)
    {
        using var zip = new ZipArchive(copy, ZipArchiveMode.Read, leaveOpen: true);
        var count = 0;
        foreach (var entry in zip.Entries)
        {
            if (entry.FullName.EndsWith('/') || entry.FullName.EndsWith('\\')) continue;
            if (++count > limits.MaxEntries) throw new ArchiveLimitException($"the archive has more than {limits.MaxEntries} members; the rest were not scanned");
            var member = $"{file}!{MemberName(entry.FullName)}";
            budget.Declare(entry.Length, entry.CompressedLength, member);
            Stream content;
            try { content = entry.Open(); }
            catch (Exception e) when (e is InvalidDataException or NotSupportedException)
            {
                unscanned.Add(new UnscannedContent(member, $"the member cannot be read: {e.Message}"));
                continue;
            }
            using (content)
            using (var bounded = new ExpansionStream(content, entry.Length, budget, member))
                scanEntry(member, Path.GetFileName(entry.FullName), bounded, entry.Length, depth + 1);
        }
    }

    private void Tar(string file, Stream copy, int depth, ExpansionBudget budget)
    {
        var nested = limits.Bomb with { MaxTotalSize = limits.MaxExpandedSize, MaxEntries = limits.MaxEntries };
        SafeLayerReader.Read(copy, nested, (entry, content) =>
        {
            if (content is null || entry.Type != LayerEntryType.File) return;
            var member = $"{file}!{MemberName(entry.Path)}";
            budget.Declare(entry.Size, -1, member);
            scanEntry(member, Path.GetFileName(entry.Path), content, entry.Size, depth + 1);
        });
    }

    private void Gzip(string file, Stream copy, int depth, ExpansionBudget budget)
    {
        var inner = Path.GetFileName(file.Contains('!') ? file[(file.LastIndexOf('!') + 1)..] : file);
        inner = inner.EndsWith(".gz", StringComparison.OrdinalIgnoreCase) ? inner[..^3] : inner + ".out";
        using var gzip = new GZipStream(copy, CompressionMode.Decompress, leaveOpen: true);
        using var bounded = new ExpansionStream(gzip, -1, budget, $"{file}!{inner}");
        scanEntry($"{file}!{inner}", inner, bounded, -1, depth + 1);
    }

    private static bool IsTarGz(Stream copy)
    {
        var header = new byte[512];
        int read;
        using (var gzip = new GZipStream(copy, CompressionMode.Decompress, leaveOpen: true))
            read = gzip.ReadAtLeast(header, header.Length, throwOnEndOfStream: false);
        copy.Position = 0;
        return read >= 262 && header.AsSpan(257, 5).SequenceEqual("ustar"u8);
    }

    private static void CopyBounded(Stream from, Stream to, long max, string file)
    {
        var buffer = new byte[81920];
        long total = 0;
        int read;
        while ((read = from.Read(buffer, 0, buffer.Length)) > 0)
        {
            total += read;
            if (total > max) throw new ArchiveLimitException($"{file} is larger than {max} bytes");
            to.Write(buffer, 0, read);
        }
    }

    /// <summary>Member names as shown in findings: forward slashes, no leading slash, no control characters (which could forge report lines).</summary>
    public static string MemberName(string name)
    {
        var cleaned = string.Create(name.Length, name, (span, n) =>
        {
            for (var i = 0; i < n.Length; i++) span[i] = n[i] == '\\' ? '/' : char.IsControl(n[i]) ? '?' : n[i];
        });
        return cleaned.TrimStart('/');
    }
}

internal sealed class ArchiveLimitException(string message) : Exception(message);

/// <summary>What one archive may still expand to, and its bomb check (the layers' ratio past their threshold).</summary>
internal sealed class ExpansionBudget(NestedArchiveLimits limits, long compressed, string file)
{
    private long _expanded;

    public void Declare(long size, long compressedSize, string member)
    {
        if (size > limits.Bomb.BombThreshold && compressedSize >= 0 && size > compressedSize * limits.Bomb.MaxCompressionRatio)
            throw new ArchiveLimitException($"{member} expands more than {limits.Bomb.MaxCompressionRatio}:1: a decompression bomb; the archive was not scanned further");
    }

    public void Consume(int bytes, string member)
    {
        _expanded += bytes;
        if (_expanded > limits.MaxExpandedSize)
            throw new ArchiveLimitException($"{file} expands past {limits.MaxExpandedSize} bytes; the rest was not scanned");
        if (_expanded > limits.Bomb.BombThreshold && _expanded > Math.Max(compressed, 1) * limits.Bomb.MaxCompressionRatio)
            throw new ArchiveLimitException($"{member} expands more than {limits.Bomb.MaxCompressionRatio}:1: a decompression bomb; the archive was not scanned further");
    }
}

/// <summary>A member's decompressed content: never more than it declared (a lying header is a bomb), counted against the archive's budget.</summary>
internal sealed class ExpansionStream(Stream inner, long declared, ExpansionBudget budget, string member) : Oci.Layers.ReadOnlyStream
{
    private long _read;

    public override int Read(Span<byte> buffer)
    {
        var read = inner.Read(buffer);
        _read += read;
        if (declared >= 0 && _read > declared) throw new ArchiveLimitException($"{member} holds more than the {declared} bytes its header declares");
        budget.Consume(read, member);
        return read;
    }

    public override long Length => declared >= 0 ? declared : throw new NotSupportedException();
    public override long Position { get => _read; set => throw new NotSupportedException(); }
}
