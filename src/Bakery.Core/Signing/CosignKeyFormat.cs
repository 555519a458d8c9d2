using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Org.BouncyCastle.Crypto.Engines;
using Org.BouncyCastle.Crypto.Generators;
using Org.BouncyCastle.Crypto.Macs;
using Org.BouncyCastle.Crypto.Parameters;

namespace Bakery.Core.Signing;

/// <summary>
/// cosign's private key file: PEM <c>ENCRYPTED SIGSTORE PRIVATE KEY</c> (cosign 2) or <c>ENCRYPTED
/// COSIGN PRIVATE KEY</c> (cosign 1, containers/image 5.x), whose content is the JSON of
/// go-securesystemslib's <c>encrypted</c> package: a PKCS#8 key sealed with NaCl secretbox
/// (XSalsa20-Poly1305) under a key derived by scrypt from the password.
/// </summary>
public static class CosignKeyFormat
{
    public const string SigstoreLabel = "ENCRYPTED SIGSTORE PRIVATE KEY";
    public const string CosignLabel = "ENCRYPTED COSIGN PRIVATE KEY";

    /// <summary>The parameters every reader of this format accepts (go-tuf before 0.6 accepts no other).</summary>
    private const int DefaultN = 32768, DefaultR = 8, DefaultP = 1;

    /// <summary>scrypt needs 128·N·r bytes; a tampered file must not make a bake allocate gigabytes.</summary>
    private const long MaxScryptMemory = 256L * 1024 * 1024;

    public static bool IsCosignLabel(string label) => label is SigstoreLabel or CosignLabel;

    /// <summary>The PKCS#8 key inside; a wrong password is a <see cref="CryptographicException"/>, a malformed file a <see cref="FormatException"/>.</summary>
    public static byte[] Decrypt(byte[] content, string password)
    {
        JsonNode? json;
        try { json = JsonNode.Parse(content); }
        catch (JsonException e) { throw new FormatException($"its encrypted content is not the JSON cosign writes ({e.Message})"); }
        var kdf = json?["kdf"];
        var cipher = json?["cipher"];
        if ((string?)kdf?["name"] != "scrypt") throw new FormatException($"its key derivation is '{(string?)kdf?["name"]}', not scrypt");
        if ((string?)cipher?["name"] != "nacl/secretbox") throw new FormatException($"its cipher is '{(string?)cipher?["name"]}', not nacl/secretbox");
        int n, r, p;
        byte[] salt, nonce, sealedBox;
        try
        {
            n = (int)kdf!["params"]!["N"]!;
            r = (int)kdf["params"]!["r"]!;
            p = (int)kdf["params"]!["p"]!;
            salt = Convert.FromBase64String((string)kdf["salt"]!);
            nonce = Convert.FromBase64String((string)cipher!["nonce"]!);
            sealedBox = Convert.FromBase64String((string)json!["ciphertext"]!);
        }
        catch (Exception e) when (e is FormatException or InvalidOperationException or NullReferenceException or ArgumentException)
        {
            throw new FormatException("its encrypted content lacks scrypt parameters, salt, nonce or ciphertext");
        }
        if (n < 2 || (n & (n - 1)) != 0 || r < 1 || p < 1 || p > 16 || 128L * n * r > MaxScryptMemory)
            throw new FormatException($"its scrypt parameters (N={n}, r={r}, p={p}) are outside what Bakery derives keys with (at most {MaxScryptMemory / (1024 * 1024)} MiB)");
        if (nonce.Length != 24) throw new FormatException($"its secretbox nonce has {nonce.Length} bytes, not 24");
        if (sealedBox.Length < 16) throw new FormatException("its ciphertext is too short");
        var key = SCrypt.Generate(Encoding.UTF8.GetBytes(password), salt, n, r, p, 32);
        return Open(sealedBox, nonce, key) ?? throw new CryptographicException("the password does not open the key");
    }

    /// <summary>Seals a PKCS#8 key as cosign does (scrypt N=32768, r=8, p=1; random salt and nonce); returns the PEM text.</summary>
    public static string Encrypt(byte[] pkcs8, string password, string label = SigstoreLabel)
    {
        var salt = RandomNumberGenerator.GetBytes(32);
        var nonce = RandomNumberGenerator.GetBytes(24);
        var key = SCrypt.Generate(Encoding.UTF8.GetBytes(password), salt, DefaultN, DefaultR, DefaultP, 32);
        var json = new JsonObject
        {
            ["kdf"] = new JsonObject
            {
                ["name"] = "scrypt",
                ["params"] = new JsonObject { ["N"] = DefaultN, ["r"] = DefaultR, ["p"] = DefaultP },
                ["salt"] = Convert.ToBase64String(salt),
            },
            ["cipher"] = new JsonObject { ["name"] = "nacl/secretbox", ["nonce"] = Convert.ToBase64String(nonce) },
            ["ciphertext"] = Convert.ToBase64String(Seal(pkcs8, nonce, key)),
        };
        return PemEncoding.WriteString(label, Encoding.UTF8.GetBytes(json.ToJsonString())) + "\n";
    }

    /// <summary>NaCl crypto_secretbox: the first 32 bytes of the XSalsa20 stream key Poly1305, the rest encrypt; the tag comes first.</summary>
    private static byte[] Seal(byte[] message, byte[] nonce, byte[] key)
    {
        var (stream, macKey) = Stream(nonce, key);
        var ciphertext = new byte[message.Length];
        stream.ProcessBytes(message, 0, message.Length, ciphertext, 0);
        var tag = Mac(macKey, ciphertext);
        return [.. tag, .. ciphertext];
    }

    private static byte[]? Open(byte[] box, byte[] nonce, byte[] key)
    {
        var (stream, macKey) = Stream(nonce, key);
        var ciphertext = box[16..];
        if (!CryptographicOperations.FixedTimeEquals(Mac(macKey, ciphertext), box.AsSpan(0, 16))) return null;
        var message = new byte[ciphertext.Length];
        stream.ProcessBytes(ciphertext, 0, ciphertext.Length, message, 0);
        return message;
    }

    private static (XSalsa20Engine Stream, byte[] MacKey) Stream(byte[] nonce, byte[] key)
    {
        var stream = new XSalsa20Engine();
        stream.Init(true, new ParametersWithIV(new KeyParameter(key), nonce));
        var macKey = new byte[32];
        stream.ProcessBytes(new byte[32], 0, 32, macKey, 0);
        return (stream, macKey);
    }

    private static byte[] Mac(byte[] macKey, byte[] ciphertext)
    {
        var poly = new Poly1305();
        poly.Init(new KeyParameter(macKey));
        poly.BlockUpdate(ciphertext, 0, ciphertext.Length);
        var tag = new byte[16];
        poly.DoFinal(tag, 0);
        return tag;
    }
}
