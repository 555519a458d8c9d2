using System.Formats.Asn1;
using System.Security.Cryptography;
using Org.BouncyCastle.Crypto.Generators;
using Org.BouncyCastle.Crypto.Parameters;

namespace Bakery.Core.Signing;

public enum KeyFileFormat { Pkcs8, Cosign }

/// <summary>A new key pair: the private key as encrypted PEM, and its public key.</summary>
public sealed record GeneratedKeyPair(string PrivatePem, SignaturePublicKey PublicKey);

/// <summary>Makes signing key pairs, encrypted as PKCS#8 (PBES2: PBKDF2-SHA256, AES-256-CBC) or in cosign's format.</summary>
public static class KeyPairs
{
    /// <summary>PBKDF2 iterations: OpenSSL 3's default is 2048; this costs a few milliseconds per bake and much more per guess.</summary>
    public const int Pbkdf2Iterations = 100_000;

    public static GeneratedKeyPair Generate(KeyAlgorithm algorithm, KeyFileFormat format, string password)
    {
        byte[] pkcs8;
        switch (algorithm)
        {
            case KeyAlgorithm.EcdsaP256:
            {
                using var ecdsa = ECDsa.Create(ECCurve.NamedCurves.nistP256);
                pkcs8 = ecdsa.ExportPkcs8PrivateKey();
                break;
            }
            case KeyAlgorithm.Ed25519:
            {
                var generator = new Ed25519KeyPairGenerator();
                generator.Init(new Ed25519KeyGenerationParameters(new Org.BouncyCastle.Security.SecureRandom()));
                var pair = generator.GenerateKeyPair();
                pkcs8 = Ed25519PrivateKeyInfo(((Ed25519PrivateKeyParameters)pair.Private).GetEncoded());
                break;
            }
            default:
                throw new ArgumentOutOfRangeException(nameof(algorithm), algorithm, "Bakery generates ECDSA P-256 and Ed25519 keys.");
        }
        var signer = KeySigner.FromPkcs8(pkcs8, "generated key");
        var pem = format == KeyFileFormat.Cosign ? CosignKeyFormat.Encrypt(pkcs8, password) : EncryptPkcs8(pkcs8, password);
        CryptographicOperations.ZeroMemory(pkcs8);
        return new GeneratedKeyPair(pem, signer.PublicKey);
    }

    /// <summary>RFC 8410's PrivateKeyInfo v1 (no public key inside), the form OpenSSL, Go and .NET all read.</summary>
    private static byte[] Ed25519PrivateKeyInfo(byte[] seed)
    {
        var writer = new AsnWriter(AsnEncodingRules.DER);
        using (writer.PushSequence())
        {
            writer.WriteInteger(0);
            using (writer.PushSequence()) writer.WriteObjectIdentifier("1.3.101.112");
            var inner = new AsnWriter(AsnEncodingRules.DER);
            inner.WriteOctetString(seed);
            writer.WriteOctetString(inner.Encode());
        }
        return writer.Encode();
    }

    /// <summary>
    /// EncryptedPrivateKeyInfo with PBES2 (RFC 8018): PBKDF2 with HMAC-SHA256, AES-256-CBC, as
    /// <c>openssl pkcs8 -topk8 -v2 aes-256-cbc</c> writes it. Written here because .NET encrypts
    /// PKCS#8 only for its own key types, and Ed25519 is not one.
    /// </summary>
    private static string EncryptPkcs8(byte[] pkcs8, string password)
    {
        var salt = RandomNumberGenerator.GetBytes(16);
        var iv = RandomNumberGenerator.GetBytes(16);
        var key = Rfc2898DeriveBytes.Pbkdf2(password, salt, Pbkdf2Iterations, HashAlgorithmName.SHA256, 32);
        byte[] encrypted;
        using (var aes = Aes.Create())
        {
            aes.Key = key;
            encrypted = aes.EncryptCbc(pkcs8, iv, PaddingMode.PKCS7);
        }
        CryptographicOperations.ZeroMemory(key);

        var writer = new AsnWriter(AsnEncodingRules.DER);
        using (writer.PushSequence())
        {
            using (writer.PushSequence())
            {
                writer.WriteObjectIdentifier("1.2.840.113549.1.5.13"); // PBES2
                using (writer.PushSequence())
                {
                    using (writer.PushSequence())
                    {
                        writer.WriteObjectIdentifier("1.2.840.113549.1.5.12"); // PBKDF2
                        using (writer.PushSequence())
                        {
                            writer.WriteOctetString(salt);
                            writer.WriteInteger(Pbkdf2Iterations);
                            using (writer.PushSequence())
                            {
                                writer.WriteObjectIdentifier("1.2.840.113549.2.9"); // hmacWithSHA256
                                writer.WriteNull();
                            }
                        }
                    }
                    using (writer.PushSequence())
                    {
                        writer.WriteObjectIdentifier("2.16.840.1.101.3.4.1.42"); // aes256-CBC
                        writer.WriteOctetString(iv);
                    }
                }
            }
            writer.WriteOctetString(encrypted);
        }
        return PemEncoding.WriteString("ENCRYPTED PRIVATE KEY", writer.Encode()) + "\n";
    }
}
