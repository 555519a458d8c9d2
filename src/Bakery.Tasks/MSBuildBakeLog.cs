using Bakery.Core;
using Bakery.Core.Baking;
using Microsoft.Build.Framework;
using Microsoft.Build.Utilities;

namespace Bakery.Tasks;

internal sealed class MSBuildBakeLog(TaskLoggingHelper log) : IBakeLog
{
    public void Info(string message) => log.LogMessage(MessageImportance.High, "Bakery: " + message);

    public void Detail(string message) => log.LogMessage(MessageImportance.Low, "Bakery: " + message);

    public void Warning(BakeryDiagnostic diagnostic) =>
        log.LogWarning(null, diagnostic.Code, null, null, 0, 0, 0, 0, diagnostic.Message);
}
