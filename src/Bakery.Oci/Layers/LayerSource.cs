namespace Bakery.Oci.Layers;

/// <summary>
/// A file or folder on disk and where it goes in the image. A folder is copied with its contents.
/// <paramref name="Mode"/> overrides the normalised permission bits of every file it adds;
/// <paramref name="Uid"/>/<paramref name="Gid"/> own everything it copies (else the layer's owner, root).
/// </summary>
public sealed record LayerSource(string SourcePath, string Destination, UnixFileMode? Mode = null, int? Uid = null, int? Gid = null);

/// <summary>Ownership and time stamped on every entry so the same input gives the same bytes.</summary>
public sealed record LayerOptions
{
    public DateTimeOffset ModificationTime { get; init; } = DateTimeOffset.UnixEpoch;
    public int Uid { get; init; }
    public int Gid { get; init; }

    /// <summary>The <c>SOURCE_DATE_EPOCH</c> convention: seconds since the epoch, or the epoch itself.</summary>
    public static DateTimeOffset TimestampFromSourceDateEpoch(string? sourceDateEpoch)
    {
        if (string.IsNullOrWhiteSpace(sourceDateEpoch)) return DateTimeOffset.UnixEpoch;
        if (!long.TryParse(sourceDateEpoch.Trim(), System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var seconds))
            throw new FormatException($"SOURCE_DATE_EPOCH '{sourceDateEpoch}' is not a whole number of seconds since 1970-01-01.");
        return DateTimeOffset.FromUnixTimeSeconds(seconds);
    }
}

/// <summary>A layer written to the blob store: compressed digest and size, and the uncompressed diff id.</summary>
public sealed record LayerBlob(Model.Digest Digest, Model.Digest DiffId, long Size, string Path, int EntryCount);
