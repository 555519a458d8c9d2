using System.Security.Cryptography;
using System.Text;

namespace Bakery.Tests.Unit.Secrets;

/// <summary>Random values of the shapes secrets have, from a seeded generator (a test's corpus is reproducible, yet no value is fixed).</summary>
internal sealed class CorpusRandom(int seed)
{
    private const string Upper = "ABCDEFGHIJKLMNOPQRSTUVWXYZ";
    private const string Lower = "abcdefghijklmnopqrstuvwxyz";
    private const string Digits = "0123456789";
    private static readonly string[] Words = ["sunflower", "harbor", "copper", "falcon", "meadow", "granite", "orbit", "velvet", "lantern", "glacier", "pepper", "thunder", "willow", "cobalt"];

    public Random Random { get; } = new(seed);

    public string From(string alphabet, int length) =>
        string.Create(length, (alphabet, Random), static (span, state) => { for (var i = 0; i < span.Length; i++) span[i] = state.alphabet[state.Random.Next(state.alphabet.Length)]; });

    public string Alnum(int length) => From(Upper + Lower + Digits, length);
    public string LowerAlnum(int length) => From(Lower + Digits, length);
    public string UpperAlnum(int length) => From(Upper + Digits, length);
    public string Hex(int length) => From("0123456789abcdef", length);
    public string Base32(int length) => From(Upper + "234567", length);
    public string Base64Url(int length) => From(Upper + Lower + Digits + "-_", length);
    public string Base64(int bytes) => Convert.ToBase64String(Bytes(bytes));

    public byte[] Bytes(int count)
    {
        var bytes = new byte[count];
        Random.NextBytes(bytes);
        return bytes;
    }

    /// <summary>A generated password: letters, digits and the symbols that need no quoting in any of the formats planted.</summary>
    public string Password()
    {
        const string symbols = "!#%+-=@^_~*";
        var length = 10 + Random.Next(14);
        var chars = new char[length];
        var all = Upper + Lower + Digits + symbols;
        for (var i = 0; i < length; i++) chars[i] = all[Random.Next(all.Length)];
        chars[0] = Upper[Random.Next(26)];
        chars[1] = Lower[Random.Next(26)];
        chars[2] = Digits[Random.Next(10)];
        chars[3] = symbols[Random.Next(symbols.Length)];
        return new string(chars);
    }

    /// <summary>The password people actually choose: a word and two digits. Low entropy, still a secret.</summary>
    public string WeakPassword() => Pick(Words) + Random.Next(10, 99);

    public T Pick<T>(IReadOnlyList<T> items) => items[Random.Next(items.Count)];

    public int Next(int max) => Random.Next(max);

    public string Guid() => new Guid(Bytes(16)).ToString();

    /// <summary>A real RSA key in PKCS#8 PEM (random per seed would need a seeded RSA; a fresh key per run is as good: nothing depends on its value).</summary>
    public static string RsaPrivateKeyPem(string label = "PRIVATE KEY")
    {
        using var rsa = RSA.Create(1024);
        var der = label == "RSA PRIVATE KEY" ? rsa.ExportRSAPrivateKey() : rsa.ExportPkcs8PrivateKey();
        return Pem(label, der);
    }

    public static string Pem(string label, byte[] der)
    {
        var text = new StringBuilder().Append("-----BEGIN ").Append(label).Append("-----\n");
        var body = Convert.ToBase64String(der);
        for (var i = 0; i < body.Length; i += 64) text.Append(body.AsSpan(i, Math.Min(64, body.Length - i))).Append('\n');
        return text.Append("-----END ").Append(label).Append("-----\n").ToString();
    }
}
