namespace Bakery.Tasks;

/// <summary>
/// The base image's registry checks, started by ResolveBakeryBaseImage and registered with MSBuild for the
/// rest of the build, so CompleteBakeryBaseImageCheck can wait for them. MSBuild disposes it when the
/// build ends, which stops checks nobody waited for (the build failed first).
/// </summary>
internal sealed class PendingBaseImageCheck : IDisposable
{
    private readonly CancellationTokenSource _cancel = new();

    public PendingBaseImageCheck(Func<CancellationToken, Task<BaseImageCheckOutcome>> checks)
    {
        Outcome = Task.Run(() => checks(_cancel.Token));
    }

    public string Key { get; } = $"Bakery.BaseImageCheck.{Guid.NewGuid():N}";

    public Task<BaseImageCheckOutcome> Outcome { get; }

    public void Cancel() => _cancel.Cancel();

    public void Dispose()
    {
        _cancel.Cancel();
        // The checks see the cancellation and end on their own; the token stays valid until they have.
        Outcome.ContinueWith(_ => _cancel.Dispose(), TaskScheduler.Default);
    }
}
