namespace Bakery.Oci.Layers;

/// <summary>How a layer is read: its limits, its media type (null: sniffed), where hazards go.</summary>
public sealed record LayerReadOptions
{
    public LayerReadLimits Limits { get; init; } = new();

    /// <summary>The manifest's media type; the blob must match it. Null when none is known (docker save layers): the bytes decide.</summary>
    public string? MediaType { get; init; }

    /// <summary>Accepted entries a reviewer should see (setuid, devices, xattrs, …).</summary>
    public Action<LayerHazard>? OnHazard { get; init; }

    /// <summary>
    /// A tar that stands alone (an image archive, a `docker cp` stream), not a layer on top of
    /// others: hard links must name an earlier entry, nothing may be written through a symbolic
    /// link, and whiteout names are ordinary names.
    /// </summary>
    public bool Standalone { get; init; }

    /// <summary>Compute the SHA-256 of the uncompressed stream (the layer's diff id).</summary>
    public bool ComputeDiffId { get; init; }
}

/// <summary>What a complete read found.</summary>
public sealed record LayerReadSummary(int Entries, LayerCompression Compression, long CompressedBytes, long UncompressedBytes, Model.Digest? DiffId);

/// <summary>
/// Streams a layer (tar; plain, gzip or zstd) entry by entry and refuses anything unsafe or
/// ambiguous: bad header checksums, absolute, climbing or Windows-style paths, links that leave the
/// root, oversized names and extended headers, bad sparse maps and whiteouts, decompression bombs
/// (checked while decompressing), oversized content, and any byte after the end of the archive or
/// its compressed stream. Every failure is an <see cref="UnsafeLayerException"/>; nothing is
/// written anywhere. PAX, GNU (long names, old and PAX sparse files) and V7 headers are read as
/// Go's archive/tar reads them. System.Formats.Tar is not used: it accepts bad checksums and throws
/// assorted exceptions on odd PAX fields.
/// </summary>
public sealed class SafeLayerReader : IDisposable
{
    private static readonly long LatestSaneTime = new DateTimeOffset(2100, 1, 1, 0, 0, 0, TimeSpan.Zero).ToUnixTimeSeconds();

    private readonly LayerDecoder _decoder;
    private readonly LayerReadOptions _options;
    private readonly LayerReadLimits _limits;
    private readonly Stream _tar;
    private readonly byte[] _header = new byte[TarBlocks.Size];
    private readonly Dictionary<string, LayerEntryType> _seen = new(StringComparer.Ordinal);
    private readonly HashSet<string> _symlinks = new(StringComparer.Ordinal);
    private BoundedStream? _content;
    private long _pendingPadding = -1;
    private string? _currentName;
    private int _count;
    private bool _done;

    private SafeLayerReader(Stream layer, LayerReadOptions options)
    {
        _options = options;
        _limits = options.Limits;
        _decoder = LayerDecoder.Open(layer, options.MediaType, _limits, options.ComputeDiffId);
        _tar = _decoder.Tar;
    }

    /// <summary>Reads every entry; <paramref name="visit"/> gets file content as a bounded stream (may be left unread).</summary>
    public static int Read(Stream layer, LayerReadLimits limits, Action<LayerEntry, Stream?> visit, string? mediaType = null, Action<LayerHazard>? hazards = null) =>
        Read(layer, new LayerReadOptions { Limits = limits, MediaType = mediaType, OnHazard = hazards }, visit).Entries;

    public static LayerReadSummary Read(Stream layer, LayerReadOptions options, Action<LayerEntry, Stream?> visit)
    {
        using var reader = Open(layer, options);
        while (reader.Next() is { } entry) visit(entry, reader.Content);
        return reader.Summary!;
    }

    /// <summary>A reader to pull entries from; stop early by disposing it.</summary>
    public static SafeLayerReader Open(Stream layer, LayerReadOptions options) => new(layer, options);

    /// <summary>The current entry's content (regular files only; sparse files at their logical size).</summary>
    public Stream? Content { get; private set; }

    /// <summary>Set when <see cref="Next"/> has returned null: the whole layer was read and checked.</summary>
    public LayerReadSummary? Summary { get; private set; }

