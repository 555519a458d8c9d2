namespace Bakery.Core.Containers;

/// <summary>
/// A container to create. The network is always <c>none</c>: RUN steps and command tests never
/// reach the network. <see cref="Entrypoint"/> and <see cref="Cmd"/> replace the image's.
/// </summary>
public sealed record ContainerSpec(string Image, IReadOnlyList<string> Entrypoint, IReadOnlyList<string> Cmd)
{
    public IReadOnlyList<string> Environment { get; init; } = [];

    /// <summary>Null: the image's user.</summary>
    public string? User { get; init; }

    public bool Tty { get; init; }

    /// <summary>Capabilities added to the engine's default set (--cap-add).</summary>
    public IReadOnlyList<string> AddCapabilities { get; init; } = [];

    /// <summary>host-path:container-path[:options] (--volume).</summary>
    public IReadOnlyList<string> BindMounts { get; init; } = [];

    public bool Privileged { get; init; }
}

/// <summary>What a container wrote to standard output and standard error.</summary>
public sealed record ContainerOutput(string Stdout, string Stderr)
{
    public string Combined => Stdout + Stderr;
}
