using System.Globalization;

namespace Bakery.Oci.Layers;

/// <summary>
/// What a layer may hold before it is refused. Defaults follow Go's archive/tar and containerd
/// (paths, names and link targets as Linux allows them, 1 MiB extended headers) and are sized so
/// real images pass (a 32 GiB layer, an 8 GiB file); every one can be changed with the environment
/// variable BAKERY_LAYER_LIMITS, e.g. "maxEntrySize=16GiB,maxCompressionRatio=500".
/// </summary>
public sealed record LayerReadLimits
{
    public const string EnvironmentVariable = "BAKERY_LAYER_LIMITS";

    private static readonly LayerReadLimits BuiltIn = new(builtIn: true);
    private static readonly Lazy<LayerReadLimits> Configured = new(() => Parse(Environment.GetEnvironmentVariable(EnvironmentVariable)));

    /// <summary>The defaults, with BAKERY_LAYER_LIMITS applied (a bad setting throws <see cref="LayerLimitsException"/>).</summary>
    public LayerReadLimits()
    {
        var c = Configured.Value;
        (MaxEntries, MaxEntrySize, MaxTotalSize, MaxCompressionRatio, BombThreshold) = (c.MaxEntries, c.MaxEntrySize, c.MaxTotalSize, c.MaxCompressionRatio, c.BombThreshold);
        (MaxPathLength, MaxNameLength, MaxLinkTargetLength, MaxExtendedHeaderSize, MaxSparseRegions, AllowDevices) =
            (c.MaxPathLength, c.MaxNameLength, c.MaxLinkTargetLength, c.MaxExtendedHeaderSize, c.MaxSparseRegions, c.AllowDevices);
    }

    private LayerReadLimits(bool builtIn) => _ = builtIn;

    /// <summary>Entries (not counting extended headers) in one layer.</summary>
    public int MaxEntries { get; init; } = 1_000_000;

    /// <summary>Bytes of one file (for a sparse file: its logical size).</summary>
    public long MaxEntrySize { get; init; } = 8L << 30;

    /// <summary>Decompressed bytes of one layer, checked while the stream is read.</summary>
    public long MaxTotalSize { get; init; } = 32L << 30;

    /// <summary>Decompressed:compressed ratio above which (past <see cref="BombThreshold"/> bytes) a layer is a bomb; checked while reading.</summary>
    public double MaxCompressionRatio { get; init; } = 200;
    public long BombThreshold { get; init; } = 64L << 20;

    /// <summary>Bytes of a whole path (Linux PATH_MAX).</summary>
    public int MaxPathLength { get; init; } = 4096;

    /// <summary>Bytes of one path component (Linux NAME_MAX).</summary>
    public int MaxNameLength { get; init; } = 255;

    /// <summary>Bytes of a symbolic or hard link target.</summary>
    public int MaxLinkTargetLength { get; init; } = 4096;

    /// <summary>Bytes of one PAX extended header, GNU long name/link or sparse map (Go's archive/tar: 1 MiB).</summary>
    public int MaxExtendedHeaderSize { get; init; } = 1 << 20;

    /// <summary>Data regions of one sparse file.</summary>
    public int MaxSparseRegions { get; init; } = 65_536;

    /// <summary>Device nodes and FIFOs are accepted (with a warning) when true, refused otherwise.</summary>
    public bool AllowDevices { get; init; } = true;

    /// <summary>The defaults with BAKERY_LAYER_LIMITS applied: "key=value,…", sizes with KiB/MiB/GiB/TiB.</summary>
    public static LayerReadLimits Parse(string? setting)
    {
        {
            var limits = BuiltIn;
            if (string.IsNullOrWhiteSpace(setting)) return limits;
            foreach (var pair in setting.Split([',', ';'], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
            {
                var eq = pair.IndexOf('=');
                if (eq <= 0) throw new LayerLimitsException($"'{pair}' is not key=value");
                var (key, value) = (pair[..eq].Trim(), pair[(eq + 1)..].Trim());
                limits = key.ToLowerInvariant() switch
                {
                    "maxentries" => limits with { MaxEntries = (int)Number(key, value, int.MaxValue) },
                    "maxentrysize" => limits with { MaxEntrySize = Number(key, value, long.MaxValue) },
                    "maxtotalsize" or "maxlayersize" => limits with { MaxTotalSize = Number(key, value, long.MaxValue) },
                    "maxcompressionratio" => limits with { MaxCompressionRatio = Number(key, value, 1_000_000_000) },
                    "bombthreshold" => limits with { BombThreshold = Number(key, value, long.MaxValue) },
                    "maxpathlength" => limits with { MaxPathLength = (int)Number(key, value, 1 << 20) },
                    "maxnamelength" => limits with { MaxNameLength = (int)Number(key, value, 1 << 20) },
                    "maxlinktargetlength" => limits with { MaxLinkTargetLength = (int)Number(key, value, 1 << 20) },
                    "maxextendedheadersize" => limits with { MaxExtendedHeaderSize = (int)Number(key, value, 1 << 30) },
                    "maxsparseregions" => limits with { MaxSparseRegions = (int)Number(key, value, int.MaxValue) },
                    "allowdevices" => limits with { AllowDevices = bool.TryParse(value, out var b) ? b : throw new LayerLimitsException($"{key} must be true or false, not '{value}'") },
                    _ => throw new LayerLimitsException($"'{key}' is not a layer limit (known: maxEntries, maxEntrySize, maxTotalSize, maxCompressionRatio, bombThreshold, maxPathLength, maxNameLength, maxLinkTargetLength, maxExtendedHeaderSize, maxSparseRegions, allowDevices)"),
                };
            }
            return limits;
        }
    }

    private static long Number(string key, string value, long max)
    {
        var units = new (string Suffix, long Factor)[] { ("TiB", 1L << 40), ("GiB", 1L << 30), ("MiB", 1L << 20), ("KiB", 1L << 10), ("T", 1L << 40), ("G", 1L << 30), ("M", 1L << 20), ("K", 1L << 10) };
        var factor = 1L;
        foreach (var (suffix, f) in units)
            if (value.EndsWith(suffix, StringComparison.OrdinalIgnoreCase)) { factor = f; value = value[..^suffix.Length].Trim(); break; }
        if (!long.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var n) || n <= 0 || n > max / factor)
            throw new LayerLimitsException($"{key} must be a positive whole number (optionally with KiB, MiB, GiB or TiB) up to {max}, not '{value}'");
        return n * factor;
    }
}

/// <summary>BAKERY_LAYER_LIMITS cannot be understood.</summary>
public sealed class LayerLimitsException(string problem)
    : Exception($"{LayerReadLimits.EnvironmentVariable} is not valid: {problem}.")
{
    public string Problem { get; } = problem;
}