    /// <summary>The next entry, or null at the end (after the end of the archive and its compression were verified).</summary>
    public LayerEntry? Next()
    {
        if (_done) return null;
        FinishCurrent();
        PaxRecords? pax = null;
        string? longName = null, longLink = null;
        var afterZeroBlock = false;
        while (true)
        {
            if (!ReadHeader(ref afterZeroBlock)) { Finish(); return null; }
            var first = _count == 0 && pax is null && longName is null && longLink is null;
            var checksumMatches = TarBlocks.ChecksumMatches(_header, out var stored, out var sum);
            if (!checksumMatches && first)
                throw new UnsafeLayerException(LayerProblem.BadHeader, null, "The blob is not a tar archive (its first block is not a valid tar header).");
            var headerName = HeaderName();
            if (!checksumMatches) throw TarBlocks.Malformed(headerName, $"the header checksum is {stored} but the header sums to {sum}");
            var type = (char)_header[156];
            var size = TarBlocks.Number(_header.AsSpan(124, 12), "size", headerName);
            switch (type)
            {
                case 'x' or 'g':
                    var records = PaxRecords.Parse(ReadExtended(size, headerName));
                    if (type == 'x') pax = records;
                    else Hazard(LayerHazardKind.GlobalHeader, headerName, "a PAX global header; its records are ignored, as runtimes ignore them");
                    continue;
                case 'L':
                    longName = TarBlocks.CString(ReadExtended(size, headerName));
                    continue;
                case 'K':
                    longLink = TarBlocks.CString(ReadExtended(size, headerName));
                    continue;
            }
            var name = pax?["path"] ?? longName ?? headerName;
            if (pax?.Integer("size", name) is { } paxSize) size = paxSize;
            var entry = Entry(type, name, size, pax, longLink);
            if (afterZeroBlock) Hazard(LayerHazardKind.EntriesAfterZeroBlock, entry.Path, "it follows a lone zero block, where strict readers stop");
            return entry;
        }
    }

    private bool ReadHeader(ref bool afterZeroBlock)
    {
        var got = _tar.ReadAtLeast(_header, TarBlocks.Size, throwOnEndOfStream: false);
        if (got == 0) return false;
        if (got < TarBlocks.Size) throw new UnsafeLayerException(LayerProblem.Truncated, null, "The layer ends inside a tar header.");
        if (_header.AsSpan().ContainsAnyExcept((byte)0)) return true;
        got = _tar.ReadAtLeast(_header, TarBlocks.Size, throwOnEndOfStream: false);
        if (got == 0) return false;
        if (got < TarBlocks.Size)
        {
            if (_header.AsSpan(0, got).ContainsAnyExcept((byte)0))
                throw new UnsafeLayerException(LayerProblem.Truncated, null, "The layer ends inside a tar header.");
            return false;
        }
        if (!_header.AsSpan().ContainsAnyExcept((byte)0)) return false;
        afterZeroBlock = true;
        return true;
    }

