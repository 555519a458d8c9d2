using System.Diagnostics;

namespace Bakery.Core.Baking;

/// <summary>
/// The wall-clock time of each phase of a bake or a rebase, shown at detailed verbosity
/// (<c>-v:d</c> for a bake, <c>bakery rebase --verbose</c>): where a slow bake spends its time.
/// </summary>
public sealed class PhaseTimes(IBakeLog log)
{
    private readonly Stopwatch _clock = Stopwatch.StartNew();
    private TimeSpan _last;

    public TimeSpan Elapsed => _clock.Elapsed;

    /// <summary>Logs the time since the previous phase ended (or the clock started) for <paramref name="phase"/>.</summary>
    public void Done(string phase)
    {
        var now = _clock.Elapsed;
        log.Detail($"Time: {phase} {(now - _last).TotalMilliseconds:0} ms");
        _last = now;
    }
}
