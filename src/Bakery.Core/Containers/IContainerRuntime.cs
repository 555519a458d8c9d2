namespace Bakery.Core.Containers;

/// <summary>
/// The container engine RUN steps and command tests use, as the Docker Engine API exposes it
/// (dockerd, or podman's Docker-compatible service). The pipeline only sees this interface: an
/// implementation for another engine, or one that loads the baked image into a local daemon,
/// plugs in without touching it. Every failure is a <see cref="BakeryException"/> (BAKE336) naming the endpoint.
/// </summary>
public interface IContainerRuntime : IDisposable
{
    ContainerEndpoint Endpoint { get; }

    /// <summary>The engine that answers: what its version says once <see cref="UnavailableReasonAsync"/> succeeded, the endpoint's kind before.</summary>
    ContainerEngineKind Engine { get; }

    /// <summary>Null when the engine answers a ping within a few seconds, else why not (a hung engine is a reason, not a hang).</summary>
    Task<string?> UnavailableReasonAsync(CancellationToken ct);

    /// <summary>The platform the engine runs natively (its version answer), once <see cref="UnavailableReasonAsync"/> succeeded; null when unknown.</summary>
    Oci.Model.Platform? EnginePlatform => null;

    /// <summary>Pulls registry/repository@sha256:… into the engine's store.</summary>
    Task PullAsync(string imageByDigest, CancellationToken ct);

    /// <summary>Loads a docker-archive or OCI-layout tar (docker load); returns what to run: the loaded image's ID or name.</summary>
    Task<string> LoadImageAsync(string archivePath, CancellationToken ct);

    /// <summary>Loads an image archive streamed from <paramref name="archive"/> (nothing is written to disk on this side); returns the loaded image's ID or name.</summary>
    Task<string> LoadImageAsync(Stream archive, CancellationToken ct);

    /// <summary>True when the engine's store has the image (an ID such as sha256:…, or a name).</summary>
    Task<bool> HasImageAsync(string image, CancellationToken ct);

    /// <summary>Names <paramref name="image"/> repository:tag (docker tag), moving the name from whatever image had it.</summary>
    Task TagImageAsync(string image, string repository, string tag, CancellationToken ct);

    /// <summary>The image's environment as the engine sees it (KEY=VALUE entries).</summary>
    Task<IReadOnlyList<string>> ImageEnvironmentAsync(string image, CancellationToken ct);

    /// <summary>Removes an image from the engine's store; an image already gone is not an error.</summary>
    Task RemoveImageAsync(string image, CancellationToken ct);

    /// <summary>Creates a container (never started by this call); returns its ID.</summary>
    Task<string> CreateAsync(ContainerSpec spec, CancellationToken ct);

    Task StartAsync(string container, CancellationToken ct);

    /// <summary>Waits until the container exits; returns its exit code.</summary>
    Task<long> WaitAsync(string container, CancellationToken ct);

    Task KillAsync(string container, CancellationToken ct);

    /// <summary>Removes the container (forced); one already gone is not an error.</summary>
    Task RemoveAsync(string container, CancellationToken ct);

    /// <summary>What the container wrote; with a TTY everything is on standard output.</summary>
    Task<ContainerOutput> OutputAsync(string container, bool tty, CancellationToken ct);

    /// <summary>Commits the container's filesystem and configuration as a new image; returns its ID.</summary>
    Task<string> CommitAsync(string container, CancellationToken ct);

    /// <summary>The container's filesystem changes against its image (docker diff).</summary>
    Task<IReadOnlyList<FilesystemChange>> ChangesAsync(string container, CancellationToken ct);

    /// <summary>A tar of the path inside the container (docker cp): entries named from the path's last component; null when nothing is there.</summary>
    Task<Stream?> ExportAsync(string container, string path, CancellationToken ct);

    /// <summary>A tar of the container's whole filesystem (docker export), with every entry's owner.</summary>
    Task<Stream> ExportFilesystemAsync(string container, CancellationToken ct);
}
