using Bakery.Core.Containers;

namespace Bakery.Core.Verification;

/// <summary>
/// The image command tests run on and how it gets into the engine: pulled by digest from a registry,
/// loaded from an archive, or already in the engine (a local destination loaded it).
/// <see cref="Prepare"/> returns the name to run; <see cref="Release"/> undoes what it did.
/// </summary>
public sealed record CommandTestImage(string Display, Func<IContainerRuntime, CancellationToken, Task<string>> Prepare)
{
    /// <summary>The engine to use; null: the one the environment names (BAKERY_CONTAINER_ENGINE, DOCKER_HOST, …).</summary>
    public IContainerRuntime? Runtime { get; init; }

    /// <summary>Whether the tests dispose <see cref="Runtime"/> when done (an engine they were given for this only).</summary>
    public bool DisposeRuntime { get; init; }

    public Func<IContainerRuntime, string, Task>? Release { get; init; }

    public static CommandTestImage Pull(string imageByDigest) => new(imageByDigest, async (engine, ct) =>
    {
        await engine.PullAsync(imageByDigest, ct);
        return imageByDigest;
    });

    public static CommandTestImage Archive(string path) => new(path, (engine, ct) => engine.LoadImageAsync(path, ct));

    public static CommandTestImage InEngine(IContainerRuntime engine, string image) => new(image, (_, _) => Task.FromResult(image)) { Runtime = engine };
}
