using System.Net;

namespace Bakery.Tests.Infrastructure;

/// <summary>
/// Names a test gives its loopback servers so that they look like company hosts (not loopback, so
/// HTTPS, certificate checks and proxies apply). They are under <c>.test</c>, which DNS never
/// resolves (RFC 6761): only the map given to the client and to the test proxy knows them, and it
/// points at 127.0.0.1.
/// </summary>
internal static class TestHosts
{
    public const string Registry = "registry.bakery.test";
    public const string Other = "store.bakery.test";
    public const string Auth = "auth.bakery.test";

    public static IReadOnlyDictionary<string, IPAddress> Map { get; } = new Dictionary<string, IPAddress>(StringComparer.OrdinalIgnoreCase)
    {
        [Registry] = IPAddress.Loopback,
        [Other] = IPAddress.Loopback,
        [Auth] = IPAddress.Loopback,
    };
}
