using Bakery.Core;
using Microsoft.Build.Framework;

namespace Bakery.Tasks;

/// <summary>What the base image's checks found, kept until a task may log it (checks that ran in the background log nothing themselves).</summary>
internal sealed class BaseImageCheckOutcome(string state)
{
    public string State { get; } = state;
    public List<BakeryDiagnostic> Diagnostics { get; } = [];
    public List<(MessageImportance Importance, string Text)> Lines { get; } = [];

    public void LogTo(BakeryTask task)
    {
        foreach (var (importance, text) in Lines) task.Log.LogMessage(importance, text);
        foreach (var diagnostic in Diagnostics) task.LogDiagnostic(diagnostic);
    }
}
