using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace Bakery.Oci.Registry;

/// <summary>
/// Certificate authorities a registry's certificate may chain to besides the system store: the PEM bundle
/// named by <c>SSL_CERT_FILE</c> and the certificates in the folders of <c>SSL_CERT_DIR</c> (OpenSSL's
/// variables, which .NET on Linux also reads for its own store at start-up). Certificates are still
/// checked for name, validity and chain; only the roots are added.
/// </summary>
public sealed class CertificateTrust
{
    private static readonly System.Collections.Concurrent.ConcurrentDictionary<(string?, string?), CertificateTrust> ByVariables = new();
    private readonly Lazy<(X509Certificate2Collection Roots, IReadOnlyList<string> Problems)> _loaded;

    private CertificateTrust(string? source, Func<(X509Certificate2Collection, IReadOnlyList<string>)> load)
    {
        Source = source;
        _loaded = new(load, LazyThreadSafetyMode.ExecutionAndPublication);
    }

    /// <summary>The process's SSL_CERT_FILE and SSL_CERT_DIR; the same values share one loaded set of roots.</summary>
    public static CertificateTrust FromProcess()
    {
        var file = Environment.GetEnvironmentVariable("SSL_CERT_FILE");
        var dirs = Environment.GetEnvironmentVariable("SSL_CERT_DIR");
        return ByVariables.GetOrAdd((file, dirs), key => FromEnvironment(new Dictionary<string, string?> { ["SSL_CERT_FILE"] = key.Item1, ["SSL_CERT_DIR"] = key.Item2 }));
    }

    /// <summary>The system store only.</summary>
    public static CertificateTrust SystemOnly { get; } = new(null, () => ([], []));

    /// <summary>The system store and these roots (for callers that hold a CA themselves).</summary>
    public static CertificateTrust With(IEnumerable<X509Certificate2> roots, string source)
    {
        var collection = new X509Certificate2Collection(roots.ToArray());
        return new(source, () => (collection, []));
    }

    /// <summary>Reads the variables now; the certificates are loaded the first time a certificate needs them.</summary>
    public static CertificateTrust FromEnvironment(IReadOnlyDictionary<string, string?> environment)
    {
        var file = environment.TryGetValue("SSL_CERT_FILE", out var f) && !string.IsNullOrWhiteSpace(f) ? f : null;
        var dirs = environment.TryGetValue("SSL_CERT_DIR", out var d) && !string.IsNullOrWhiteSpace(d) ? d : null;
        var sources = new[] { file is null ? null : $"SSL_CERT_FILE={file}", dirs is null ? null : $"SSL_CERT_DIR={dirs}" }.OfType<string>().ToList();
        return new(sources.Count > 0 ? string.Join(", ", sources) : null, () => Load(file, dirs));
    }

    private static (X509Certificate2Collection, IReadOnlyList<string>) Load(string? file, string? dirs)
    {
        var roots = new X509Certificate2Collection();
        var problems = new List<string>();
        if (file is not null)
        {
            if (!File.Exists(file)) problems.Add($"SSL_CERT_FILE names {file}, which does not exist");
            else if (Load(file) is { Count: > 0 } found) roots.AddRange(found);
            else problems.Add($"SSL_CERT_FILE {file} holds no PEM or DER certificate");
        }
        if (dirs is not null)
            foreach (var dir in dirs.Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
            {
                if (!Directory.Exists(dir)) { problems.Add($"SSL_CERT_DIR names {dir}, which does not exist"); continue; }
                foreach (var path in Directory.EnumerateFiles(dir).Order(StringComparer.Ordinal))
                    if (Load(path) is { } found) roots.AddRange(found);
            }
        return (roots, problems);
    }

    /// <summary>Where the extra roots come from ("SSL_CERT_FILE=…"), or null when there are none.</summary>
    public string? Source { get; }

    /// <summary>Settings that name something unusable (a missing file): said in TLS failure messages.</summary>
    public IReadOnlyList<string> Problems => Source is null ? [] : _loaded.Value.Problems;

    public int Count => _loaded.Value.Roots.Count;

    /// <summary>True when <paramref name="leaf"/> chains to one of the extra roots (through the intermediates the server sent).</summary>
    internal bool Trusts(X509Certificate2 leaf, X509Chain? presented)
    {
        if (Source is null) return false;
        var roots = _loaded.Value.Roots;
        if (roots.Count == 0) return false;
        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.AddRange(roots);
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        if (presented is not null)
            foreach (var element in presented.ChainElements)
                if (!element.Certificate.RawDataMemory.Span.SequenceEqual(leaf.RawDataMemory.Span))
                    chain.ChainPolicy.ExtraStore.Add(element.Certificate);
        return chain.Build(leaf);
    }

    private static X509Certificate2Collection? Load(string path)
    {
        try
        {
            if (new FileInfo(path).Length > 4 * 1024 * 1024) return null;
            var collection = new X509Certificate2Collection();
            var text = File.ReadAllText(path);
            if (text.Contains("-----BEGIN CERTIFICATE-----", StringComparison.Ordinal))
            {
                collection.ImportFromPem(text);
                return collection;
            }
            collection.Add(X509CertificateLoader.LoadCertificateFromFile(path));
            return collection;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or CryptographicException)
        {
            return null;
        }
    }
}
