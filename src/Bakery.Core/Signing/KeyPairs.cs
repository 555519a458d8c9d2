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
                pkcs8 = Org.BouncyCastle.Pkcs.PrivateKeyInfoFactory.CreatePrivateKeyInfo(pair.Private).GetDerEncoded();
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

    private static string EncryptPkcs8(byte[] pkcs8, string password)
    {
        var parameters = new PbeParameters(PbeEncryptionAlgorithm.Aes256Cbc, HashAlgorithmName.SHA256, Pbkdf2Iterations);
        // Any key type: wrap the PrivateKeyInfo as an EncryptedPrivateKeyInfo through an algorithm .NET exports generically.
        using var holder = new PrivateKeyInfoHolder(pkcs8);
        return PemEncoding.WriteString("ENCRYPTED PRIVATE KEY", holder.ExportEncryptedPkcs8PrivateKey(password, parameters)) + "\n";
    }

    /// <summary>.NET encrypts PKCS#8 only for its own key types; Ed25519's is wrapped through this minimal holder.</summary>
    private sealed class PrivateKeyInfoHolder(byte[] pkcs8) : AsymmetricAlgorithm
    {
        public override byte[] ExportPkcs8PrivateKey() => (byte[])pkcs8.Clone();

        public override bool TryExportPkcs8PrivateKey(Span<byte> destination, out int bytesWritten)
        {
            if (destination.Length < pkcs8.Length) { bytesWritten = 0; return false; }
            pkcs8.CopyTo(destination);
            bytesWritten = pkcs8.Length;
            return true;
        }
    }
}
