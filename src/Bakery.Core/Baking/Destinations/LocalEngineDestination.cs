using Bakery.Core.Containers;
using Bakery.Oci.Model;

namespace Bakery.Core.Baking.Destinations;

/// <summary>
/// No ContainerRegistry: the image is loaded into the local Docker or Podman over its API, untagged
/// first, so command tests run on it before any name points at it; then tagged
/// <c>repository:tag</c> for <c>docker run</c>. An image the engine already has (same config
/// digest, which is its image ID) is not streamed again: a rebake with nothing changed only tags.
/// </summary>
internal sealed class LocalEngineDestination(BakeSession session, BakeRequest request, IBakeLog log) : IImageDestination
{
    private IContainerRuntime? _engine;

    public async Task<IContainerRuntime> EngineAsync(CancellationToken ct) =>
        _engine ??= await LocalEngines.ConnectAsync(request.Destination.Engine, session.Image, ct);

    public Task<IReadOnlyDictionary<string, Digest>> TaggedAsync(IReadOnlyList<string> tags, CancellationToken ct) =>
        Task.FromResult<IReadOnlyDictionary<string, Digest>>(new Dictionary<string, Digest>());

    public async Task<(string Image, bool Pull)> StageForRunAsync(ImageComposer.Composed image, IContainerRuntime engine, CancellationToken ct)
    {
        var loaded = await EngineLoad.LoadAsync(engine, EngineLoad.Image(image, await session.LayerFilesAsync(), []), request.Created, ct);
        return (loaded, false);
    }

    public async Task<Delivered> DeliverAsync(ImageComposer.Composed image, IReadOnlyList<string> tags, CommandTests? commandTests, CancellationToken ct)
    {
        var engine = await EngineAsync(ct);
        var name = LocalEngines.Name(engine);
        var archive = EngineLoad.Image(image, await session.LayerFilesAsync(), []);
        var (id, loaded) = await EngineLoad.EnsureAsync(engine, archive, request.Created, ct);
        log.Info(loaded ? $"Loaded {session.Image} into {name} at {engine.Endpoint} (image {Short(id)})" : $"{name} at {engine.Endpoint} has image {Short(id)} already: nothing to load");
        try
        {
            if (commandTests is not null) await commandTests(Verification.CommandTestImage.InEngine(engine, id));
        }
        catch
        {
            if (loaded) await EngineLoad.RemoveQuietlyAsync(engine, id);
            throw;
        }
        var repository = RepositoryIn(engine, request.Destination.Repository);
        foreach (var tag in tags)
        {
            await engine.TagImageAsync(id, repository, tag, ct);
            log.Info($"Tagged {repository}:{tag} in {name}");
        }
        var references = tags.Select(t => $"{repository}:{t}").ToList();
        return new Delivered(new DestinationReport(name, engine.Endpoint.ToString(), references, id), null);
    }

    /// <summary>
    /// The name the image gets in the engine. podman's Docker-compatible API files an unqualified name
    /// under docker.io, where `podman run` of the short name does not look first; podman names what it
    /// builds locally <c>localhost/…</c>, and so does this (as `podman build` and `podman load` of the SDK's images).
    /// </summary>
    internal static string RepositoryIn(IContainerRuntime engine, string repository) =>
        engine.Engine == ContainerEngineKind.Podman && !HasRegistry(repository) ? "localhost/" + repository : repository;

    private static bool HasRegistry(string repository) =>
        repository.IndexOf('/') is var slash and > 0 && repository[..slash] is var first && (first.Contains('.') || first.Contains(':') || first == "localhost");

    private static string Short(string id) => id.Length > 19 ? id[..19] : id;

    public void Dispose() => _engine?.Dispose();
}
