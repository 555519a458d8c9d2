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
}

/// <summary>A registry operation failed; says which registry, which repository and how.</summary>
public sealed class RegistryException(RegistryFailure failure, string registry, string repository, string message, int? statusCode = null, Exception? inner = null)
    : Exception(message, inner)
{
    public RegistryFailure Failure { get; } = failure;
    public string Registry { get; } = registry;
    public string Repository { get; } = repository;
    public int? StatusCode { get; } = statusCode;
}
