namespace Bakery.Core.Containers;

/// <summary>Connects to the container engine the environment names (see <see cref="ContainerEndpoint"/>).</summary>
public static class ContainerRuntimes
{
    public static IContainerRuntime Connect() => Connect(ContainerEndpoint.FromEnvironment());

    /// <summary>dockerd and podman both answer the Docker Engine API, so one implementation serves both.</summary>
    public static IContainerRuntime Connect(ContainerEndpoint endpoint) => new DockerApiRuntime(endpoint);
}
