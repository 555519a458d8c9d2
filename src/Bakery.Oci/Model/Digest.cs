using System.Security.Cryptography;
using System.Text.RegularExpressions;

namespace Bakery.Oci.Model;

/// <summary>A content digest such as <c>sha256:…</c>. Only sha256 is produced; sha512 is accepted for reading.</summary>
public readonly partial record struct Digest(string Algorithm, string Hex)
{
    public override string ToString() => $"{Algorithm}:{Hex}";

    public static Digest Parse(string value)
    {
        if (!TryParse(value, out var digest))
            throw new FormatException($"'{value}' is not a valid digest: expected 'sha256:' followed by 64 lowercase hex characters.");
        return digest;
    }

    public static bool TryParse(string? value, out Digest digest)
    {
        digest = default;
        if (value is null) return false;
        var match = DigestPattern().Match(value);
        if (!match.Success) return false;
        var algorithm = match.Groups["alg"].Value;
        var hex = match.Groups["hex"].Value;
        var expectedLength = algorithm switch { "sha256" => 64, "sha512" => 128, _ => -1 };
        if (hex.Length != expectedLength) return false;
        digest = new Digest(algorithm, hex);
        return true;
    }

    public static Digest Compute(ReadOnlySpan<byte> content) =>
        new("sha256", Convert.ToHexStringLower(SHA256.HashData(content)));

    public static Digest FromHash(byte[] sha256) => new("sha256", Convert.ToHexStringLower(sha256));

    /// <summary>True when <paramref name="content"/> hashes to this digest with this digest's algorithm.</summary>
    public bool Matches(ReadOnlySpan<byte> content)
    {
        var actual = Algorithm switch
        {
            "sha256" => SHA256.HashData(content),
            "sha512" => SHA512.HashData(content),
            _ => throw new NotSupportedException($"Digest algorithm '{Algorithm}' is not supported."),
        };
        return string.Equals(Convert.ToHexStringLower(actual), Hex, StringComparison.Ordinal);
    }

    [GeneratedRegex("^(?<alg>[a-z0-9]+):(?<hex>[a-f0-9]+)$")]
    private static partial Regex DigestPattern();
}
