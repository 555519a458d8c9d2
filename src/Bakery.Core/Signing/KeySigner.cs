using System.Formats.Asn1;
using System.Security.Cryptography;
using Org.BouncyCastle.Crypto.Digests;
using Org.BouncyCastle.Crypto.Parameters;
using Org.BouncyCastle.Crypto.Signers;

namespace Bakery.Core.Signing;

/// <summary>
/// Signs with a private key held in memory. ECDSA signatures are deterministic (RFC 6979), as Ed25519
/// and RSA PKCS#1 v1.5 are by design: signing the same payload again gives the same bytes, so a rebake
/// finds its signatures already stored and writes nothing.
/// </summary>
public sealed class KeySigner : IPayloadSigner
{
    private readonly Func<byte[], byte[]> _sign;

    private KeySigner(SignaturePublicKey publicKey, string description, Func<byte[], byte[]> sign)
    {
        PublicKey = publicKey;
        Description = description;
        _sign = sign;
    }

    public SignaturePublicKey PublicKey { get; }
    public string Description { get; }

    public Task<byte[]> SignAsync(byte[] payload, CancellationToken ct = default) => Task.FromResult(_sign(payload));

    /// <summary>A signer for a decrypted PKCS#8 PrivateKeyInfo; a key of another kind is a <see cref="FormatException"/>.</summary>
    public static KeySigner FromPkcs8(byte[] pkcs8, string description)
    {
        var (oid, curve) = Pkcs8Algorithm(pkcs8);
        switch (oid)
        {
            case SignaturePublicKey.EcOid when curve is null or SignaturePublicKey.P256Oid:
            {
                using var ecdsa = ECDsa.Create();
                ecdsa.ImportPkcs8PrivateKey(pkcs8, out _);
                return FromEcdsa(ecdsa, description);
            }
            case SignaturePublicKey.EcOid:
                throw new FormatException($"it is an elliptic-curve key on curve {curve}; Bakery signs with P-256 (1.2.840.10045.3.1.7) or Ed25519");
            case SignaturePublicKey.Ed25519Oid:
            {
                var key = (Ed25519PrivateKeyParameters)Org.BouncyCastle.Security.PrivateKeyFactory.CreateKey(pkcs8);
                return FromEd25519(key, description);
            }
            case SignaturePublicKey.RsaOid:
            {
                var rsa = RSA.Create();
                rsa.ImportPkcs8PrivateKey(pkcs8, out _);
                if (rsa.KeySize < 2048) throw new FormatException($"it is a {rsa.KeySize}-bit RSA key; at least 2048 bits are accepted");
                var publicKey = SignaturePublicKey.FromSubjectPublicKeyInfo(rsa.ExportSubjectPublicKeyInfo());
                return new KeySigner(publicKey, description, payload => rsa.SignData(payload, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1));
            }
            default:
                throw new FormatException($"its key algorithm {oid} is not one Bakery signs with (ECDSA P-256, Ed25519, RSA)");
        }
    }

    /// <summary>An ECDSA P-256 key (from any format .NET reads).</summary>
    public static KeySigner FromEcdsa(ECDsa ecdsa, string description)
    {
        var parameters = ecdsa.ExportParameters(includePrivateParameters: true);
        if (parameters.Curve.Oid?.Value != SignaturePublicKey.P256Oid && parameters.Curve.Oid?.FriendlyName is not ("nistP256" or "ECDSA_P256"))
            throw new FormatException($"it is an elliptic-curve key on curve {parameters.Curve.Oid?.Value ?? parameters.Curve.Oid?.FriendlyName ?? "(explicit)"}; Bakery signs with P-256 or Ed25519");
        var publicKey = SignaturePublicKey.FromSubjectPublicKeyInfo(ecdsa.ExportSubjectPublicKeyInfo());
        var domain = Org.BouncyCastle.Asn1.X9.ECNamedCurveTable.GetByName("P-256");
        var curve = new ECDomainParameters(domain.Curve, domain.G, domain.N, domain.H);
        var d = new ECPrivateKeyParameters(new Org.BouncyCastle.Math.BigInteger(1, parameters.D!), curve);
        return new KeySigner(publicKey, description, payload =>
        {
            var signer = new ECDsaSigner(new HMacDsaKCalculator(new Sha256Digest()));
            signer.Init(true, d);
            var rs = signer.GenerateSignature(SHA256.HashData(payload));
            // Low-S, as Go's crypto/ecdsa and most verifiers expect.
            var s = rs[1].CompareTo(curve.N.ShiftRight(1)) > 0 ? curve.N.Subtract(rs[1]) : rs[1];
            return DerSignature(rs[0].ToByteArrayUnsigned(), s.ToByteArrayUnsigned());
        });
    }

    public static KeySigner FromEd25519(Ed25519PrivateKeyParameters key, string description)
    {
        var publicKey = SignaturePublicKey.FromSubjectPublicKeyInfo(
            Org.BouncyCastle.X509.SubjectPublicKeyInfoFactory.CreateSubjectPublicKeyInfo(key.GeneratePublicKey()).GetDerEncoded());
        return new KeySigner(publicKey, description, payload =>
        {
            var signer = new Ed25519Signer();
            signer.Init(true, key);
            signer.BlockUpdate(payload, 0, payload.Length);
            return signer.GenerateSignature();
        });
    }

    /// <summary>An ECDSA signature (r, s) as the ASN.1 DER sequence cosign and containers/image verify.</summary>
    public static byte[] DerSignature(ReadOnlySpan<byte> r, ReadOnlySpan<byte> s)
    {
        var writer = new AsnWriter(AsnEncodingRules.DER);
        using (writer.PushSequence())
        {
            writer.WriteIntegerUnsigned(Minimal(r));
            writer.WriteIntegerUnsigned(Minimal(s));
        }
        return writer.Encode();
    }

    private static ReadOnlySpan<byte> Minimal(ReadOnlySpan<byte> value)
    {
        while (value.Length > 1 && value[0] == 0) value = value[1..];
        return value;
    }

    private static (string Oid, string? Curve) Pkcs8Algorithm(byte[] pkcs8)
    {
        try
        {
            var info = new AsnReader(pkcs8, AsnEncodingRules.BER).ReadSequence();
            info.ReadInteger();
            var algorithm = info.ReadSequence();
            var oid = algorithm.ReadObjectIdentifier();
            string? curve = algorithm.HasData && algorithm.PeekTag().HasSameClassAndValue(Asn1Tag.ObjectIdentifier) ? algorithm.ReadObjectIdentifier() : null;
            return (oid, curve);
        }
        catch (AsnContentException e)
        {
            throw new FormatException($"it is not a PKCS#8 private key ({e.Message})");
        }
    }
}
