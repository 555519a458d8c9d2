using System.Net;
using System.Net.Http.Headers;
using System.Net.Sockets;

namespace Bakery.Oci.Registry;

/// <summary>
/// The one retry policy of a registry client, for every kind of request: bounded attempts with
/// exponential backoff (a registry's Retry-After honoured up to a cap) on 429 and 5xx answers,
/// connection failures and resets, and requests that time out. Requests that can be sent again are
/// resent by the transport; blob uploads resume or restart their session; downloads start over.
/// </summary>
public sealed record RetryPolicy
{
    public int MaxAttempts { get; init; } = 4;
    public TimeSpan InitialDelay { get; init; } = TimeSpan.FromMilliseconds(250);
    public TimeSpan MaxDelay { get; init; } = TimeSpan.FromSeconds(20);

    public static bool IsTransient(HttpStatusCode status) =>
        status is HttpStatusCode.TooManyRequests or HttpStatusCode.InternalServerError or HttpStatusCode.BadGateway
            or HttpStatusCode.ServiceUnavailable or HttpStatusCode.GatewayTimeout;

    /// <summary>
    /// True for failures another attempt may cure: a connection that could not be made, was reset or
    /// ended early, and a timeout. A certificate that is not trusted, a host name that does not exist
    /// or a proxy that refuses the tunnel will fail the same way again.
    /// </summary>
    public static bool IsTransient(Exception exception) => exception switch
    {
        RegistryException r => r.IsTransient,
        TimeoutException => true,
        HttpRequestException { HttpRequestError: HttpRequestError.SecureConnectionError or HttpRequestError.NameResolutionError
            or HttpRequestError.ProxyTunnelError or HttpRequestError.ConfigurationLimitExceeded or HttpRequestError.UserAuthenticationError } => false,
        HttpRequestException => true,
        HttpIOException => true,
        IOException { InnerException: SocketException } => true,
        IOException => true,
        SocketException => true,
        _ => false,
    };

    /// <summary>The wait before attempt <paramref name="attempt"/>+1 (attempt counts from 1).</summary>
    public TimeSpan DelayFor(int attempt, RetryConditionHeaderValue? retryAfter, DateTimeOffset now)
    {
        TimeSpan? requested = retryAfter switch
        {
            { Delta: { } delta } => delta,
            { Date: { } date } => date - now,
            _ => null,
        };
        var backoff = TimeSpan.FromTicks(InitialDelay.Ticks * (1L << Math.Min(attempt - 1, 16)));
        var delay = requested is { } r && r > TimeSpan.Zero ? r : backoff;
        return delay > MaxDelay ? MaxDelay : delay;
    }
}
