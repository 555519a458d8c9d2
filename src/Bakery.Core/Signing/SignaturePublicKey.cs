using System.Formats.Asn1;
using System.Security.Cryptography;
using Org.BouncyCastle.Crypto.Parameters;
using Org.BouncyCastle.Crypto.Signers;

namespace Bakery.Core.Signing;

/// <summary>The signature schemes Bakery signs and verifies with, as cosign and containers/image do.</summary>
public enum KeyAlgorithm
{
    /// <summary>ECDSA on P-256 with SHA-256, the signature ASN.1 DER encoded (cosign's default).</summary>
    EcdsaP256,

    /// <summary>Ed25519 over the message itself.</summary>
    Ed25519,

    /// <summary>RSA PKCS#1 v1.5 with SHA-256 (2048 bits or more).</summary>
    Rsa,
}

/// <summary>
/// A public key that verifies signatures: parsed from a PEM <c>PUBLIC KEY</c> (SubjectPublicKeyInfo),
/// named by its key id, the SHA-256 of that DER, so a policy and a message can say which key is which.
/// </summary>
public sealed class SignaturePublicKey : IEquatable<SignaturePublicKey>
{
    internal const string EcOid = "1.2.840.10045.2.1";
    internal const string P256Oid = "1.2.840.10045.3.1.7";
    internal const string Ed25519Oid = "1.3.101.112";
    internal const string RsaOid = "1.2.840.113549.1.1.1";

    private readonly byte[] _raw;

    private SignaturePublicKey(KeyAlgorithm algorithm, byte[] subjectPublicKeyInfo, byte[] raw)
    {
        Algorithm = algorithm;
        SubjectPublicKeyInfo = subjectPublicKeyInfo;
        _raw = raw;
        KeyId = "sha256:" + Convert.ToHexStringLower(SHA256.HashData(subjectPublicKeyInfo));
    }

    public KeyAlgorithm Algorithm { get; }
    public byte[] SubjectPublicKeyInfo { get; }

    /// <summary><c>sha256:&lt;hex&gt;</c> of the DER SubjectPublicKeyInfo.</summary>
    public string KeyId { get; }

    /// <summary>The first 12 hex digits of the key id, for messages.</summary>
    public string ShortId => KeyId["sha256:".Length..][..12];

    public string Pem => PemEncoding.WriteString("PUBLIC KEY", SubjectPublicKeyInfo) + "\n";

    public string Describe() => $"{AlgorithmName(Algorithm)} key {ShortId}";

    public static string AlgorithmName(KeyAlgorithm algorithm) => algorithm switch
    {
        KeyAlgorithm.EcdsaP256 => "ECDSA P-256",
        KeyAlgorithm.Ed25519 => "Ed25519",
        _ => "RSA",
    };

    /// <summary>Parses the first <c>PUBLIC KEY</c> block of <paramref name="pem"/>; a problem is a <see cref="FormatException"/> saying what is wrong.</summary>
    public static SignaturePublicKey Parse(string pem)
    {
        foreach (var (label, der) in PemBlocks.Read(pem))
        {
            if (label == "PUBLIC KEY") return FromSubjectPublicKeyInfo(der);
            if (label.Contains("PRIVATE KEY", StringComparison.Ordinal))
                throw new FormatException("it holds a private key where a public key belongs; give the public key (PEM 'PUBLIC KEY') and keep the private key secret");
        }
        throw new FormatException("it has no PEM 'PUBLIC KEY' block");
    }

    public static SignaturePublicKey FromSubjectPublicKeyInfo(byte[] der)
    {
        string oid;
        string? parameters = null;
        byte[] key;
        try
        {
            var spki = new AsnReader(der, AsnEncodingRules.DER).ReadSequence();
            var algorithm = spki.ReadSequence();
            oid = algorithm.ReadObjectIdentifier();
            if (algorithm.HasData && algorithm.PeekTag().HasSameClassAndValue(Asn1Tag.ObjectIdentifier)) parameters = algorithm.ReadObjectIdentifier();
            key = spki.ReadBitString(out _);
        }
        catch (AsnContentException e)
        {
            throw new FormatException($"its public key is not a SubjectPublicKeyInfo ({e.Message})");
        }
        switch (oid)
        {
            case EcOid when parameters == P256Oid:
                using (var ecdsa = ECDsa.Create())
                {
                    try { ecdsa.ImportSubjectPublicKeyInfo(der, out _); }
                    catch (CryptographicException e) { throw new FormatException($"its P-256 public key is not a point on the curve ({e.Message})"); }
                }
                return new SignaturePublicKey(KeyAlgorithm.EcdsaP256, der, key);
            case EcOid:
                throw new FormatException($"it is an elliptic-curve key on curve {parameters ?? "(unnamed)"}; Bakery signs and verifies with P-256 (1.2.840.10045.3.1.7) and Ed25519");
            case Ed25519Oid when key.Length == 32:
                return new SignaturePublicKey(KeyAlgorithm.Ed25519, der, key);
            case RsaOid:
                using (var rsa = RSA.Create())
                {
                    try { rsa.ImportSubjectPublicKeyInfo(der, out _); }
                    catch (CryptographicException e) { throw new FormatException($"its RSA public key cannot be read ({e.Message})"); }
                    if (rsa.KeySize < 2048) throw new FormatException($"it is a {rsa.KeySize}-bit RSA key; at least 2048 bits are accepted");
                }
                return new SignaturePublicKey(KeyAlgorithm.Rsa, der, key);
            default:
                throw new FormatException($"its key algorithm {oid} is not one Bakery verifies (ECDSA P-256, Ed25519, RSA)");
        }
    }

    /// <summary>Whether <paramref name="signature"/> is this key's signature of <paramref name="data"/>; false for anything malformed.</summary>
    public bool Verify(ReadOnlySpan<byte> data, ReadOnlySpan<byte> signature)
    {
        try
        {
            switch (Algorithm)
            {
                case KeyAlgorithm.EcdsaP256:
                {
                    using var ecdsa = ECDsa.Create();
                    ecdsa.ImportSubjectPublicKeyInfo(SubjectPublicKeyInfo, out _);
                    return ecdsa.VerifyData(data, signature, HashAlgorithmName.SHA256, DSASignatureFormat.Rfc3279DerSequence);
                }
                case KeyAlgorithm.Ed25519:
                {
                    if (signature.Length != 64) return false;
                    var verifier = new Ed25519Signer();
                    verifier.Init(false, new Ed25519PublicKeyParameters(_raw));
                    verifier.BlockUpdate(data);
                    return verifier.VerifySignature(signature.ToArray());
                }
                default:
                {
                    using var rsa = RSA.Create();
                    rsa.ImportSubjectPublicKeyInfo(SubjectPublicKeyInfo, out _);
                    return rsa.VerifyData(data, signature, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
                }
            }
        }
        catch (CryptographicException) { return false; }
        catch (ArgumentException) { return false; }
    }

    public bool Equals(SignaturePublicKey? other) => other is not null && other.KeyId == KeyId;
    public override bool Equals(object? obj) => Equals(obj as SignaturePublicKey);
    public override int GetHashCode() => KeyId.GetHashCode(StringComparison.Ordinal);
    public override string ToString() => Describe();
}