    private LayerEntry Entry(char type, string rawName, long size, PaxRecords? pax, string? longLink)
    {
        var sparse = type == 'S' ? SparseMap.FromOldGnu(_header, _tar, _limits, rawName) : pax is null ? null : SparseMap.FromPax(pax, rawName);
        if (sparse?.Name is { Length: > 0 } sparseName) rawName = sparseName;
        var entryType = type switch
        {
            '0' or '7' or 'S' => LayerEntryType.File,
            '\0' => rawName.EndsWith('/') ? LayerEntryType.Directory : LayerEntryType.File,
            '1' => LayerEntryType.HardLink,
            '2' => LayerEntryType.SymbolicLink,
            '3' => LayerEntryType.CharacterDevice,
            '4' => LayerEntryType.BlockDevice,
            '5' => LayerEntryType.Directory,
            '6' => LayerEntryType.Fifo,
            _ => throw new UnsafeLayerException(LayerProblem.UnsupportedEntry, rawName,
                $"Tar entry type '{LayerNames.Escape(type.ToString())}' ({DescribeType(type)}) is not supported: runtimes refuse it too."),
        };
        if (sparse is not null && entryType != LayerEntryType.File)
            throw new UnsafeLayerException(LayerProblem.BadSparse, rawName, "Bad sparse file: sparse records on an entry that is not a regular file.");
        if (++_count > _limits.MaxEntries)
            throw new UnsafeLayerException(LayerProblem.TooManyEntries, null, $"The layer has more than {_limits.MaxEntries} entries (the limit maxEntries).");

        var path = LayerPaths.Normalize(rawName, _limits);
        if (entryType == LayerEntryType.File && rawName.EndsWith('/'))
            throw new UnsafeLayerException(LayerProblem.BadName, rawName, "A regular file's name ends with '/'.");
        if (path.Length == 0 && entryType != LayerEntryType.Directory)
            throw new UnsafeLayerException(LayerProblem.BadName, rawName, $"A {Describe(entryType)} names the image root.");
        if (entryType is not (LayerEntryType.File or LayerEntryType.HardLink) && size != 0)
            throw TarBlocks.Malformed(rawName, $"a {Describe(entryType)} entry carries {size} bytes of data");
        if (entryType == LayerEntryType.HardLink) size = 0; // header-only, as Go's archive/tar reads it
        if (entryType == LayerEntryType.File && sparse is null && size > _limits.MaxEntrySize)
            throw new UnsafeLayerException(LayerProblem.TooLarge, rawName, $"The entry is {size} bytes; the limit is {_limits.MaxEntrySize} (maxEntrySize).");
        if (!_options.Standalone) CheckWhiteout(path, rawName);
        else CheckNotThroughSymlink(path, rawName);

        var mode = (int)(TarBlocks.Number(_header.AsSpan(100, 8), "mode", rawName) & 0xFFF);
        var uid = Id(pax?.Integer("uid", rawName) ?? TarBlocks.Number(_header.AsSpan(108, 8), "uid", rawName), "uid", rawName);
        var gid = Id(pax?.Integer("gid", rawName) ?? TarBlocks.Number(_header.AsSpan(116, 8), "gid", rawName), "gid", rawName);
        var mtime = pax?.Time("mtime", rawName) ?? TarBlocks.Number(_header.AsSpan(136, 12), "mtime", rawName, allowNegative: true);
        var link = pax?["linkpath"] ?? longLink ?? TarBlocks.CString(_header.AsSpan(157, 100));
        string? linkTarget = null;
        switch (entryType)
        {
            case LayerEntryType.SymbolicLink:
                CheckSymlink(path, link, rawName);
                linkTarget = link;
                _symlinks.Add(path);
                break;
            case LayerEntryType.HardLink:
                linkTarget = HardLinkTarget(path, link, rawName);
                break;
            case LayerEntryType.CharacterDevice or LayerEntryType.BlockDevice or LayerEntryType.Fifo:
                if (!_limits.AllowDevices) throw new UnsafeLayerException(LayerProblem.DeviceFile, rawName, $"{Describe(entryType)} entries are not allowed here.");
                break;
        }
        _seen[path] = entryType == LayerEntryType.HardLink ? _seen.GetValueOrDefault(linkTarget!, LayerEntryType.File) : entryType;
        if (entryType != LayerEntryType.SymbolicLink) _symlinks.Remove(path);

        Dictionary<string, string>? xattrs = null;
        foreach (var (key, value) in pax?.All ?? [])
        {
            var attribute = key.StartsWith("SCHILY.xattr.", StringComparison.Ordinal) ? key["SCHILY.xattr.".Length..]
                : key.StartsWith("LIBARCHIVE.xattr.", StringComparison.Ordinal) ? key["LIBARCHIVE.xattr.".Length..] : null;
            if (attribute is not null) (xattrs ??= new(StringComparer.Ordinal))[attribute] = value;
        }

        var logicalSize = sparse?.RealSize ?? size;
        var entry = new LayerEntry(path, entryType, entryType == LayerEntryType.File ? logicalSize : 0, mode, uid, gid, linkTarget)
        {
            Ordinal = _count - 1,
            ModificationTime = mtime,
            Xattrs = xattrs,
            Sparse = sparse is not null,
            DeviceMajor = entryType is LayerEntryType.CharacterDevice or LayerEntryType.BlockDevice ? (int)Math.Min(int.MaxValue, TarBlocks.Number(_header.AsSpan(329, 8), "devmajor", rawName)) : 0,
            DeviceMinor = entryType is LayerEntryType.CharacterDevice or LayerEntryType.BlockDevice ? (int)Math.Min(int.MaxValue, TarBlocks.Number(_header.AsSpan(337, 8), "devminor", rawName)) : 0,
        };
        ReportHazards(entry);

        _currentName = rawName;
        _pendingPadding = size;
        if (entryType == LayerEntryType.File)
        {
            _content = new BoundedStream(_tar, size, rawName);
            if (sparse is null) Content = _content;
            else
            {
                var regions = sparse.Regions;
                var stored = size;
                if (sparse.MapInData)
                {
                    (var fromData, var consumed) = SparseMap.ReadDataMap(_content, size, _limits, rawName);
                    regions = fromData;
                    stored = size - consumed;
                }
                SparseMap.Validate(regions, sparse.RealSize, stored, _limits, rawName);
                Content = new SparseStream(_content, regions, sparse.RealSize);
            }
        }
        else
        {
            _content = null;
            Content = null;
        }
        return entry;
    }

