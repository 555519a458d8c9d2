using Bakery.Core;
using Microsoft.Build.Framework;
using Task = Microsoft.Build.Utilities.Task;

namespace Bakery.Tasks;

/// <summary>
/// Base of every Bakery task: runs the work, turns <see cref="BakeryException"/> into an error with
/// its BAKE code, and supports cancellation (Ctrl+C).
/// </summary>
public abstract class BakeryTask : Task, ICancelableTask
{
    private readonly CancellationTokenSource _cancel = new();

    protected BakeryTask() : base(BakeryMessages.ResourceManager) { }

    protected CancellationToken CancellationToken => _cancel.Token;

    /// <summary>The project being built (MSBuildProjectFullPath), so errors point at it rather than at the SDK's targets.</summary>
    public string? ProjectFile { get; set; }

    public void Cancel() => _cancel.Cancel();

    public sealed override bool Execute()
    {
        try
        {
            ExecuteCore();
        }
        catch (BakeryException e)
        {
            LogDiagnostic(new BakeryDiagnostic(e.Code, true, e.Message));
        }
        catch (OperationCanceledException) when (_cancel.IsCancellationRequested)
        {
            Log.LogMessage(MessageImportance.High, "Bake cancelled.");
            return false;
        }
        catch (Exception e)
        {
            // The last resort: no exception reaches MSBuild as MSB4018 with a stack trace.
            var error = BakeryErrors.From(e);
            LogDiagnostic(new BakeryDiagnostic(error.Code, true, error.Message));
            Log.LogMessage(MessageImportance.Low, e.ToString());
        }
        return !Log.HasLoggedErrors;
    }

    protected abstract void ExecuteCore();

    protected internal void LogDiagnostic(BakeryDiagnostic diagnostic)
    {
        var file = string.IsNullOrEmpty(ProjectFile) ? BuildEngine?.ProjectFileOfTaskNode : ProjectFile;
        if (diagnostic.IsError)
            Log.LogError(null, diagnostic.Code, null, file, 0, 0, 0, 0, diagnostic.Message);
        else
            Log.LogWarning(null, diagnostic.Code, null, file, 0, 0, 0, 0, diagnostic.Message);
    }
}
