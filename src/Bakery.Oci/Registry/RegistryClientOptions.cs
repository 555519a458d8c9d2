namespace Bakery.Oci.Registry;

public sealed record RegistryClientOptions
{
    public RegistryCredentials Credentials { get; init; } = RegistryCredentials.FromProcess();
    public RetryPolicy Retry { get; init; } = new();

    /// <summary>Registries spoken to over plain HTTP besides loopback ones (which always are).</summary>
    public IReadOnlyCollection<string> InsecureRegistries { get; init; } = [];

    /// <summary>A list as MSBuild properties and environment variables write it: separated by ';' or ','.</summary>
    public static IReadOnlyList<string> ParseList(string? list) =>
        (list ?? "").Split([';', ','], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);

    /// <summary>Blobs larger than this are uploaded in PATCH chunks of this size.</summary>
    public long ChunkSize { get; init; } = 32L * 1024 * 1024;

    public TimeSpan ConnectTimeout { get; init; } = TimeSpan.FromSeconds(5);
    public TimeSpan RequestTimeout { get; init; } = TimeSpan.FromMinutes(5);

    /// <summary>Largest manifest or config blob read into memory.</summary>
    public long MaxDocumentSize { get; init; } = 16L * 1024 * 1024;

    public Action<string>? Log { get; init; }

    public bool IsInsecure(string registry)
    {
        var host = registry;
        if (host.StartsWith('[')) host = host[1..host.IndexOf(']')];
        else if (host.Contains(':')) host = host[..host.LastIndexOf(':')];
        return host is "localhost" or "::1" || host.StartsWith("127.", StringComparison.Ordinal)
            || InsecureRegistries.Contains(registry, StringComparer.OrdinalIgnoreCase);
    }
}
