namespace Bakery.Core.Baking;

/// <summary>Where the pipeline reports progress: MSBuild's logger in tasks, the console in the tool.</summary>
public interface IBakeLog
{
    /// <summary>A line a person wants to see at normal verbosity.</summary>
    void Info(string message);

    /// <summary>A line for detailed verbosity.</summary>
    void Detail(string message);

    void Warning(BakeryDiagnostic diagnostic);
}
