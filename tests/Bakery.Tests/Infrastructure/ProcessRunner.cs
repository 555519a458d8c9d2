using System.Diagnostics;
using System.Text;

namespace Bakery.Tests.Infrastructure;

/// <param name="Output">Standard output and error as they arrived, interleaved.</param>
/// <param name="StandardOutput">Standard output alone (a --json answer, without the progress lines on standard error).</param>
internal sealed record ProcessResult(int ExitCode, string Output, string StandardOutput = "")
{
    public override string ToString() => $"exit {ExitCode}\n{Output}";
}

/// <summary>Runs child processes with CI variables stripped, so tests do not pick up the host CI's build id.</summary>
internal static class ProcessRunner
{
    private static readonly string[] StrippedPrefixes = ["GITHUB_", "BUILD_", "TF_BUILD", "CI_", "SYSTEM_", "AGENT_"];
    private static readonly string[] StrippedNames = ["BUILD_NUMBER", "CI", "SOURCE_DATE_EPOCH", "BAKERY_REGISTRY_USERNAME", "BAKERY_REGISTRY_PASSWORD", "DOCKER_CONFIG",
        "BAKERY_PUSH_REGISTRY_USERNAME", "BAKERY_PUSH_REGISTRY_PASSWORD", "BAKERY_SOURCE_REGISTRY_USERNAME", "BAKERY_SOURCE_REGISTRY_PASSWORD",
        "DOTNET_CONTAINER_REGISTRY_UNAME", "DOTNET_CONTAINER_REGISTRY_PWORD", "DOTNET_CONTAINER_PUSH_REGISTRY_UNAME", "DOTNET_CONTAINER_PUSH_REGISTRY_PWORD",
        "DOTNET_CONTAINER_SOURCE_REGISTRY_UNAME", "DOTNET_CONTAINER_SOURCE_REGISTRY_PWORD", "SDK_CONTAINER_REGISTRY_UNAME", "SDK_CONTAINER_REGISTRY_PWORD"];

    public static ProcessResult Run(string fileName, IEnumerable<string> arguments, string workingDirectory,
        IReadOnlyDictionary<string, string>? environment = null, TimeSpan? timeout = null)
    {
        var start = new ProcessStartInfo(fileName)
        {
            WorkingDirectory = workingDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var argument in arguments) start.ArgumentList.Add(argument);
        foreach (var key in start.Environment.Keys.ToList())
            if (StrippedPrefixes.Any(p => key.StartsWith(p, StringComparison.Ordinal)) || StrippedNames.Contains(key))
                start.Environment.Remove(key);
        start.Environment["MSBUILDDISABLENODEREUSE"] = "1";
        start.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        start.Environment["DOTNET_NOLOGO"] = "1";
        foreach (var (key, value) in environment ?? new Dictionary<string, string>()) start.Environment[key] = value;

        var output = new StringBuilder();
        var standardOutput = new StringBuilder();
        using var process = new Process { StartInfo = start };
        process.OutputDataReceived += (_, e) =>
        {
            if (e.Data is null) return;
            lock (output)
            {
                output.AppendLine(e.Data);
                standardOutput.AppendLine(e.Data);
            }
        };
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) lock (output) output.AppendLine(e.Data); };
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        if (!process.WaitForExit(timeout ?? TimeSpan.FromMinutes(5)))
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"{fileName} {string.Join(' ', arguments)} did not finish in time.\n{output}");
        }
        process.WaitForExit();
        return new ProcessResult(process.ExitCode, output.ToString(), standardOutput.ToString());
    }
}