    private void FinishCurrent()
    {
        if (_pendingPadding < 0) return;
        _content?.SkipRest();
        TarBlocks.SkipPadding(_tar, _pendingPadding, _currentName);
        _pendingPadding = -1;
        _content = null;
        Content = null;
    }

    private void Finish()
    {
        _done = true;
        Content = null;
        _decoder.VerifyEnd();
        Summary = new LayerReadSummary(_count, _decoder.Compression, _decoder.CompressedBytes, _decoder.Tar.Count, _decoder.Tar.Digest);
    }

    private byte[] ReadExtended(long size, string name)
    {
        if (size > _limits.MaxExtendedHeaderSize)
            throw new UnsafeLayerException(LayerProblem.OversizedHeader, null,
                $"An extended header of {size} bytes exceeds the limit of {_limits.MaxExtendedHeaderSize} (maxExtendedHeaderSize).");
        var data = TarBlocks.ReadExact(_tar, size, name);
        TarBlocks.SkipPadding(_tar, size, name);
        return data;
    }

    /// <summary>".wh.", ".wh..", ".wh..." would delete nothing or the parent; an opaque marker at the top would hide the whole image.</summary>
    private static void CheckWhiteout(string path, string raw)
    {
        var (parent, name) = LayerPaths.Split(path);
        if (!name.StartsWith(".wh.", StringComparison.Ordinal)) return;
        var target = name[4..];
        if (target is "" or "." or "..")
            throw new UnsafeLayerException(LayerProblem.BadWhiteout, raw, $"The whiteout names {(target.Length == 0 ? "nothing" : $"'{target}'")}, not a file.");
        if (name == ".wh..wh..opq" && parent.Length == 0)
            throw new UnsafeLayerException(LayerProblem.BadWhiteout, raw, "An opaque whiteout at the image root would hide every lower layer.");
    }

    private void CheckNotThroughSymlink(string path, string raw)
    {
        for (var slash = path.IndexOf('/'); slash > 0; slash = path.IndexOf('/', slash + 1))
            if (_symlinks.Contains(path[..slash]))
                throw new UnsafeLayerException(LayerProblem.SymlinkEscape, raw, $"The entry is written through the symbolic link '{LayerNames.Escape(path[..slash])}'.");
    }

    private void CheckSymlink(string path, string target, string raw)
    {
        if (target.Length == 0) throw TarBlocks.Malformed(raw, "the symbolic link has no target");
        if (target.Contains('\0')) throw new UnsafeLayerException(LayerProblem.BadName, raw, "The symbolic link target contains a NUL character.");
        if (LayerNames.ByteCount(target) > _limits.MaxLinkTargetLength)
            throw new UnsafeLayerException(LayerProblem.OversizedHeader, raw, $"The symbolic link target is {LayerNames.ByteCount(target)} bytes; the limit is {_limits.MaxLinkTargetLength}.");
        if (target.StartsWith('/')) return; // resolved against the image root, never the host's
        var depth = path.Count(c => c == '/');
        foreach (var part in target.Split('/', StringSplitOptions.RemoveEmptyEntries))
        {
            if (part == "..") depth--;
            else if (part != ".") depth++;
            if (depth < 0)
                throw new UnsafeLayerException(LayerProblem.SymlinkEscape, raw, $"The symbolic link target '{LayerNames.Escape(target)}' leaves the image root.");
        }
    }

    private string HardLinkTarget(string path, string raw, string entry)
    {
        if (raw.Length == 0) throw TarBlocks.Malformed(entry, "the hard link has no target");
        if (LayerNames.ByteCount(raw) > _limits.MaxLinkTargetLength)
            throw new UnsafeLayerException(LayerProblem.OversizedHeader, entry, $"The hard link target is {LayerNames.ByteCount(raw)} bytes; the limit is {_limits.MaxLinkTargetLength}.");
        string target;
        try
        {
            target = LayerPaths.Normalize(raw, _limits, "hard link target");
        }
        catch (UnsafeLayerException e)
        {
            throw new UnsafeLayerException(LayerProblem.HardlinkEscape, entry, $"The hard link target '{LayerNames.Escape(raw)}' is not a path inside the image: {e.Reason}");
        }
        if (target.Length == 0) throw new UnsafeLayerException(LayerProblem.HardlinkEscape, entry, "The hard link names the image root.");
        if (target == path) throw new UnsafeLayerException(LayerProblem.HardlinkEscape, entry, "The hard link links to itself.");
        if (_seen.TryGetValue(target, out var type))
        {
            if (type == LayerEntryType.Directory)
                throw new UnsafeLayerException(LayerProblem.HardlinkEscape, entry, $"The hard link target '{LayerNames.Escape(raw)}' is a directory.");
            return target;
        }
        if (_options.Standalone)
            throw new UnsafeLayerException(LayerProblem.HardlinkEscape, entry, $"The hard link target '{LayerNames.Escape(raw)}' is not an earlier entry.");
        return target; // a file of a lower layer: the merged view resolves it
    }

