using System.Text.RegularExpressions;
using Bakery.Core.Running;
using Docker.DotNet;
using Docker.DotNet.Models;

namespace Bakery.Core.Verification;

/// <summary>Runs structure-test commandTests in containers of the pushed image: network none, a time limit, each test in a fresh container.</summary>
public sealed class DockerCommandTestRunner : IDisposable
{
    private readonly DockerClient _docker = new DockerClientConfiguration(DockerRunStepExecutor.Endpoint).CreateClient();
    private readonly TimeSpan _timeout;

    public DockerCommandTestRunner(TimeSpan timeout) => _timeout = timeout;

    public void Dispose() => _docker.Dispose();

    /// <summary>Null when a daemon answers, else why not.</summary>
    public Task<string?> UnavailableReasonAsync(CancellationToken ct) => Running.DockerDaemon.UnavailableReasonAsync(_docker, ct);

    public Task PullAsync(string image, CancellationToken ct) => Running.DockerDaemon.PullByDigestAsync(_docker, image, ct);

    /// <summary>Loads a docker-archive or OCI-layout tar into the daemon; returns what to run (the loaded image's ID or name).</summary>
    public async Task<string> LoadAsync(string archive, CancellationToken ct)
    {
        string? id = null, name = null, error = null;
        var progress = new ImmediateProgress<JSONMessage>(m =>
        {
            const string idPrefix = "Loaded image ID: ", namePrefix = "Loaded image: ";
            var line = m.Stream?.Trim() ?? "";
            if (line.StartsWith(idPrefix, StringComparison.Ordinal)) id = line[idPrefix.Length..];
            else if (line.StartsWith(namePrefix, StringComparison.Ordinal)) name = line[namePrefix.Length..];
            if (m.Error is { } e) error = e.Message;
        });
        await using (var stream = File.OpenRead(archive))
            await _docker.Images.LoadImageAsync(new ImageLoadParameters { Quiet = true }, stream, progress, ct);
        return id ?? name ?? throw new InvalidOperationException(error ?? $"The Docker daemon did not load an image from {archive}.");
    }

    public async Task<CheckResult> RunAsync(string image, StructureTestFile file, CommandTest test, CancellationToken ct)
    {
        var setup = string.Join(" && ", test.Setup.Select(step => string.Join(' ', step.Select(Quote))));
        var parameters = new CreateContainerParameters
        {
            Image = image,
            Env = test.EnvVars.Select(e => $"{e.Key}={e.Value}").ToList(),
            HostConfig = new HostConfig { NetworkMode = "none" },
        };
        if (setup.Length > 0)
        {
            parameters.Entrypoint = ["/bin/sh", "-c", setup + " && exec \"$0\" \"$@\""];
            parameters.Cmd = [test.Command, .. test.Args];
        }
        else
        {
            parameters.Entrypoint = [test.Command];
            parameters.Cmd = test.Args.ToList();
        }
        var container = await _docker.Containers.CreateContainerAsync(parameters, ct);
        try
        {
            await _docker.Containers.StartContainerAsync(container.ID, new ContainerStartParameters(), ct);
            using var limit = CancellationTokenSource.CreateLinkedTokenSource(ct);
            limit.CancelAfter(_timeout);
            long exit;
            try { exit = (await _docker.Containers.WaitContainerAsync(container.ID, limit.Token)).StatusCode; }
            catch (OperationCanceledException) when (!ct.IsCancellationRequested)
            {
                return Fail(file, test, $"did not finish within {_timeout.TotalSeconds:0} s");
            }
            using var logs = await _docker.Containers.GetContainerLogsAsync(container.ID, false, new ContainerLogsParameters { ShowStdout = true, ShowStderr = true }, ct);
            var (stdout, stderr) = await logs.ReadOutputToEndAsync(ct);
            var problems = new List<string>();
            if (exit != test.ExitCode) problems.Add($"exit code {exit}, expected {test.ExitCode}");
            problems.AddRange(test.ExpectedOutput.Where(p => !Regex.IsMatch(stdout, p)).Select(p => $"output does not match /{p}/"));
            problems.AddRange(test.ExcludedOutput.Where(p => Regex.IsMatch(stdout, p)).Select(p => $"output matches excluded /{p}/"));
            problems.AddRange(test.ExpectedError.Where(p => !Regex.IsMatch(stderr, p)).Select(p => $"error output does not match /{p}/"));
            problems.AddRange(test.ExcludedError.Where(p => Regex.IsMatch(stderr, p)).Select(p => $"error output matches excluded /{p}/"));
            return problems.Count == 0
                ? new CheckResult(Path.GetFileName(file.Path), "commandTests", test.Name, true, null, InheritedFrom: file.InheritedFrom)
                : Fail(file, test, string.Join("; ", problems) + $" (output: {Trim(stdout + stderr)})");
        }
        finally
        {
            await _docker.Containers.RemoveContainerAsync(container.ID, new ContainerRemoveParameters { Force = true }, CancellationToken.None);
        }
    }

    private static CheckResult Fail(StructureTestFile file, CommandTest test, string why) =>
        new(Path.GetFileName(file.Path), "commandTests", test.Name, false, why, InheritedFrom: file.InheritedFrom);

    private static string Trim(string text) => text.Length > 200 ? text[..200].Trim() + "…" : text.Trim();

    private static string Quote(string value) => "'" + value.Replace("'", "'\\''") + "'";
}

/// <summary>Unlike Progress&lt;T&gt;, reports on the calling thread, so every message has arrived when the call returns.</summary>
internal sealed class ImmediateProgress<T>(Action<T> report) : IProgress<T>
{
    public void Report(T value) => report(value);
}
