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
        foreach (var tag in tags)
        {
            await engine.TagImageAsync(id, request.Destination.Repository, tag, ct);
            log.Info($"Tagged {request.Destination.Repository}:{tag} in {name}");
        }
        var references = tags.Select(t => $"{request.Destination.Repository}:{t}").ToList();
        return new Delivered(new DestinationReport(name, engine.Endpoint.ToString(), references, id), null);
    }

    private static string Short(string id) => id.Length > 19 ? id[..19] : id;

    public void Dispose() => _engine?.Dispose();
}
