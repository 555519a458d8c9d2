using System.Buffers.Text;
using System.Text;

namespace Bakery.Core.Secrets;

/// <summary>
/// Values published in documentation, emulators and specifications: anyone may know them, so they are
/// not secrets wherever they appear (the AWS documentation key pair, the Azurite and Cosmos DB emulator
/// keys, the jwt.io example token, Stripe's documentation test keys, RFC examples, …).
/// </summary>
internal static class PublishedExamples
{
    private static readonly HashSet<string> Values = new(StringComparer.Ordinal)
    {
        // Azure Storage Emulator / Azurite account key for devstoreaccount1 (documented by Microsoft).
        "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==",
        // Azure Cosmos DB emulator key (documented by Microsoft).
        "C2y6yDjf5/R+ob0N8A7Cgv30VRDJIWEHLM+4QDU5DE2nQ9nDuVTqobD4b8mGGyPMbIZnqyMsEcaGQy67XIw/Jw==",
        // Stripe API reference test keys.
        "sk_test_4eC39HqLyjWDarjtT1zdp7dc", "sk_test_BQokikJOvBiI2HlWgH4olfQ2", "sk_test_26PHem9AhJZvU623DfE1x4sd",
        // GitHub documentation example token.
        "ghp_16C7e42F292c6912E7710c838347Ae178B4a",
        // NuGet documentation nuget.config examples.
        "33f!!lloppa", "hal+9ooo_da!sY",
        // RFC 6749 / 6750 / 7617 examples: access and refresh tokens, client secret, basic credentials.
        "2YotnFZFEjr1zCsicMWpAA", "tGzv3JOkF0XG5Qx2TlKWIA", "7Fjfp0ZBr1KtDRbnfVdmIw", "mF_9.B5f-4.1JqM", "SplxlOBeZQQYbYS6WxSbIA",
        "QWxhZGRpbjpvcGVuIHNlc2FtZQ==", "czZCaGRSa3F0MzpnWDFmQmF0M2JW",
        // Google's own placeholder P12 keystore password; OpenSSL's shipped openssl.cnf example; PyJWT's README token.
        "notasecret", "pass:insta", "insta",
        "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzb21lIjoicGF5bG9hZCJ9.4twFt5NiznN84AWoo1d7KO1T_yoc0Z6XOpOVswacPZg",
        // The example GUID Swagger UI fills in.
        "3fa85f64-5717-4562-b3fc-2c963f66afa6",
    };

    private static readonly HashSet<string>.AlternateLookup<ReadOnlySpan<char>> Lookup = Values.GetAlternateLookup<ReadOnlySpan<char>>();

    /// <summary>True for a documentation value: one of the list, anything marked EXAMPLE (as AWS marks its keys), or a jwt.io example token.</summary>
    public static bool IsPublished(ReadOnlySpan<char> secret) =>
        Lookup.Contains(secret) || secret.Contains("EXAMPLE", StringComparison.OrdinalIgnoreCase) || IsJwtIoExample(secret);

    /// <summary>jwt.io's debugger starts with the payload {"sub":"1234567890","name":"John Doe",…}; every variant of it is public.</summary>
    private static bool IsJwtIoExample(ReadOnlySpan<char> token)
    {
        if (!token.StartsWith("eyJ", StringComparison.Ordinal)) return false;
        var first = token.IndexOf('.');
        if (first < 0) return false;
        var rest = token[(first + 1)..];
        var second = rest.IndexOf('.');
        if (second < 0 || second > 512) return false;
        var payload = DecodeBase64Url(rest[..second]);
        return payload.Contains("\"sub\":\"1234567890\"", StringComparison.Ordinal) && payload.Contains("\"name\":\"John Doe\"", StringComparison.Ordinal);
    }

    public static string DecodeBase64Url(ReadOnlySpan<char> text)
    {
        Span<byte> bytes = stackalloc byte[Base64Url.GetMaxDecodedLength(Math.Min(text.Length, 1024))];
        return Base64Url.TryDecodeFromChars(text[..Math.Min(text.Length, 1024)], bytes, out var written) ? Encoding.UTF8.GetString(bytes[..written]) : "";
    }
}
