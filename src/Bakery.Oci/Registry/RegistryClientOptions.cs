using System.Globalization;
using System.Net;

namespace Bakery.Oci.Registry;

/// <summary>What a client does with a registry: pull from it (a source) or push to it (a target).</summary>
public enum RegistryRole
{
    /// <summary>A registry images are read from: source credentials (<c>*_SOURCE_REGISTRY_*</c>) apply.</summary>
    Pull,
    /// <summary>A registry images are pushed to (and may also be read from): push credentials (<c>*_PUSH_REGISTRY_*</c>) apply.</summary>
    Push,
}

public sealed record RegistryClientOptions
{
    /// <summary>The default time one request may wait for an answer (or a transfer may stall) before it is retried.</summary>
    public static readonly TimeSpan DefaultRequestTimeout = TimeSpan.FromSeconds(60);

    public RegistryCredentials Credentials { get; init; } = RegistryCredentials.FromProcess();

    /// <summary>Which credentials apply: the source registry's or the push target's.</summary>
    public RegistryRole Role { get; init; } = RegistryRole.Pull;

    public RetryPolicy Retry { get; init; } = new();

    /// <summary>
    /// Registries that are insecure as the .NET SDK means it: HTTPS whose certificate is not verified,
    /// falling back to plain HTTP. Loopback registries always are.
    /// </summary>
    public IReadOnlyCollection<string> InsecureRegistries { get; init; } = [];

    /// <summary>The forward proxy (HTTPS_PROXY, HTTP_PROXY, NO_PROXY); loopback is always reached directly.</summary>
    public IWebProxy Proxy { get; init; } = EnvironmentProxy.FromProcess();

    /// <summary>Certificate authorities trusted besides the system store (SSL_CERT_FILE, SSL_CERT_DIR).</summary>
    public CertificateTrust Trust { get; init; } = CertificateTrust.FromProcess();

    /// <summary>
    /// Host names connected to at a fixed address instead of asking DNS, as <c>docker run --add-host</c> does
    /// (the TLS name and the proxy decision still use the name).
    /// </summary>
    public IReadOnlyDictionary<string, IPAddress> HostAddresses { get; init; } = new Dictionary<string, IPAddress>();

    /// <summary>A list as MSBuild properties and environment variables write it: separated by ';' or ','.</summary>
    public static IReadOnlyList<string> ParseList(string? list) =>
        (list ?? "").Split([';', ','], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);

    /// <summary>Blobs larger than this are uploaded in PATCH chunks of this size.</summary>
    public long ChunkSize { get; init; } = 32L * 1024 * 1024;

    public TimeSpan ConnectTimeout { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>
    /// How long one request may wait for the registry's answer, or a blob transfer may move no byte,
    /// before the attempt is abandoned and retried (<c>BakeryRegistryTimeout</c>, in seconds).
    /// </summary>
    public TimeSpan RequestTimeout { get; init; } = DefaultRequestTimeout;

    /// <summary>While a request is pending longer than this, a "still waiting" line is reported at this interval.</summary>
    public TimeSpan WaitNoticeInterval { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>A blob transfer reports bytes done, total and rate at most this often (none for a transfer shorter than it).</summary>
    public TimeSpan ProgressInterval { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>Largest manifest or config blob read into memory.</summary>
    public long MaxDocumentSize { get; init; } = 16L * 1024 * 1024;

    /// <summary>Lines worth showing at normal verbosity: retries after a failure.</summary>
    public Action<string>? Log { get; init; }

    /// <summary>Lines for detailed output: where credentials came from, mounts refused, HTTPS falling back to HTTP, token flows.</summary>
    public Action<string>? Detail { get; init; }

    /// <summary>Progress of long work: blob transfers and requests that are slow to answer.</summary>
    public IProgress<RegistryProgress>? Progress { get; init; }

    /// <summary>The clock for timeouts, token lifetimes and progress throttling.</summary>
    public TimeProvider Time { get; init; } = TimeProvider.System;

    /// <summary>
    /// A request timeout as a <c>BakeryRegistryTimeout</c> property or environment variable writes it: whole
    /// seconds (at least 1). Empty means the default; anything else is a <see cref="FormatException"/>.
    /// </summary>
    public static TimeSpan ParseTimeout(string? seconds)
    {
        if (string.IsNullOrWhiteSpace(seconds)) return DefaultRequestTimeout;
        if (!int.TryParse(seconds.Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out var value) || value < 1)
            throw new FormatException($"'{seconds}' is not a registry timeout: write a whole number of seconds, at least 1 (default {DefaultRequestTimeout.TotalSeconds:0}).");
        return TimeSpan.FromSeconds(value);
    }

    public bool IsInsecure(string registry) =>
        RegistryHost.IsLoopback(RegistryHost.HostOf(registry))
        || InsecureRegistries.Contains(registry, StringComparer.OrdinalIgnoreCase);
}
