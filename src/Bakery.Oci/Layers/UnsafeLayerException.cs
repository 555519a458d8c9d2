namespace Bakery.Oci.Layers;

public enum LayerProblem
{
    BadCompression,
    BadHeader,
    Truncated,
    AbsolutePath,
    PathTraversal,
    SymlinkEscape,
    HardlinkEscape,
    DeviceFile,
    OversizedHeader,
    TooLarge,
    DecompressionBomb,
    TooManyEntries,
    UnsupportedEntry,
    BadName,
    BadWhiteout,
    BadSparse,
    TrailingData,
    NotADirectory,
    UnsupportedMediaType,
    MediaTypeMismatch,
    DigestMismatch,
    SizeMismatch,
}

/// <summary>
/// The one error every layer-reading failure becomes: what was wrong, and in which entry. The
/// message shows the entry escaped (<see cref="LayerNames.Escape"/>), so no control character or
/// invalid UTF-8 from a layer ever reaches a terminal raw.
/// </summary>
public sealed class UnsafeLayerException(LayerProblem problem, string? entry, string message, Exception? inner = null)
    : Exception(entry is null ? message : $"{message} (entry '{LayerNames.Escape(entry)}')", inner)
{
    public LayerProblem Problem { get; } = problem;

    /// <summary>The entry as the layer names it (may hold control characters: show <see cref="Exception.Message"/>).</summary>
    public string? Entry { get; } = entry;

    /// <summary>The problem without the entry, for messages that place the entry themselves.</summary>
    public string Reason { get; } = message;
}

public enum LayerEntryType { File, Directory, SymbolicLink, HardLink, CharacterDevice, BlockDevice, Fifo }

/// <summary>
/// One entry of a layer after its extended headers are applied. <see cref="Path"/> is normalized
/// (no leading "./", no empty or "." components; "" is the root directory); names that are not
/// valid UTF-8 keep their bytes as lone surrogates U+DC80–U+DCFF, so two different names never read
/// as one. <see cref="Mode"/> holds the permission bits with setuid, setgid and sticky (07777).
/// For a hard link <see cref="LinkTarget"/> is the normalized path it links to; for a symbolic
/// link, the target as written.
/// </summary>
public sealed record LayerEntry(string Path, LayerEntryType Type, long Size, int Mode, int Uid, int Gid, string? LinkTarget)
{
    /// <summary>Position of the entry in its layer (0 = first), counting only entries, not extended headers.</summary>
    public int Ordinal { get; init; }

    /// <summary>Modification time, seconds since the Unix epoch (may be negative).</summary>
    public long ModificationTime { get; init; }

    /// <summary>Extended attributes from PAX records (SCHILY.xattr.*), when there are any.</summary>
    public IReadOnlyDictionary<string, string>? Xattrs { get; init; }

    /// <summary>True when the content is a sparse file expanded to its logical size.</summary>
    public bool Sparse { get; init; }

    public int DeviceMajor { get; init; }
    public int DeviceMinor { get; init; }
}

public enum LayerHazardKind
{
    /// <summary>A character or block device or a FIFO: kept in the view, never created on this machine.</summary>
    SpecialFile,
    Setuid,
    Setgid,
    WorldWritable,
    FileCapabilities,
    ExtendedAttributes,
    EntriesAfterZeroBlock,
    GlobalHeader,
    AbsurdTimestamp,
}

/// <summary>Something accepted in a layer that a reviewer should see.</summary>
public sealed record LayerHazard(LayerHazardKind Kind, string Entry, string Detail)
{
    public override string ToString() => $"'{LayerNames.Escape(Entry)}' ({Detail})";
}
