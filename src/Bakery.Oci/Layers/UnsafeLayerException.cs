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
}

/// <summary>The one error every layer-reading failure becomes: what was wrong, and in which entry.</summary>
public sealed class UnsafeLayerException(LayerProblem problem, string? entry, string message, Exception? inner = null)
    : Exception(entry is null ? message : $"{message} (entry '{entry}')", inner)
{
    public LayerProblem Problem { get; } = problem;
    public string? Entry { get; } = entry;
}

public sealed record LayerReadLimits
{
    public int MaxEntries { get; init; } = 200_000;
    public long MaxEntrySize { get; init; } = 8L << 30;
    public long MaxTotalSize { get; init; } = 16L << 30;

    /// <summary>Uncompressed:compressed ratio above which (past <see cref="BombThreshold"/> bytes) a layer is a bomb.</summary>
    public double MaxCompressionRatio { get; init; } = 200;
    public long BombThreshold { get; init; } = 16L << 20;
    public int MaxPathLength { get; init; } = 4096;
    public int MaxExtendedHeaderSize { get; init; } = 1 << 20;
    public bool AllowDevices { get; init; }
}

public enum LayerEntryType { File, Directory, SymbolicLink, HardLink, CharacterDevice, BlockDevice, Fifo }

public sealed record LayerEntry(string Path, LayerEntryType Type, long Size, int Mode, int Uid, int Gid, string? LinkTarget);
