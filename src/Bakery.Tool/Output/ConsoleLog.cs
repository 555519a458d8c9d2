using Bakery.Core;
using Bakery.Core.Baking;

namespace Bakery.Tool.Output;

/// <summary>Bake progress for the tool: to stderr, so stdout stays the command's answer.</summary>
internal sealed class ConsoleLog(bool quiet, bool verbose = false) : IBakeLog
{
    public void Info(string message) { if (!quiet) Console.Error.WriteLine(message); }
    public void Detail(string message) { if (verbose && !quiet) Console.Error.WriteLine(message); }
    public void Warning(BakeryDiagnostic diagnostic) => Console.Error.WriteLine($"warning {diagnostic.Code}: {diagnostic.Message}");
}
