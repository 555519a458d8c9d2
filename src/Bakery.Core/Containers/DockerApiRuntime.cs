using System.Net;
using Docker.DotNet;
using Docker.DotNet.Models;

namespace Bakery.Core.Containers;

/// <summary>
/// <see cref="IContainerRuntime"/> over the Docker Engine API, which dockerd serves and podman's
/// <c>podman system service</c> serves compatibly. Engine errors become BAKE336 naming the endpoint
/// and the operation; a cancelled token still cancels.
/// </summary>
public sealed class DockerApiRuntime : IContainerRuntime
{
    private static readonly TimeSpan PingLimit = TimeSpan.FromSeconds(10);
    private readonly DockerClient? _client;

    public DockerApiRuntime(ContainerEndpoint endpoint)
    {
        Endpoint = endpoint;
        Engine = endpoint.Kind;
        // An endpoint the configuration got wrong is reported by UnavailableReasonAsync, not thrown from here.
        if (endpoint.Problem is null) _client = new DockerClientBuilder().WithEndpoint(endpoint.Uri).Build();
    }

    private DockerClient Client => _client ?? throw Messages.BAKE336(Endpoint, "connect", Endpoint.Problem).Exception();

    public ContainerEndpoint Endpoint { get; }

    public ContainerEngineKind Engine { get; private set; }

    public Oci.Model.Platform? EnginePlatform { get; private set; }

    public void Dispose() => _client?.Dispose();

    public async Task<string?> UnavailableReasonAsync(CancellationToken ct)
    {
        if (Endpoint.Problem is { } problem) return problem;
        try
        {
            using var limit = CancellationTokenSource.CreateLinkedTokenSource(ct);
            limit.CancelAfter(PingLimit);
            await Client.System.PingAsync(limit.Token);
            var version = await Client.System.GetVersionAsync(limit.Token);
            Engine = version.Components?.Any(c => c.Name?.Contains("Podman", StringComparison.OrdinalIgnoreCase) == true) == true
                ? ContainerEngineKind.Podman : ContainerEngineKind.Docker;
            EnginePlatform = string.IsNullOrEmpty(version.Os) || string.IsNullOrEmpty(version.Arch) ? null
                : new Oci.Model.Platform { Os = version.Os, Architecture = version.Arch };
            return null;
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            return $"no answer within {PingLimit.TotalSeconds:0} s";
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            return e.GetBaseException().Message;
        }
    }

    public Task PullAsync(string imageByDigest, CancellationToken ct) => Call($"pull {imageByDigest}", async () =>
    {
        var at = imageByDigest.IndexOf('@');
        if (at < 0) throw new ArgumentException($"'{imageByDigest}' is not pinned by digest.", nameof(imageByDigest));
        string? error = null;
        await Client.Images.CreateImageAsync(new ImagesCreateParameters { FromImage = imageByDigest[..at], Tag = imageByDigest[(at + 1)..] }, null,
            new ImmediateProgress<JSONMessage>(m => error ??= m.Error?.Message), ct);
        if (error is not null) throw new EngineReportedException(error);
        return true;
    });

    public async Task<string> LoadImageAsync(string archivePath, CancellationToken ct)
    {
        await using var stream = File.OpenRead(archivePath);
        return await Load(archivePath, stream, ct);
    }

    public Task<string> LoadImageAsync(Stream archive, CancellationToken ct) => Load("an image archive", archive, ct);

    public Task<bool> HasImageAsync(string image, CancellationToken ct) => Call($"inspect {image}", async () =>
    {
        try
        {
            await Client.Images.InspectImageAsync(image, ct);
            return true;
        }
        catch (DockerApiException e) when (e.StatusCode == HttpStatusCode.NotFound) { return false; }
    });

    public Task TagImageAsync(string image, string repository, string tag, CancellationToken ct) => Call($"tag {image} as {repository}:{tag}", async () =>
        await Client.Images.TagImageAsync(image, new ImageTagParameters { RepositoryName = repository, Tag = tag }, ct));

