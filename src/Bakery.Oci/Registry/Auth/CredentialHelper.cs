using System.Diagnostics;
using System.Text.Json;

namespace Bakery.Oci.Registry;

/// <summary>Where helpers are looked for: the PATH, with PATHEXT's extensions on Windows.</summary>
internal sealed record CredentialHelperPath(string? Path, string? PathExt, bool IsWindows);

/// <summary>
/// The docker credential-helper protocol: <c>docker-credential-NAME get</c>, the server on stdin, JSON
/// with <c>Username</c> and <c>Secret</c> on stdout. "Credentials not found" is no credential; a helper
/// that is missing or fails is an error naming it and the fix, never a silent anonymous request.
/// </summary>
internal static class CredentialHelper
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);

    public static string ProgramName(string name) => $"docker-credential-{name}";

    /// <summary>The helper's executable: docker-credential-NAME on the PATH (on Windows with .exe, .cmd, … from PATHEXT).</summary>
    public static string? Locate(string name, CredentialHelperPath where)
    {
        var program = ProgramName(name);
        var extensions = where.IsWindows
            ? (where.PathExt ?? ".COM;.EXE;.BAT;.CMD").Split(';', StringSplitOptions.RemoveEmptyEntries).Prepend(".exe").Distinct(StringComparer.OrdinalIgnoreCase).ToList()
            : [""];
        foreach (var dir in (where.Path ?? "").Split(where.IsWindows ? ';' : ':', StringSplitOptions.RemoveEmptyEntries))
            foreach (var extension in extensions)
            {
                var candidate = System.IO.Path.Combine(dir.Trim('"'), program + extension);
                if (File.Exists(candidate)) return candidate;
            }
        return null;
    }

    public static RegistryCredential? Get(string name, string server, string registry, string namedBy, CredentialHelperPath where)
    {
        var program = ProgramName(name);
        var fix = $"Install {program} on the PATH, or remove {namedBy.Split(' ')[0]} from the docker config, or set BAKERY_REGISTRY_USERNAME and BAKERY_REGISTRY_PASSWORD for this build.";
        var executable = Locate(name, where)
            ?? throw new RegistryException(RegistryFailure.CredentialHelper, registry, "",
                $"The credential helper {program} is not on the PATH, but {namedBy} names it for {registry}. {fix}");
        var start = new ProcessStartInfo(executable, "get")
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        Process process;
        try
        {
            process = Process.Start(start) ?? throw new InvalidOperationException("no process");
        }
        catch (Exception e) when (e is System.ComponentModel.Win32Exception or InvalidOperationException)
        {
            throw new RegistryException(RegistryFailure.CredentialHelper, registry, "", $"The credential helper {executable} (named by {namedBy}) cannot be started: {e.Message}. {fix}");
        }
        using (process)
        {
            var output = process.StandardOutput.ReadToEndAsync();
            var error = process.StandardError.ReadToEndAsync();
            try
            {
                process.StandardInput.Write(server);
                process.StandardInput.Close();
            }
            catch (IOException) { }
            if (!process.WaitForExit(Timeout))
            {
                process.Kill(entireProcessTree: true);
                throw new RegistryException(RegistryFailure.CredentialHelper, registry, "", $"The credential helper {program} did not answer within {Timeout.TotalSeconds:0} s for {registry}. {fix}");
            }
            var text = output.GetAwaiter().GetResult();
            if (process.ExitCode != 0)
            {
                var message = (error.GetAwaiter().GetResult() + " " + text).Trim();
                if (message.Contains("credentials not found", StringComparison.OrdinalIgnoreCase)) return null;
                throw new RegistryException(RegistryFailure.CredentialHelper, registry, "",
                    $"The credential helper {program} failed for {registry} (exit code {process.ExitCode}): {message}. Log in again (e.g. 'docker login {registry}'), or {char.ToLowerInvariant(fix[0])}{fix[1..]}");
            }
            try
            {
                using var answer = JsonDocument.Parse(text);
                var user = answer.RootElement.GetProperty("Username").GetString();
                var secret = answer.RootElement.GetProperty("Secret").GetString();
                return string.IsNullOrEmpty(user) || secret is null ? null : RegistryCredential.From(user, secret);
            }
            catch (Exception e) when (e is JsonException or KeyNotFoundException or InvalidOperationException)
            {
                throw new RegistryException(RegistryFailure.CredentialHelper, registry, "", $"The credential helper {program} answered with something other than the credential JSON for {registry}. {fix}");
            }
        }
    }
}
