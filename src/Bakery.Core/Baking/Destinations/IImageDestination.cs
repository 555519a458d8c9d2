using Bakery.Core.Containers;
using Bakery.Oci.Model;

namespace Bakery.Core.Baking.Destinations;

/// <summary>Runs the command tests on the image where the destination put it; throws when one fails.</summary>
internal delegate Task CommandTests(Verification.CommandTestImage image);

/// <summary>What a delivery did: where the image is now, the SBOM referrer's digest when one was pushed, the signatures when it signed.</summary>
internal sealed record Delivered(DestinationReport Report, string? SbomDigest, Signing.SigningReport? Signing = null);

/// <summary>
/// One place a verified image goes (<see cref="RegistryDestination"/>, <see cref="LocalEngineDestination"/>,
/// <see cref="ArchiveDestination"/>). Every destination gets the image only after the gates passed, and
/// each delivery has the same shape: stage the image (push by digest, load untagged, write a
/// temporary archive), run the command tests on what was staged, then commit (tags, the archive moved
/// into place). A failure before the commit leaves nothing under a name: no tag, no loaded image, no file.
/// </summary>
internal interface IImageDestination : IDisposable
{
    /// <summary>The tags of the image's name that already exist there, for <see cref="TagGuard"/>; empty where names are simply replaced (an engine, a file).</summary>
    Task<IReadOnlyDictionary<string, Digest>> TaggedAsync(IReadOnlyList<string> tags, CancellationToken ct);

    /// <summary>The engine RUN steps run in; the destination keeps and disposes it.</summary>
    Task<IContainerRuntime> EngineAsync(CancellationToken ct);

    /// <summary>The image so far where a RUN step's container can start from it: pushed by digest (<c>Pull</c>: the engine pulls it) or loaded into <paramref name="engine"/>.</summary>
    Task<(string Image, bool Pull)> StageForRunAsync(ImageComposer.Composed image, IContainerRuntime engine, CancellationToken ct);

    /// <summary>Delivers the verified image under <paramref name="tags"/>; <paramref name="commandTests"/> (when given) run on the staged image before any name is set.</summary>
    Task<Delivered> DeliverAsync(ImageComposer.Composed image, IReadOnlyList<string> tags, CommandTests? commandTests, CancellationToken ct);
}

internal static class ImageDestinations
{
    public static IImageDestination For(BakeSession session, BakeRequest request, IBakeLog log) => request.Destination.Kind switch
    {
        DestinationKind.Registry => new RegistryDestination(session, request, log),
        DestinationKind.LocalEngine => new LocalEngineDestination(session, request, log),
        _ => new ArchiveDestination(session, request, log),
    };

    /// <summary>The engine BAKERY_CONTAINER_ENGINE (or LocalRegistry, when set) names, for RUN steps and command tests that need one.</summary>
    public static IContainerRuntime EnvironmentEngine(ContainerEngineKind? asked) =>
        ContainerRuntimes.Connect(asked is { } kind ? ContainerEndpoint.FromEnvironment(kind) : ContainerEndpoint.FromEnvironment());
}