    private Task<string> Load(string what, Stream archive, CancellationToken ct) => Call($"load {what}", async () =>
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
        await Client.Images.LoadImageAsync(new ImageLoadParameters { Quiet = true }, archive, progress, ct);
        return id ?? name ?? throw new EngineReportedException(error ?? "the engine loaded no image from the archive");
    });

    public Task<IReadOnlyList<string>> ImageEnvironmentAsync(string image, CancellationToken ct) => Call($"inspect {image}", async () =>
        (IReadOnlyList<string>)((await Client.Images.InspectImageAsync(image, ct)).Config?.Env?.ToList() ?? []));

    public Task RemoveImageAsync(string image, CancellationToken ct) => Call($"remove image {image}", async () =>
    {
        try { await Client.Images.DeleteImageAsync(image, new ImageDeleteParameters { Force = true }, ct); }
        catch (DockerApiException e) when (e.StatusCode is HttpStatusCode.NotFound or HttpStatusCode.Conflict) { }
        return true;
    });

    public Task<string> CreateAsync(ContainerSpec spec, CancellationToken ct) => Call($"create a container of {spec.Image}", async () =>
        (await Client.Containers.CreateContainerAsync(new CreateContainerParameters
        {
            Image = spec.Image,
            Entrypoint = spec.Entrypoint.ToList(),
            Cmd = spec.Cmd.ToList(),
            Env = spec.Environment.ToList(),
            User = spec.User ?? "", // empty: the image's user
            Tty = spec.Tty,
            AttachStdout = true,
            AttachStderr = true,
            HostConfig = new HostConfig
            {
                NetworkMode = "none",
                CapAdd = spec.AddCapabilities.ToList(),
                Binds = spec.BindMounts.ToList(),
                Privileged = spec.Privileged,
            },
        }, ct)).ID);

    public Task StartAsync(string container, CancellationToken ct) => Call("start a container", async () =>
        await Client.Containers.StartContainerAsync(container, new ContainerStartParameters(), ct));

    public Task<long> WaitAsync(string container, CancellationToken ct) => Call("wait for a container", async () =>
        (await Client.Containers.WaitContainerAsync(container, ct)).StatusCode);

    public Task KillAsync(string container, CancellationToken ct) => Call("kill a container", async () =>
    {
        try { await Client.Containers.KillContainerAsync(container, new ContainerKillParameters(), ct); }
        catch (DockerApiException e) when (e.StatusCode is HttpStatusCode.NotFound or HttpStatusCode.Conflict) { } // gone, or no longer running
        return true;
    });

    public Task RemoveAsync(string container, CancellationToken ct) => Call("remove a container", async () =>
    {
        try { await Client.Containers.RemoveContainerAsync(container, new ContainerRemoveParameters { Force = true }, ct); }
        catch (DockerApiException e) when (e.StatusCode == HttpStatusCode.NotFound) { }
        return true;
    });

    public Task<ContainerOutput> OutputAsync(string container, bool tty, CancellationToken ct) => Call("read a container's output", async () =>
    {
        using var logs = await Client.Containers.GetContainerLogsAsync(container, new ContainerLogsParameters { ShowStdout = true, ShowStderr = true }, ct);
        var (stdout, stderr) = await logs.ReadOutputToEndAsync(ct);
        return new ContainerOutput(stdout, stderr);
    });

    public Task<string> CommitAsync(string container, CancellationToken ct) => Call("commit a container", async () =>
        (await Client.Images.CommitContainerChangesAsync(new CommitContainerChangesParameters { ContainerID = container }, ct)).ID);

    public Task<IReadOnlyList<FilesystemChange>> ChangesAsync(string container, CancellationToken ct) => Call("list a container's changes", async () =>
        (IReadOnlyList<FilesystemChange>)(await Client.Containers.InspectChangesAsync(container, ct) ?? []).Select(c => new FilesystemChange(c.Path, c.Kind switch
        {
            FileSystemChangeKind.Add => FilesystemChangeKind.Added,
            FileSystemChangeKind.Delete => FilesystemChangeKind.Deleted,
            _ => FilesystemChangeKind.Modified,
        })).ToList());

    public Task<Stream?> ExportAsync(string container, string path, CancellationToken ct) => Call($"copy {path} out of a container", async () =>
    {
        try
        {
            var archive = await Client.Containers.GetArchiveFromContainerAsync(container, new ContainerPathStatParameters { Path = path }, statOnly: false, ct);
            return archive.Stream is { } stream ? Buffered(stream) : null;
        }
        catch (DockerApiException e) when (e.StatusCode == HttpStatusCode.NotFound) { return null; }
    });

    public Task<Stream> ExportFilesystemAsync(string container, CancellationToken ct) => Call("export a container's filesystem", async () =>
        Buffered(await Client.Containers.ExportContainerAsync(container, ct)));

    /// <summary>
    /// The client's chunked response stream throws on a zero-length read and stops reporting CanRead
    /// once it reached its end, and tar readers do both at entry boundaries; this wrapper ends cleanly instead.
    /// </summary>
    private static Stream Buffered(Stream response) => new BufferedStream(new EngineResponseStream(response), 1 << 16);

    private sealed class EngineResponseStream(Stream inner) : Stream
    {
        private bool _ended;

        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

        public override int Read(byte[] buffer, int offset, int count) => ReadAsync(buffer.AsMemory(offset, count)).AsTask().GetAwaiter().GetResult();

        public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
        {
            if (_ended || buffer.Length == 0) return 0;
            try
            {
                var read = await inner.ReadAsync(buffer, cancellationToken);
                _ended = read == 0;
                return read;
            }
            catch (EndOfStreamException)
            {
                _ended = true;
                return 0;
            }
        }

        public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
            ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

        public override void Flush() { }
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        protected override void Dispose(bool disposing)
        {
            if (disposing) inner.Dispose();
            base.Dispose(disposing);
        }
    }

    private async Task<T> Call<T>(string what, Func<Task<T>> call)
    {
        try { return await call(); }
        catch (Exception e) when (e is DockerApiException or HttpRequestException or IOException or TimeoutException or EngineReportedException)
        {
            var message = e is DockerApiException api ? $"{(int)api.StatusCode} {api.ResponseBody?.Trim()}" : e.GetBaseException().Message;
            throw Messages.BAKE336(Endpoint, what, message).Exception(e);
        }
    }

    private Task Call(string what, Func<Task> call) => Call(what, async () => { await call(); return true; });

    /// <summary>An error the engine reported inside a successful response (pull and load stream their errors).</summary>
    private sealed class EngineReportedException(string message) : Exception(message);
}

/// <summary>Unlike Progress&lt;T&gt;, reports on the calling thread, so every message has arrived when the call returns.</summary>
internal sealed class ImmediateProgress<T>(Action<T> report) : IProgress<T>
{
    public void Report(T value) => report(value);
}
