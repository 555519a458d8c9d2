namespace Bakery.Core.Containers;

/// <summary>
/// One container from creation to removal, for RUN steps and command tests: started at once,
/// waited for with a time limit (killed when it runs over), removed when disposed.
/// </summary>
public sealed class ContainerRun : IAsyncDisposable
{
    private readonly IContainerRuntime _runtime;

    private ContainerRun(IContainerRuntime runtime, string id, bool tty) => (_runtime, Id, Tty) = (runtime, id, tty);

    public string Id { get; }
    public bool Tty { get; }

    public static async Task<ContainerRun> StartAsync(IContainerRuntime runtime, ContainerSpec spec, CancellationToken ct)
    {
        var run = new ContainerRun(runtime, await runtime.CreateAsync(spec, ct), spec.Tty);
        try
        {
            await runtime.StartAsync(run.Id, ct);
            return run;
        }
        catch
        {
            await run.DisposeAsync();
            throw;
        }
    }

    /// <summary>The exit code, or null when the container did not exit within <paramref name="limit"/> (it is killed).</summary>
    public async Task<long?> WaitAsync(TimeSpan limit, CancellationToken ct)
    {
        using var timer = CancellationTokenSource.CreateLinkedTokenSource(ct);
        timer.CancelAfter(limit);
        try
        {
            return await _runtime.WaitAsync(Id, timer.Token);
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            await _runtime.KillAsync(Id, CancellationToken.None);
            return null;
        }
    }

    public Task<ContainerOutput> OutputAsync(CancellationToken ct) => _runtime.OutputAsync(Id, Tty, ct);

    public async ValueTask DisposeAsync()
    {
        // A failed removal must not hide why the run failed; the engine's own cleanup can take it later.
        try { await _runtime.RemoveAsync(Id, CancellationToken.None); }
        catch (BakeryException) { }
    }
}
