using System.Security.Cryptography;

namespace Bakery.Core.Signing;

/// <summary>The PEM blocks of a text, label and DER, in order (headers such as OpenSSL's Proc-Type are reported, not skipped).</summary>
internal static class PemBlocks
{
    public static IEnumerable<(string Label, byte[] Der)> Read(string text)
    {
        var rest = text.AsMemory();
        while (true)
        {
            if (!PemEncoding.TryFind(rest.Span, out var fields))
            {
                if (rest.Span.Contains("Proc-Type:", StringComparison.Ordinal))
                    throw new FormatException("it is a PEM key encrypted the legacy OpenSSL way (Proc-Type: 4,ENCRYPTED); convert it to encrypted PKCS#8 with 'openssl pkcs8 -topk8 -v2 aes-256-cbc'");
                yield break;
            }
            var label = rest.Span[fields.Label].ToString();
            var der = Convert.FromBase64String(rest.Span[fields.Base64Data].ToString());
            yield return (label, der);
            rest = rest[fields.Location.End..];
        }
    }
}
