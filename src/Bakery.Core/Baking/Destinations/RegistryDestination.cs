using Bakery.Core.Containers;
using Bakery.Oci.Model;

namespace Bakery.Core.Baking.Destinations;

/// <summary>
/// ContainerRegistry set: blobs (HEAD, mount, upload) and the manifest by digest, command tests on the
/// image pulled by digest, the SBOM as a referrer, the signatures and attestations, and only then the tags.
/// </summary>
internal sealed class RegistryDestination(BakeSession session, BakeRequest request, IBakeLog log) : IImageDestination
{
    private IContainerRuntime? _engine;

    public Task<IReadOnlyDictionary<string, Digest>> TaggedAsync(IReadOnlyList<string> tags, CancellationToken ct) => session.TaggedAsync(tags);

    public Task<IContainerRuntime> EngineAsync(CancellationToken ct) => Task.FromResult(_engine ??= ImageDestinations.EnvironmentEngine(null));

    public async Task<(string Image, bool Pull)> StageForRunAsync(ImageComposer.Composed image, IContainerRuntime engine, CancellationToken ct)
    {
        await session.PushByDigestAsync(image);
        return ($"{session.Image}@{image.Digest}", true);
    }

    public async Task<Delivered> DeliverAsync(ImageComposer.Composed image, IReadOnlyList<string> tags, CommandTests? commandTests, CancellationToken ct)
    {
        await session.PushByDigestAsync(image);
        if (commandTests is not null) await commandTests(Verification.CommandTestImage.Pull($"{session.Image}@{image.Digest}"));
        string? sbomDigest = null;
        if (request.SbomPath is { } sbomFile && File.Exists(sbomFile)) sbomDigest = await session.PushSbomAsync(image, sbomFile);
        var signing = await Signing.BakeSigning.SignAsync(request, session.TargetClient, session.Image,
            new OciDescriptor { MediaType = session.Flavour, Digest = image.Digest.ToString(), Size = image.Bytes.Length },
            session.Platform, ImageComposer.Lineage(request, session.BaseDigest, session.BaseIndexDigest, session.Platform), request.SbomPath, log, ct);
        await session.TagAsync(image, tags);
        return new Delivered(new DestinationReport("registry", request.Destination.Registry!, tags.Select(t => $"{session.Image}:{t}").ToList()), sbomDigest, signing);
    }

    public void Dispose() => _engine?.Dispose();
}
