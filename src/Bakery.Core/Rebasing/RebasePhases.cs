using System.Diagnostics;
using Bakery.Core.Baking;

namespace Bakery.Core.Rebasing;

/// <summary>The wall-clock time of each phase of a rebase, shown at detailed verbosity (<c>bakery rebase --verbose</c>).</summary>
internal sealed class RebasePhases(IBakeLog log)
{
    private readonly Stopwatch _clock = Stopwatch.StartNew();
    private TimeSpan _last;

    public TimeSpan Elapsed => _clock.Elapsed;

    /// <summary>Logs the time since the previous phase ended (or the rebase began) for <paramref name="phase"/>.</summary>
    public void Done(string phase)
    {
        var now = _clock.Elapsed;
        log.Detail($"Time: {phase} {(now - _last).TotalMilliseconds:0} ms");
        _last = now;
    }
}
