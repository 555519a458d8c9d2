using System.Collections.Concurrent;
using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Authentication;
using System.Security.Cryptography.X509Certificates;

namespace Bakery.Oci.Registry;

/// <summary>
/// Turns what went wrong on the wire into a <see cref="RegistryException"/> that says which registry
/// (or its token service), which proxy, and what to do. It also checks server certificates, so that
/// a failed handshake can say why the certificate was not trusted.
/// </summary>
internal sealed class TransportFailures(string registry, IWebProxy proxy, CertificateTrust trust, TimeSpan timeout, string? insecureHost)
{
    private readonly ConcurrentDictionary<string, string> _certificateProblems = new(StringComparer.OrdinalIgnoreCase);

    /// <summary>The server-certificate check: the system store, then the extra roots; an insecure registry's certificate is not verified.</summary>
    public bool ValidateCertificate(object sender, X509Certificate? certificate, X509Chain? chain, SslPolicyErrors errors)
    {
        var host = (sender as SslStream)?.TargetHostName ?? "";
        if (errors == SslPolicyErrors.None) return true;
        if (insecureHost is not null && string.Equals(host, insecureHost, StringComparison.OrdinalIgnoreCase)) return true;
        if (errors == SslPolicyErrors.RemoteCertificateChainErrors && certificate is X509Certificate2 leaf && trust.Trusts(leaf, chain)) return true;
        var what = new List<string>();
        if (errors.HasFlag(SslPolicyErrors.RemoteCertificateNotAvailable)) what.Add("no certificate was presented");
        if (errors.HasFlag(SslPolicyErrors.RemoteCertificateNameMismatch)) what.Add($"it is not issued for {host}");
        if (errors.HasFlag(SslPolicyErrors.RemoteCertificateChainErrors))
        {
            var statuses = chain?.ChainStatus.Select(s => s.Status).Where(s => s != X509ChainStatusFlags.NoError).Distinct().ToList() ?? [];
            what.Add(statuses.Count > 0 ? $"its chain does not verify ({string.Join(", ", statuses)})" : "its chain does not verify");
        }
        var subject = certificate is null ? "" : $" (subject {certificate.Subject}, issuer {certificate.Issuer})";
        _certificateProblems[host] = string.Join("; ", what) + subject;
        return false;
    }

    public RegistryException Describe(HttpRequestMessage request, Exception exception, int attempts)
    {
        var uri = request.RequestUri!;
        var repository = RegistryRequest.RepositoryOf(request);
        var toRegistry = string.Equals(uri.IdnHost, RegistryHost.HostOf(RegistryHost.ApiAuthority(registry)), StringComparison.OrdinalIgnoreCase);
        var who = toRegistry ? $"registry {registry}" : $"the token service {uri.GetLeftPart(UriPartial.Authority)} of registry {registry}";
        var via = proxy is EnvironmentProxy environment ? environment.Describe(uri) : proxy.GetProxy(uri)?.GetLeftPart(UriPartial.Authority);
        var tries = attempts > 1 ? $" after {attempts} attempts" : "";
        var transient = RetryPolicy.IsTransient(exception);

        if (exception is TimeoutException)
            return new(RegistryFailure.Unreachable, registry, repository,
                $"{Capital(who)} did not {RegistryRequest.ActionOf(request)} within {timeout.TotalSeconds:0} s{tries}{(via is null ? "" : $" (through the proxy {via})")}: "
                + "check the registry's health, or raise the timeout (BakeryRegistryTimeout, in seconds) for a slow link.", null, exception) { IsTransient = true };

        var http = exception as HttpRequestException;
        var socket = FindSocketError(exception);
        if (via is not null && (http?.HttpRequestError == HttpRequestError.ProxyTunnelError
            || (http?.HttpRequestError is HttpRequestError.ConnectionError or HttpRequestError.NameResolutionError && socket is not null)))
        {
            var reason = http!.HttpRequestError == HttpRequestError.ProxyTunnelError
                ? $"it would not open a tunnel to {uri.Authority} ({Inner(exception)})"
                : Socket(socket!.Value);
            return new(RegistryFailure.Proxy, registry, repository,
                $"Cannot reach {who} through the proxy {via}: {reason}{tries}. Check that the proxy runs and its address is right, or add {uri.IdnHost} to NO_PROXY to reach it directly.",
                null, exception) { IsTransient = transient };
        }

        if (http?.HttpRequestError == HttpRequestError.SecureConnectionError || exception is AuthenticationException)
        {
            var why = _certificateProblems.TryGetValue(uri.IdnHost, out var problem)
                ? $"its certificate is not trusted: {problem}"
                : $"the TLS handshake failed ({Inner(exception)})";
            var extra = trust.Source is null ? "" : $" Also trusted: {trust.Source}.";
            var problems = trust.Problems.Count > 0 ? $" ({string.Join("; ", trust.Problems)})" : "";
            return new(RegistryFailure.Tls, registry, repository,
                $"Cannot connect securely to {who}: {why}.{extra}{problems}", null, exception);
        }

        var detail = socket is { } s ? Socket(s) : http?.HttpRequestError switch
        {
            HttpRequestError.NameResolutionError => "host not found",
            HttpRequestError.ResponseEnded => "the connection closed before the answer was complete",
            _ => Inner(exception),
        };
        return new(RegistryFailure.Unreachable, registry, repository,
            $"Cannot reach {who} ({detail}){tries}{(via is null ? "" : $" through the proxy {via}")}.", null, exception) { IsTransient = transient };
    }

    private static string Capital(string text) => char.ToUpperInvariant(text[0]) + text[1..];

    private static string Socket(SocketError error) => error switch
    {
        SocketError.ConnectionRefused => "connection refused: is it running, and is the host and port right?",
        SocketError.HostNotFound or SocketError.NoData => "host not found",
        SocketError.TimedOut => "connection timed out",
        SocketError.ConnectionReset => "the connection was reset",
        SocketError.NetworkUnreachable or SocketError.HostUnreachable => "no route to the host",
        _ => error.ToString(),
    };

    private static SocketError? FindSocketError(Exception e)
    {
        for (Exception? x = e; x is not null; x = x.InnerException)
            if (x is SocketException s) return s.SocketErrorCode;
        return null;
    }

    private static string Inner(Exception e)
    {
        var innermost = e;
        while (innermost.InnerException is not null) innermost = innermost.InnerException;
        return innermost == e ? e.Message : $"{e.Message} {innermost.Message}";
    }
}
