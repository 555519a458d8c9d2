using Microsoft.Build.Framework;

namespace Bakery.Tasks;

/// <summary>Waits for the registry checks ResolveBakeryBaseImage left running, shows what they found and fails the build on their errors.</summary>
public sealed class CompleteBakeryBaseImageCheck : BakeryTask
{
    /// <summary>ResolveBakeryBaseImage's PendingCheck; empty: the checks already ran.</summary>
    public string? PendingCheck { get; set; }

    /// <summary>The lifecycle state so far (ResolveBakeryBaseImage's), returned as is when nothing was pending.</summary>
    public string? LifecycleState { get; set; }

    [Output] public string? FinalLifecycleState { get; private set; }

    protected override void ExecuteCore()
    {
        FinalLifecycleState = LifecycleState;
        if (string.IsNullOrEmpty(PendingCheck)) return;
        if (BuildEngine is not IBuildEngine4 engine
            || engine.UnregisterTaskObject(PendingCheck, RegisteredTaskObjectLifetime.Build) is not PendingBaseImageCheck pending)
        {
            Log.LogMessage(MessageImportance.Low, "Bakery: the base image's registry checks were already completed.");
            return;
        }
        using (pending)
        using (CancellationToken.Register(pending.Cancel))
        {
            var outcome = pending.Outcome.GetAwaiter().GetResult();
            outcome.LogTo(this);
            FinalLifecycleState = outcome.State;
        }
    }
}
