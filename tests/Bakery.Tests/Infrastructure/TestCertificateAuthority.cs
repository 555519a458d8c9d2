using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace Bakery.Tests.Infrastructure;

/// <summary>
/// A private certificate authority a test creates (ECDSA P-256): it issues server certificates for TLS
/// registries and token services, and the signing certificate of a token server. Its PEM is what a
/// company would put into SSL_CERT_FILE or the system store.
/// </summary>
internal sealed class TestCertificateAuthority : IDisposable
{
    private readonly ECDsa _key;

    private TestCertificateAuthority(X509Certificate2 certificate, ECDsa key)
    {
        Certificate = certificate;
        _key = key;
    }

    public X509Certificate2 Certificate { get; }

    public static TestCertificateAuthority Create(string name)
    {
        var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest($"CN={name}, O=Bakery tests", key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, true));
        request.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(request.PublicKey, false));
        var now = DateTimeOffset.UtcNow;
        return new TestCertificateAuthority(request.CreateSelfSigned(now.AddDays(-1), now.AddDays(30)), key);
    }

    /// <summary>A certificate for these names (server authentication), with its private key, usable by Kestrel and SslStream.</summary>
    public X509Certificate2 Issue(string commonName, IEnumerable<string> dnsNames, IEnumerable<IPAddress>? addresses = null, bool serverAuth = true)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest($"CN={commonName}, O=Bakery tests", key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature, true));
        if (serverAuth) request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.1")], false));
        var names = new SubjectAlternativeNameBuilder();
        foreach (var dns in dnsNames) names.AddDnsName(dns);
        foreach (var address in addresses ?? []) names.AddIpAddress(address);
        request.CertificateExtensions.Add(names.Build());
        request.CertificateExtensions.Add(X509AuthorityKeyIdentifierExtension.CreateFromCertificate(Certificate, true, false));
        var now = DateTimeOffset.UtcNow;
        var serial = RandomNumberGenerator.GetBytes(12);
        using var issued = request.Create(Certificate.SubjectName, X509SignatureGenerator.CreateForECDsa(_key), now.AddHours(-1), now.AddDays(7), serial);
        using var withKey = issued.CopyWithPrivateKey(key);
        // Through PKCS#12, so the key is usable by TLS on every platform (not an ephemeral key).
        return X509CertificateLoader.LoadPkcs12(withKey.Export(X509ContentType.Pkcs12, ""), "", X509KeyStorageFlags.Exportable);
    }

    /// <summary>Writes the CA certificate as PEM (a bundle of one).</summary>
    public string WriteCertificatePem(string directory, string name = "ca.pem")
    {
        var path = Path.Combine(directory, name);
        File.WriteAllText(path, Certificate.ExportCertificatePem() + "\n");
        return path;
    }

    /// <summary>Writes a certificate and its PKCS#8 key as PEM files (what Distribution's <c>http.tls</c> reads).</summary>
    public static (string Certificate, string Key) WriteKeyPair(X509Certificate2 certificate, string directory, string name)
    {
        var cert = Path.Combine(directory, name + ".crt");
        var key = Path.Combine(directory, name + ".key");
        File.WriteAllText(cert, certificate.ExportCertificatePem() + "\n");
        using var ec = certificate.GetECDsaPrivateKey() ?? throw new InvalidOperationException("The certificate has no ECDSA key.");
        File.WriteAllText(key, ec.ExportPkcs8PrivateKeyPem() + "\n");
        return (cert, key);
    }

    public void Dispose()
    {
        Certificate.Dispose();
        _key.Dispose();
    }
}
