using Bakery.Core.Baking;
using Bakery.Oci.Layers;
using Docker.DotNet;
using Docker.DotNet.Models;

namespace Bakery.Core.Running;

/// <summary>
/// Runs a BakeryRun step through the Docker API (network none, time limit) and turns the
/// container's filesystem changes into layer entries: added and changed files with their owner and
/// mode, whiteouts for deletions. Everything read back goes through <see cref="SafeLayerReader"/>.
/// </summary>
public sealed class DockerRunStepExecutor(IBakeLog log) : IDisposable
{
    private const uint GoModeDir = 0x80000000;
    private readonly DockerClient _docker = new DockerClientConfiguration(Endpoint).CreateClient();

    public static Uri Endpoint => new(Environment.GetEnvironmentVariable("DOCKER_HOST") is { Length: > 0 } host ? host : "unix:///var/run/docker.sock");

    public void Dispose() => _docker.Dispose();

    public async Task EnsureAvailableAsync(CancellationToken ct)
    {
        if (await DockerDaemon.UnavailableReasonAsync(_docker, ct) is { } reason) throw BakeryException.Create("BAKE504", Endpoint, reason);
    }

    /// <param name="image">The image so far, pullable by digest (registry/repository@sha256:…).</param>
    public async Task<IReadOnlyList<LayerPlan.Entry>> RunAsync(string image, RunStep step, string stagingDirectory, CancellationToken ct)
    {
        await DockerDaemon.PullByDigestAsync(_docker, image, ct);
        var container = await _docker.Containers.CreateContainerAsync(new CreateContainerParameters
        {
            Image = image,
            Entrypoint = ["/bin/sh", "-c"],
            Cmd = [step.Command],
            User = string.IsNullOrEmpty(step.User) ? "0" : step.User,
            HostConfig = new HostConfig { NetworkMode = "none" },
        }, ct);
        try
        {
            log.Info($"RUN {step.Display}");
            await _docker.Containers.StartContainerAsync(container.ID, new ContainerStartParameters(), ct);
            using var limit = CancellationTokenSource.CreateLinkedTokenSource(ct);
            limit.CancelAfter(step.Timeout);
            ContainerWaitResponse exit;
            try
            {
                exit = await _docker.Containers.WaitContainerAsync(container.ID, limit.Token);
            }
            catch (OperationCanceledException) when (!ct.IsCancellationRequested)
            {
                await _docker.Containers.KillContainerAsync(container.ID, new ContainerKillParameters(), CancellationToken.None);
                throw BakeryException.Create("BAKE503", step.Display, $"it did not finish within {step.Timeout.TotalSeconds:0} s (BakeryRun Timeout metadata).");
            }
            var output = await OutputAsync(container.ID, ct);
            foreach (var line in output.Split('\n', StringSplitOptions.RemoveEmptyEntries).TakeLast(20)) log.Detail($"  | {line}");
            if (exit.StatusCode != 0)
                throw BakeryException.Create("BAKE503", step.Display,
                    $"it exited with code {exit.StatusCode}. Last output:\n{string.Join('\n', output.Split('\n').TakeLast(10))}");
            return await ChangesAsync(container.ID, stagingDirectory, ct);
        }
        finally
        {
            await _docker.Containers.RemoveContainerAsync(container.ID, new ContainerRemoveParameters { Force = true }, CancellationToken.None);
            try { await _docker.Images.DeleteImageAsync(image, new ImageDeleteParameters { Force = true }, CancellationToken.None); }
            catch (DockerApiException) { }
        }
    }

    private async Task<string> OutputAsync(string id, CancellationToken ct)
    {
        using var logs = await _docker.Containers.GetContainerLogsAsync(id, false, new ContainerLogsParameters { ShowStdout = true, ShowStderr = true }, ct);
        var (stdout, stderr) = await logs.ReadOutputToEndAsync(ct);
        return stdout + stderr;
    }

    private async Task<IReadOnlyList<LayerPlan.Entry>> ChangesAsync(string id, string staging, CancellationToken ct)
    {
        Directory.CreateDirectory(staging);
        var entries = new SortedDictionary<string, LayerPlan.Entry>(StringComparer.Ordinal);
        var changes = await _docker.Containers.InspectChangesAsync(id, ct) ?? [];
        var addedDirectories = new List<string>();
        foreach (var change in changes.OrderBy(c => c.Path, StringComparer.Ordinal))
        {
            var path = change.Path.TrimStart('/');
            if (path.Length == 0 || addedDirectories.Any(d => path.StartsWith(d + "/", StringComparison.Ordinal))) continue;
            if (change.Kind == FileSystemChangeKind.Delete)
            {
                var slash = path.LastIndexOf('/');
                var whiteout = slash < 0 ? $".wh.{path}" : $"{path[..slash]}/.wh.{path[(slash + 1)..]}";
                var empty = Path.Combine(staging, $"whiteout-{entries.Count}");
                await File.WriteAllBytesAsync(empty, [], ct);
                entries[whiteout] = new LayerPlan.Entry(whiteout, LayerPlan.EntryKind.File, (UnixFileMode)0b110_100_100, empty, null, 0, 0);
                continue;
            }
            var stat = await _docker.Containers.GetArchiveFromContainerAsync(id, new GetArchiveFromContainerParameters { Path = "/" + path }, statOnly: true, ct);
            var isDirectory = (stat.Stat.Mode & GoModeDir) != 0;
            if (isDirectory && change.Kind == FileSystemChangeKind.Modify) continue; // only its changed children matter
            if (isDirectory) addedDirectories.Add(path);
            var archive = await _docker.Containers.GetArchiveFromContainerAsync(id, new GetArchiveFromContainerParameters { Path = "/" + path }, statOnly: false, ct);
            await using var stream = archive.Stream;
            var parent = path.Contains('/') ? path[..path.LastIndexOf('/')] : "";
            try
            {
                SafeLayerReader.Read(stream, new LayerReadOptions { Standalone = true }, (entry, content) =>
                {
                    var target = parent.Length == 0 ? entry.Path : $"{parent}/{entry.Path}";
                    var mode = (UnixFileMode)(entry.Mode & 0xFFF);
                    switch (entry.Type)
                    {
                        case LayerEntryType.Directory:
                            entries[target] = new LayerPlan.Entry(target, LayerPlan.EntryKind.Directory, mode, null, null, entry.Uid, entry.Gid);
                            break;
                        case LayerEntryType.SymbolicLink:
                            entries[target] = new LayerPlan.Entry(target, LayerPlan.EntryKind.SymbolicLink, mode, null, entry.LinkTarget, entry.Uid, entry.Gid);
                            break;
                        case LayerEntryType.HardLink:
                            var source = parent.Length == 0 ? entry.LinkTarget! : $"{parent}/{entry.LinkTarget}";
                            if (entries.TryGetValue(source, out var original))
                                entries[target] = original with { Path = target };
                            break;
                        case LayerEntryType.File:
                            var file = Path.Combine(staging, $"f{entries.Count}");
                            using (var output = File.Create(file)) content!.CopyTo(output);
                            entries[target] = new LayerPlan.Entry(target, LayerPlan.EntryKind.File, mode, file, null, entry.Uid, entry.Gid);
                            break;
                    }
                });
            }
            catch (UnsafeLayerException e)
            {
                throw Verification.LayerErrors.Refused($"the RUN step's container {id[..Math.Min(12, id.Length)]}", $"docker cp of /{path}", e);
            }
        }
        return entries.Values.ToList();
    }
}
