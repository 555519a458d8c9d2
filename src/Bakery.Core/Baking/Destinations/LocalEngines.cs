using Bakery.Core.Containers;

namespace Bakery.Core.Baking.Destinations;

/// <summary>
/// The local engine an image is loaded into, found as the .NET SDK finds it (LocalRegistry unset:
/// Docker when it answers, else Podman), but through each engine's API socket rather than its CLI:
/// LocalRegistry=Docker|Podman asks for one; BAKERY_CONTAINER_ENGINE, when set, names it too.
/// </summary>
internal static class LocalEngines
{
    public static async Task<IContainerRuntime> ConnectAsync(ContainerEngineKind? asked, string image, CancellationToken ct)
    {
        IEnumerable<ContainerEngineKind> kinds = asked is { } kind ? [kind]
            : ContainerEndpoint.AskedFor(Environment.GetEnvironmentVariable) is { } fromEnvironment ? [fromEnvironment]
            : [ContainerEngineKind.Docker, ContainerEngineKind.Podman];
        var tried = new List<string>();
        foreach (var endpoint in kinds.Select(ContainerEndpoint.FromEnvironment).DistinctBy(e => e.Uri))
        {
            var runtime = ContainerRuntimes.Connect(endpoint);
            if (await runtime.UnavailableReasonAsync(ct) is not { } reason) return runtime;
            runtime.Dispose();
            tried.Add($"{endpoint.Kind} at {endpoint.Uri} ({endpoint.Source}): {reason}");
        }
        throw Messages.BAKE440(image, string.Join("; ", tried)).Exception();
    }

    public static string Name(IContainerRuntime runtime) => runtime.Engine == ContainerEngineKind.Podman ? "podman" : "docker";
}
