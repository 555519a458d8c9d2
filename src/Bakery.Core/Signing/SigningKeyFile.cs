using System.Security.Cryptography;

namespace Bakery.Core.Signing;

/// <summary>
/// Reads a private key file: PKCS#8 PEM (<c>PRIVATE KEY</c>, or <c>ENCRYPTED PRIVATE KEY</c> with a
/// password: PBES2 as OpenSSL and .NET write it), SEC1 <c>EC PRIVATE KEY</c>, or cosign's
/// <c>ENCRYPTED SIGSTORE PRIVATE KEY</c>. ECDSA P-256, Ed25519 and RSA keys; BAKE430 when the file or
/// key is unusable, BAKE431 when the password is missing or wrong.
/// </summary>
public static class SigningKeyFile
{
    /// <summary>The environment variable that holds the password of an encrypted key.</summary>
    public const string PasswordVariable = "BAKERY_SIGNING_KEY_PASSWORD";

    public static KeySigner Load(string path, string? password)
    {
        string text;
        try { text = File.ReadAllText(path); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw Messages.BAKE430(path, e is FileNotFoundException or DirectoryNotFoundException ? "the file does not exist" : e.Message).Exception(e);
        }
        return Parse(text, path, password);
    }

    public static KeySigner Parse(string text, string path, string? password)
    {
        var description = $"key {path}";
        List<(string Label, byte[] Der)> blocks;
        try { blocks = PemBlocks.Read(text).ToList(); }
        catch (FormatException e) { throw Messages.BAKE430(path, e.Message).Exception(e); }
        var (label, der) = blocks.FirstOrDefault(b => b.Label.Contains("PRIVATE KEY", StringComparison.Ordinal));
        if (label is null)
            throw Messages.BAKE430(path, blocks.Any(b => b.Label == "PUBLIC KEY")
                ? "it is a public key; signing needs the private key (PEM 'PRIVATE KEY' or 'ENCRYPTED PRIVATE KEY')"
                : "it has no PEM private key block").Exception();
        try
        {
            switch (label)
            {
                case "PRIVATE KEY":
                    return KeySigner.FromPkcs8(der, description);
                case "EC PRIVATE KEY":
                {
                    using var ecdsa = ECDsa.Create();
                    ecdsa.ImportECPrivateKey(der, out _);
                    return KeySigner.FromEcdsa(ecdsa, description);
                }
                case "ENCRYPTED PRIVATE KEY":
                    return KeySigner.FromPkcs8(Decrypted(path, () => DecryptPkcs8(der, Password(path, password))), description);
                case var cosign when CosignKeyFormat.IsCosignLabel(cosign):
                    return KeySigner.FromPkcs8(Decrypted(path, () => CosignKeyFormat.Decrypt(der, Password(path, password))), description);
                default:
                    throw new FormatException($"its PEM block is '{label}'; Bakery reads 'PRIVATE KEY', 'ENCRYPTED PRIVATE KEY', 'EC PRIVATE KEY' and cosign's '{CosignKeyFormat.SigstoreLabel}'");
            }
        }
        catch (Exception e) when (e is FormatException or CryptographicException or InvalidCastException or ArgumentException)
        {
            throw Messages.BAKE430(path, e.Message).Exception(e);
        }
    }

    private static byte[] Decrypted(string path, Func<byte[]> decrypt)
    {
        try { return decrypt(); }
        catch (CryptographicException e) { throw Messages.BAKE431(path, $"the password in {PasswordVariable} does not open it").Exception(e); }
    }

    private static string Password(string path, string? password) =>
        string.IsNullOrEmpty(password) ? throw Messages.BAKE431(path, $"it is encrypted and {PasswordVariable} is not set").Exception() : password;

    /// <summary>PKCS#8 EncryptedPrivateKeyInfo (PBES2 and the PKCS#12 PBEs) decrypted to PrivateKeyInfo.</summary>
    private static byte[] DecryptPkcs8(byte[] der, string password)
    {
        Org.BouncyCastle.Asn1.Pkcs.EncryptedPrivateKeyInfo info;
        try { info = Org.BouncyCastle.Asn1.Pkcs.EncryptedPrivateKeyInfo.GetInstance(der); }
        catch (Exception e) when (e is ArgumentException or InvalidCastException or IOException)
        {
            throw new FormatException($"it is not an encrypted PKCS#8 key ({e.Message})");
        }
        try
        {
            return Org.BouncyCastle.Pkcs.PrivateKeyInfoFactory.CreatePrivateKeyInfo(password.ToCharArray(), info).GetDerEncoded();
        }
        catch (Exception e) when (e is Org.BouncyCastle.Crypto.InvalidCipherTextException or Org.BouncyCastle.Crypto.DataLengthException
                                   or ArgumentException or InvalidCastException or IOException or InvalidOperationException)
        {
            // A wrong password leaves bad padding or bytes that are no PrivateKeyInfo: the same to the user.
            throw new CryptographicException("the password does not open the key", e);
        }
        catch (Org.BouncyCastle.Security.SecurityUtilityException e)
        {
            throw new FormatException($"it is encrypted with a scheme Bakery cannot decrypt ({e.Message}); re-encrypt it with 'openssl pkcs8 -topk8 -v2 aes-256-cbc'");
        }
    }
}
