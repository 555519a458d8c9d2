
namespace Bakery.Oci.Registry;

/// <summary>
/// The outermost handler: gives each attempt its timeout (reset while an upload's bytes move), says
/// "still waiting" while an answer is slow, resends what can be resent under the retry policy, and
/// turns transport failures into <see cref="RegistryException"/>s. Documents are read within the
/// attempt, so a body cut half-way is retried like a refused connection.
/// </summary>
internal sealed class RetryHandler(string registry, RegistryClientOptions options, TransportFailures failures, HttpMessageHandler inner)
    : DelegatingHandler(inner)
{
    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken ct)
    {
        var policy = options.Retry;
        var resend = RegistryRequest.CanResend(request);
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                var response = await AttemptAsync(request, ct);
                if (!resend || !RetryPolicy.IsTransient(response.StatusCode) || attempt >= policy.MaxAttempts) return response;
                var delay = policy.DelayFor(attempt, response.Headers.RetryAfter, options.Time.GetUtcNow());
                options.Log?.Invoke($"{registry} answered {(int)response.StatusCode} to {RegistryRequest.ActionOf(request)}; retrying in {delay.TotalSeconds:0.#} s (attempt {attempt + 1} of {policy.MaxAttempts}).");
                response.Dispose();
                await Task.Delay(delay, options.Time, ct);
            }
            catch (Exception e) when (IsTransportFailure(e, ct))
            {
                var failure = failures.Describe(request, e, attempt);
                if (!resend || !failure.IsTransient || attempt >= policy.MaxAttempts) throw failure;
                var delay = policy.DelayFor(attempt, null, options.Time.GetUtcNow());
                options.Log?.Invoke($"{failure.Message} Retrying in {delay.TotalSeconds:0.#} s (attempt {attempt + 1} of {policy.MaxAttempts}).");
                await Task.Delay(delay, options.Time, ct);
            }
        }
    }

    private static bool IsTransportFailure(Exception e, CancellationToken ct) =>
        !ct.IsCancellationRequested && e is HttpRequestException or IOException or TimeoutException or System.Security.Authentication.AuthenticationException;

    private async Task<HttpResponseMessage> AttemptAsync(HttpRequestMessage request, CancellationToken ct)
    {
        var timeout = options.RequestTimeout;
        using var attempt = CancellationTokenSource.CreateLinkedTokenSource(ct);
        attempt.CancelAfter(timeout);
        var lastActivity = options.Time.GetTimestamp();
        if (request.Content is IActivityContent moving)
            moving.Activity = () =>
            {
                Interlocked.Exchange(ref lastActivity, options.Time.GetTimestamp());
                try { attempt.CancelAfter(timeout); } catch (ObjectDisposedException) { }
            };
        try
        {
            var send = SendAndBufferAsync(request, attempt.Token);
            await NoticeWhileWaitingAsync(send, request, () => Interlocked.Read(ref lastActivity), ct);
            return await send;
        }
        catch (OperationCanceledException e) when (!ct.IsCancellationRequested)
        {
            throw new TimeoutException($"No answer within {timeout.TotalSeconds:0} s.", e);
        }
        finally
        {
            if (request.Content is IActivityContent done) done.Activity = null;
        }
    }

    private async Task<HttpResponseMessage> SendAndBufferAsync(HttpRequestMessage request, CancellationToken ct)
    {
        var response = await base.SendAsync(request, ct);
        if (!request.Options.TryGetValue(RegistryRequest.BufferUpTo, out var limit) || request.Method == HttpMethod.Head) return response;
        try
        {
            var length = response.Content.Headers.ContentLength;
            if (length > limit) throw TooLarge(request, length.Value, limit);
            using var buffer = new MemoryStream(length is { } known ? (int)known : 0);
            await using (var body = await response.Content.ReadAsStreamAsync(ct))
            {
                var chunk = new byte[81920];
                int read;
                while ((read = await body.ReadAsync(chunk, ct)) > 0)
                {
                    if (buffer.Length + read > limit) throw TooLarge(request, buffer.Length + read, limit);
                    buffer.Write(chunk, 0, read);
                }
            }
            var buffered = new ByteArrayContent(buffer.ToArray());
            foreach (var (name, values) in response.Content.Headers) buffered.Headers.TryAddWithoutValidation(name, values);
            response.Content.Dispose();
            response.Content = buffered;
            return response;
        }
        catch
        {
            response.Dispose();
            throw;
        }
    }

    private RegistryException TooLarge(HttpRequestMessage request, long size, long limit) =>
        new(RegistryFailure.Rejected, registry, RegistryRequest.RepositoryOf(request),
            $"{registry} sent {(size > limit ? "more than " + limit : size)} bytes where a document of at most {limit} bytes was expected (to {RegistryRequest.ActionOf(request)}).");

    /// <summary>Reports "still waiting" at the notice interval while nothing has moved for that long.</summary>
    private async Task NoticeWhileWaitingAsync(Task send, HttpRequestMessage request, Func<long> lastActivity, CancellationToken ct)
    {
        if (options.Progress is null || options.WaitNoticeInterval <= TimeSpan.Zero) return;
        var started = options.Time.GetTimestamp();
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(ct);
        while (!send.IsCompleted)
        {
            var tick = Task.Delay(options.WaitNoticeInterval, options.Time, stop.Token);
            if (await Task.WhenAny(send, tick) == send) break;
            if (tick.IsCanceled) break;
            if (options.Time.GetElapsedTime(lastActivity()) < options.WaitNoticeInterval) continue;
            options.Progress.Report(new RegistryProgress(RegistryProgressKind.Waiting, registry, RegistryRequest.RepositoryOf(request),
                RegistryRequest.ActionOf(request), 0, null, 0, options.Time.GetElapsedTime(started), options.RequestTimeout));
        }
        await stop.CancelAsync();
    }
}
