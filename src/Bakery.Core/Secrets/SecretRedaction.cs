using System.Buffers;
using System.Security.Cryptography;
using System.Text;

namespace Bakery.Core.Secrets;

/// <summary>
/// What is shown of a secret: its length and the first 8 hex digits of the SHA-256 of its UTF-8 bytes.
/// Never any of its characters, not even the first few: a prefix narrows a short password down to
/// a handful of guesses, and tells an attacker which key of several leaked.
/// </summary>
public static class SecretRedaction
{
    public const int HashLength = 8;

    public static string Hash(ReadOnlySpan<char> secret)
    {
        var max = Encoding.UTF8.GetMaxByteCount(secret.Length);
        var rented = max <= 1024 ? null : ArrayPool<byte>.Shared.Rent(max);
        Span<byte> bytes = rented ?? stackalloc byte[1024];
        try
        {
            var count = Encoding.UTF8.GetBytes(secret, bytes);
            return Hash((ReadOnlySpan<byte>)bytes[..count]);
        }
        finally
        {
            if (rented is not null) ArrayPool<byte>.Shared.Return(rented, clearArray: true);
        }
    }

    public static string Hash(ReadOnlySpan<byte> secret)
    {
        Span<byte> digest = stackalloc byte[32];
        SHA256.HashData(secret, digest);
        return Convert.ToHexStringLower(digest[..(HashLength / 2)]);
    }

    public static string Describe(int length, string hash, bool bytes = false) =>
        $"{length} {(bytes ? "bytes" : "chars")}, sha256 {hash}";
}
