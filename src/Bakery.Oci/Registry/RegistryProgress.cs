using System.Globalization;

namespace Bakery.Oci.Registry;

public enum RegistryProgressKind
{
    /// <summary>A blob is being uploaded.</summary>
    Upload,
    /// <summary>A blob is being downloaded.</summary>
    Download,
    /// <summary>A request has been waiting for an answer for a while.</summary>
    Waiting,
}

/// <summary>
/// A progress report from a registry client: a large blob moving (bytes done, total, rate), or a
/// request still waiting for its answer. <see cref="Message"/> is the line to show a person.
/// </summary>
public sealed record RegistryProgress(
    RegistryProgressKind Kind,
    string Registry,
    string Repository,
    string What,
    long BytesDone,
    long? BytesTotal,
    double BytesPerSecond,
    TimeSpan Elapsed,
    TimeSpan? GivesUpAfter = null)
{
    public string Message => Kind switch
    {
        RegistryProgressKind.Waiting =>
            $"Still waiting for {Registry} to {What} ({Elapsed.TotalSeconds:0} s{(GivesUpAfter is { } t ? $"; retried after {t.TotalSeconds:0} s" : "")}).",
        _ => $"{(Kind == RegistryProgressKind.Upload ? "Uploading" : "Downloading")} {What} {(Kind == RegistryProgressKind.Upload ? "to" : "from")} {Registry}/{Repository}: "
            + $"{Size(BytesDone)}{(BytesTotal is { } total ? $" of {Size(total)} ({(total == 0 ? 100 : 100.0 * BytesDone / total):0}%)" : "")}, {Size((long)BytesPerSecond)}/s",
    };

    public override string ToString() => Message;

    /// <summary>Reports each progress line to <paramref name="write"/> as it happens (on the caller's thread, unlike <see cref="Progress{T}"/>).</summary>
    public static IProgress<RegistryProgress> Lines(Action<string> write) => new LineProgress(write);

    internal static string Size(long bytes) => bytes switch
    {
        >= 1L << 30 => (bytes / (double)(1L << 30)).ToString("0.0", CultureInfo.InvariantCulture) + " GiB",
        >= 1L << 20 => (bytes / (double)(1L << 20)).ToString("0.0", CultureInfo.InvariantCulture) + " MiB",
        >= 1L << 10 => (bytes / (double)(1L << 10)).ToString("0.0", CultureInfo.InvariantCulture) + " KiB",
        _ => bytes.ToString(CultureInfo.InvariantCulture) + " B",
    };

    private sealed class LineProgress(Action<string> write) : IProgress<RegistryProgress>
    {
        public void Report(RegistryProgress value) => write(value.Message);
    }
}

/// <summary>
/// Counts a blob's bytes and reports them at most once per interval: the first report comes only after
/// one interval, so short transfers stay quiet; the rate is over the last interval.
/// </summary>
internal sealed class TransferMeter(IProgress<RegistryProgress>? progress, RegistryProgressKind kind, string registry, string repository,
    string what, long? total, TimeSpan interval, TimeProvider time)
{
    private readonly long _started = time.GetTimestamp();
    private long _lastReport = time.GetTimestamp();
    private long _bytesAtLastReport;
    private long _bytes;
    private readonly Lock _gate = new();

    public long Bytes => Interlocked.Read(ref _bytes);

    /// <summary>Sets the count (a resumed upload continues from where the registry says it is).</summary>
    public void Reset(long bytes)
    {
        lock (_gate)
        {
            _bytes = bytes;
            _bytesAtLastReport = Math.Min(_bytesAtLastReport, bytes);
        }
    }

    public void Add(long count)
    {
        if (progress is null) { Interlocked.Add(ref _bytes, count); return; }
        RegistryProgress? report = null;
        lock (_gate)
        {
            _bytes += count;
            var now = time.GetTimestamp();
            var sinceReport = time.GetElapsedTime(_lastReport, now);
            if (sinceReport >= interval)
            {
                var rate = (_bytes - _bytesAtLastReport) / Math.Max(sinceReport.TotalSeconds, 0.001);
                report = new RegistryProgress(kind, registry, repository, what, _bytes, total, rate, time.GetElapsedTime(_started, now));
                _lastReport = now;
                _bytesAtLastReport = _bytes;
            }
        }
        if (report is not null) progress.Report(report);
    }
}