    private void ReportHazards(LayerEntry entry)
    {
        if (_options.OnHazard is null) return;
        var isDirectory = entry.Type == LayerEntryType.Directory;
        string Octal() => Convert.ToString(entry.Mode, 8).PadLeft(4, '0');
        switch (entry.Type)
        {
            case LayerEntryType.CharacterDevice or LayerEntryType.BlockDevice:
                Hazard(LayerHazardKind.SpecialFile, entry.Path, $"{Describe(entry.Type)} {entry.DeviceMajor}:{entry.DeviceMinor}, mode {Octal()}; never created on this machine");
                break;
            case LayerEntryType.Fifo:
                Hazard(LayerHazardKind.SpecialFile, entry.Path, $"FIFO, mode {Octal()}; never created on this machine");
                break;
        }
        if (entry.Type is LayerEntryType.File or LayerEntryType.Directory or LayerEntryType.BlockDevice)
        {
            if (!isDirectory && (entry.Mode & 0x800) != 0) Hazard(LayerHazardKind.Setuid, entry.Path, $"setuid, mode {Octal()}, owner {entry.Uid}");
            if (!isDirectory && (entry.Mode & 0x400) != 0) Hazard(LayerHazardKind.Setgid, entry.Path, $"setgid, mode {Octal()}, group {entry.Gid}");
            if ((entry.Mode & 0x2) != 0 && !(isDirectory && (entry.Mode & 0x200) != 0))
                Hazard(LayerHazardKind.WorldWritable, entry.Path, $"world-writable {(isDirectory ? "directory without the sticky bit" : Describe(entry.Type))}, mode {Octal()}");
        }
        foreach (var attribute in entry.Xattrs?.Keys ?? [])
            Hazard(attribute == "security.capability" ? LayerHazardKind.FileCapabilities : LayerHazardKind.ExtendedAttributes, entry.Path,
                attribute == "security.capability" ? "file capabilities (security.capability)" : $"extended attribute {LayerNames.Escape(attribute)}");
        if (entry.ModificationTime < 0 || entry.ModificationTime > LatestSaneTime)
            Hazard(LayerHazardKind.AbsurdTimestamp, entry.Path, $"modification time {entry.ModificationTime} s ({(entry.ModificationTime < 0 ? "before 1970" : "after 2100")})");
    }

    private void Hazard(LayerHazardKind kind, string entry, string detail) => _options.OnHazard?.Invoke(new LayerHazard(kind, entry, detail));

    private static int Id(long value, string what, string entry) =>
        value is >= 0 and <= int.MaxValue ? (int)value : throw TarBlocks.Malformed(entry, $"the {what} {value} is out of range");

    private string HeaderName()
    {
        var name = TarBlocks.CString(_header.AsSpan(0, 100));
        // POSIX ustar ("ustar\0") has a name prefix at 345 (131 bytes in star's variant); GNU ("ustar  \0") keeps times there instead.
        if (!_header.AsSpan(257, 6).SequenceEqual("ustar\0"u8)) return name;
        var star = _header.AsSpan(508, 4).SequenceEqual("tar\0"u8);
        var prefix = TarBlocks.CString(_header.AsSpan(345, star ? 131 : 155));
        return prefix.Length > 0 ? $"{prefix}/{name}" : name;
    }

    private static string DescribeType(char type) => type switch
    {
        'D' => "GNU dump directory",
        'M' => "GNU multi-volume continuation",
        'N' => "GNU old long name",
        'V' => "GNU volume label",
        'A' or 'E' or 'I' or 'X' => "vendor extension",
        _ => "unknown",
    };

    /// <summary>The entry type in words: "regular file", "symbolic link", …</summary>
    public static string Describe(LayerEntryType type) => type switch
    {
        LayerEntryType.File => "regular file",
        LayerEntryType.Directory => "directory",
        LayerEntryType.SymbolicLink => "symbolic link",
        LayerEntryType.HardLink => "hard link",
        LayerEntryType.CharacterDevice => "character device",
        LayerEntryType.BlockDevice => "block device",
        _ => "FIFO",
    };

    public void Dispose() => _decoder.Dispose();
}
