using Bakery.Core;
using Bakery.Core.Baking;

namespace Bakery.Tests.Infrastructure;

/// <summary>A bake log that keeps what it is told, for tests that run pipeline parts in process.</summary>
internal sealed class RecordingLog : IBakeLog
{
    private readonly List<string> _lines = [];
    private readonly List<BakeryDiagnostic> _warnings = [];

    public IReadOnlyList<string> Lines { get { lock (_lines) return [.. _lines]; } }
    public IReadOnlyList<BakeryDiagnostic> Warnings { get { lock (_warnings) return [.. _warnings]; } }

    public void Info(string message) { lock (_lines) _lines.Add(message); }
    public void Detail(string message) { lock (_lines) _lines.Add(message); }
    public void Warning(BakeryDiagnostic diagnostic) { lock (_warnings) _warnings.Add(diagnostic); }
}
