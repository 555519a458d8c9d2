using System.Net;
using System.Net.Http.Headers;

namespace Bakery.Oci.Registry;

/// <summary>Bounded retries with exponential backoff; a registry's Retry-After is honoured up to a cap.</summary>
public sealed record RetryPolicy
{
    public int MaxAttempts { get; init; } = 4;
    public TimeSpan InitialDelay { get; init; } = TimeSpan.FromMilliseconds(250);
    public TimeSpan MaxDelay { get; init; } = TimeSpan.FromSeconds(20);

    public static bool IsTransient(HttpStatusCode status) =>
        status is HttpStatusCode.TooManyRequests or HttpStatusCode.InternalServerError or HttpStatusCode.BadGateway
            or HttpStatusCode.ServiceUnavailable or HttpStatusCode.GatewayTimeout;

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
