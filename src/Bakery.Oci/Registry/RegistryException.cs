namespace Bakery.Oci.Registry;

public enum RegistryFailure
{
    /// <summary>No connection could be made, or it timed out.</summary>
    Unreachable,
    /// <summary>401/403 after presenting the credentials we have (or having none).</summary>
    Unauthorized,
    NotFound,
    /// <summary>Content did not hash to the digest it was asked for.</summary>
    DigestMismatch,
    /// <summary>Any other refusal: a 4xx/5xx that retries did not cure, or a malformed answer.</summary>
    Rejected,
    /// <summary>The forward proxy could not be reached or would not open a tunnel.</summary>
    Proxy,
    /// <summary>The TLS handshake failed: most often a certificate that is not trusted.</summary>
    Tls,
    /// <summary>The registry named a token service that credentials must not be sent to (another host over plain HTTP).</summary>
    UnsafeRealm,
    /// <summary>The credential helper that config.json names is missing or failed.</summary>
    CredentialHelper,
    /// <summary>The token service answered with something other than a token (and not a refusal).</summary>
    TokenService,
    /// <summary>An index has no image for the platform asked for.</summary>
    NoMatchingPlatform,
    /// <summary>The manifest is not an image manifest (an artifact, or an unknown media type).</summary>
    NotAnImage,
}

/// <summary>A registry operation failed; says which registry, which repository and how.</summary>
public sealed class RegistryException(RegistryFailure failure, string registry, string repository, string message, int? statusCode = null, Exception? inner = null)
    : Exception(message, inner)
{
    public RegistryFailure Failure { get; } = failure;
    public string Registry { get; } = registry;
    public string Repository { get; } = repository;
    public int? StatusCode { get; } = statusCode;

    /// <summary>Another attempt may succeed (a reset connection, a timeout, a 5xx): the failure after the retries ran out, or of a step the caller retries itself.</summary>
    public bool IsTransient { get; init; }
}
