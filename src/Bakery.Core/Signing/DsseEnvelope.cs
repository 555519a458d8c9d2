using System.Text;
using System.Text.Json;

namespace Bakery.Core.Signing;

public sealed record DsseSignature(string KeyId, byte[] Signature);

/// <summary>
/// A DSSE envelope (Dead Simple Signing Envelope, v1): the payload, its type, and signatures over the
/// pre-authentication encoding <c>"DSSEv1" SP len(type) SP type SP len(payload) SP payload</c>, as
/// cosign attestations and in-toto use it.
/// </summary>
public sealed record DsseEnvelope(string PayloadType, byte[] Payload, IReadOnlyList<DsseSignature> Signatures)
{
    public const string MediaType = "application/vnd.dsse.envelope.v1+json";
    public const string InTotoPayloadType = "application/vnd.in-toto+json";

    /// <summary>The bytes a DSSE signature is made over.</summary>
    public static byte[] PreAuthenticationEncoding(string payloadType, ReadOnlySpan<byte> payload)
    {
        var type = Encoding.UTF8.GetBytes(payloadType);
        var header = Encoding.ASCII.GetBytes($"DSSEv1 {type.Length} ");
        var middle = Encoding.ASCII.GetBytes($" {payload.Length} ");
        return [.. header, .. type, .. middle, .. payload];
    }

    public static async Task<DsseEnvelope> SignAsync(string payloadType, byte[] payload, IPayloadSigner signer, CancellationToken ct)
    {
        var signature = await signer.SignAsync(PreAuthenticationEncoding(payloadType, payload), ct);
        return new DsseEnvelope(payloadType, payload, [new DsseSignature(signer.PublicKey.KeyId, signature)]);
    }

    /// <summary>The keys among <paramref name="keys"/> that signed this envelope.</summary>
    public IReadOnlyList<SignaturePublicKey> SignedBy(IEnumerable<SignaturePublicKey> keys)
    {
        var pae = PreAuthenticationEncoding(PayloadType, Payload);
        return keys.Where(k => Signatures.Any(s => k.Verify(pae, s.Signature))).ToList();
    }

    /// <summary>The envelope as cosign writes it: payloadType, payload (base64), signatures [{keyid, sig}].</summary>
    public byte[] ToJson()
    {
        using var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            json.WriteString("payloadType", PayloadType);
            json.WriteString("payload", Convert.ToBase64String(Payload));
            json.WriteStartArray("signatures");
            foreach (var signature in Signatures)
            {
                json.WriteStartObject();
                json.WriteString("keyid", signature.KeyId);
                json.WriteString("sig", Convert.ToBase64String(signature.Signature));
                json.WriteEndObject();
            }
            json.WriteEndArray();
            json.WriteEndObject();
        }
        return buffer.ToArray();
    }

    /// <summary>An envelope from its JSON; a <see cref="FormatException"/> says what is wrong.</summary>
    public static DsseEnvelope Parse(ReadOnlySpan<byte> json)
    {
        try
        {
            using var document = JsonDocument.Parse(json.ToArray(), new JsonDocumentOptions { MaxDepth = 16 });
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object) throw new FormatException("the envelope is not a JSON object");
            var type = Unique(root, "payloadType").GetString() ?? throw new FormatException("the envelope has no payloadType");
            var payload = Convert.FromBase64String(Unique(root, "payload").GetString() ?? "");
            var signatures = new List<DsseSignature>();
            var list = Unique(root, "signatures");
            if (list.ValueKind != JsonValueKind.Array) throw new FormatException("the envelope's signatures are not a list");
            foreach (var item in list.EnumerateArray().Take(64))
            {
                var keyId = item.TryGetProperty("keyid", out var k) && k.ValueKind == JsonValueKind.String ? k.GetString()! : "";
                var sig = item.TryGetProperty("sig", out var s) && s.ValueKind == JsonValueKind.String ? s.GetString()! : throw new FormatException("a signature has no 'sig'");
                signatures.Add(new DsseSignature(keyId, DecodeSignature(sig)));
            }
            return new DsseEnvelope(type, payload, signatures);
        }
        catch (JsonException e) { throw new FormatException($"the envelope is not JSON ({e.Message})"); }
        catch (InvalidOperationException e) { throw new FormatException($"the envelope has a field of the wrong kind ({e.Message})"); }
    }

    /// <summary>Base64 as DSSE writes it (standard), or the URL-safe alphabet some signers use.</summary>
    internal static byte[] DecodeSignature(string text)
    {
        var s = text.Trim().Replace('-', '+').Replace('_', '/');
        s = s.PadRight(s.Length + (4 - s.Length % 4) % 4, '=');
        try { return Convert.FromBase64String(s); }
        catch (FormatException) { throw new FormatException("a signature is not base64"); }
    }

    private static JsonElement Unique(JsonElement root, string name)
    {
        JsonElement? found = null;
        foreach (var property in root.EnumerateObject())
        {
            if (property.Name != name) continue;
            if (found is not null) throw new FormatException($"the envelope has '{name}' twice");
            found = property.Value;
        }
        return found ?? throw new FormatException($"the envelope has no '{name}'");
    }
}
