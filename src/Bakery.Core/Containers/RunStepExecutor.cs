using Bakery.Core.Baking;
using Bakery.Oci.Layers;

namespace Bakery.Core.Containers;

/// <summary>
/// Runs a BakeryRun step in a container of the image so far (network none, time limit) and turns
/// the container's filesystem changes into layer entries with <see cref="FilesystemDiff"/>.
/// </summary>
public sealed class RunStepExecutor(IContainerRuntime runtime, IBakeLog log)
{
    public async Task EnsureAvailableAsync(CancellationToken ct)
    {
        if (await runtime.UnavailableReasonAsync(ct) is { } reason) throw Messages.BAKE504(runtime.Endpoint, reason).Exception();
    }

    /// <summary>BAKE212 when the step's platform is one the engine cannot run (no emulation registered for it).</summary>
    public Task EnsureCanRunAsync(Oci.Model.Platform platform, RunStep step, CancellationToken ct)
    {
        if (PlatformEmulation.Problem(platform, runtime.EnginePlatform, runtime.Endpoint) is { } problem)
            throw Messages.BAKE212(step.Display, platform, runtime.Endpoint, problem).Exception();
        return Task.CompletedTask;
    }

    /// <param name="image">The image so far: pullable by digest (registry/repository@sha256:…), or already in the engine (<paramref name="pull"/> false).</param>
    /// <param name="platform">The image's platform: a failure to start it at all is BAKE212, not a failing command.</param>
    public async Task<IReadOnlyList<LayerPlan.Entry>> RunAsync(string image, RunStep step, string stagingDirectory, CancellationToken ct, bool pull = true, Oci.Model.Platform? platform = null)
    {
        if (pull) await runtime.PullAsync(image, ct);
        try
        {
            var spec = new ContainerSpec(image, ["/bin/sh", "-c"], [step.Command]) { User = string.IsNullOrEmpty(step.User) ? "0" : step.User };
            await using var run = await ContainerRun.StartAsync(runtime, spec, ct);
            log.Info($"RUN {step.Display}");
            log.Detail($"  in {runtime.Engine} at {runtime.Endpoint}");
            var exit = await run.WaitAsync(step.Timeout, ct)
                ?? throw Messages.BAKE503(step.Display, $"it did not finish within {step.Timeout.TotalSeconds:0} s (BakeryRun Timeout metadata).").Exception();
            var output = (await run.OutputAsync(ct)).Combined;
            foreach (var line in output.Split('\n', StringSplitOptions.RemoveEmptyEntries).TakeLast(20)) log.Detail($"  | {line}");
            if (exit != 0 && platform is not null && PlatformEmulation.IsExecFormatError(output))
                throw Messages.BAKE212(step.Display, platform, runtime.Endpoint, "its programs do not start there (exec format error)").Exception();
            if (exit != 0)
                throw Messages.BAKE503(step.Display, $"it exited with code {exit}. Last output:\n{string.Join('\n', output.Split('\n').TakeLast(10))}").Exception();
            var changes = await runtime.ChangesAsync(run.Id, ct);
            try
            {
                return await FilesystemDiff.EntriesAsync(changes, new ContainerFilesystem(runtime, run.Id), stagingDirectory, ct);
            }
            catch (ContainerDiffException e)
            {
                throw Messages.BAKE503(step.Display, $"its changes cannot become a layer: {e.Message}.").Exception();
            }
        }
        finally
        {
            try { await runtime.RemoveImageAsync(image, CancellationToken.None); }
            catch (BakeryException) { } // the image stays in the engine's store; nothing depends on it
        }
    }
}
