using System.Text.Json.Serialization;
using Bakery.Core.Signing;

namespace Bakery.Core.Trust;

/// <summary>A public key a rule trusts, as PEM, with its key id (sha256 of the DER) for messages.</summary>
public sealed record TrustedKey
{
    [JsonPropertyName("keyId")] public string KeyId { get; set; } = "";
    [JsonPropertyName("publicKey")] public string PublicKey { get; set; } = "";

    /// <summary>Where it came from (a file name), for people reading the descriptor.</summary>
    [JsonPropertyName("name")] public string? Name { get; set; }

    public static TrustedKey Of(SignaturePublicKey key, string? name) => new() { KeyId = key.KeyId, PublicKey = key.Pem, Name = name };

    public SignaturePublicKey Parse() => SignaturePublicKey.Parse(PublicKey);
}

/// <summary>
/// One demand on an image of the chain: <see cref="Subject"/> (a base-image package id, or the
/// registry/repository of an image such as an upstream) must be signed by one of <see cref="Keys"/>,
/// and, with <see cref="Provenance"/>, carry SLSA provenance signed by one of them. An image must meet
/// every rule that names it.
/// </summary>
public sealed record TrustRule
{
    [JsonPropertyName("subject")] public string Subject { get; set; } = "";
    [JsonPropertyName("keys")] public IReadOnlyList<TrustedKey> Keys { get; set; } = [];
    [JsonPropertyName("provenance")] public bool Provenance { get; set; }

    /// <summary>The package (or project) that made this demand, for messages.</summary>
    [JsonPropertyName("setBy")] public string SetBy { get; set; } = "";

    public bool Names(string? packageId, string repository) =>
        (packageId is not null && string.Equals(Subject, packageId, StringComparison.OrdinalIgnoreCase))
        || string.Equals(Subject, repository, StringComparison.Ordinal);

    public string DescribeKeys() => Keys.Count == 1 ? $"key {Short(Keys[0].KeyId)}" : $"one of the keys {string.Join(", ", Keys.Select(k => Short(k.KeyId)))}";

    private static string Short(string keyId) => keyId.StartsWith("sha256:", StringComparison.Ordinal) && keyId.Length >= 19 ? keyId[7..19] : keyId;

    /// <summary>Same subject, same keys, same demand: one rule (SetBy aside).</summary>
    public bool SameDemand(TrustRule other) =>
        string.Equals(Subject, other.Subject, StringComparison.OrdinalIgnoreCase) && Provenance == other.Provenance
        && Keys.Select(k => k.KeyId).Order(StringComparer.Ordinal).SequenceEqual(other.Keys.Select(k => k.KeyId).Order(StringComparer.Ordinal));
}

/// <summary>
/// A signature of an image of the chain, recorded when the package was packed, so a bake can check
/// the chain without a registry (BakeryOffline) and notice a package whose digest was changed.
/// </summary>
public sealed record TrustEvidence
{
    [JsonPropertyName("image")] public string Image { get; set; } = "";
    [JsonPropertyName("digest")] public string Digest { get; set; } = "";

    /// <summary>The simple-signing payload and its signature, base64.</summary>
    [JsonPropertyName("payload")] public string Payload { get; set; } = "";
    [JsonPropertyName("signature")] public string Signature { get; set; } = "";

    /// <summary>The provenance DSSE envelope (its JSON, base64), when the image has one.</summary>
    [JsonPropertyName("provenance")] public string? Provenance { get; set; }
}

/// <summary>
/// The trust section of a base-image package: the rules every bake on it checks (for the image and
/// each ancestor), whether base images baked on it must be signed, and the signatures recorded at pack
/// time. Merged down the lineage like <c>security</c>: a descendant adds rules, never loses one.
/// </summary>
public sealed record TrustPolicy
{
    /// <summary>Base images baked on this line must be signed (BakeryRequireSignature); apps may be.</summary>
    [JsonPropertyName("requireSigning")] public bool RequireSigning { get; set; }

    [JsonPropertyName("rules")] public IReadOnlyList<TrustRule> Rules { get; set; } = [];
    [JsonPropertyName("evidence")] public IReadOnlyList<TrustEvidence> Evidence { get; set; } = [];

    [JsonIgnore] public bool IsEmpty => !RequireSigning && Rules.Count == 0 && Evidence.Count == 0;

    /// <summary>Inherited rules kept as they are, then this package's own that say something new; evidence of this image first.</summary>
    public static TrustPolicy? Merge(TrustPolicy? own, TrustPolicy? inherited)
    {
        var rules = new List<TrustRule>(inherited?.Rules ?? []);
        foreach (var rule in own?.Rules ?? [])
            if (!rules.Any(r => r.SameDemand(rule))) rules.Add(rule);
        var evidence = new List<TrustEvidence>(own?.Evidence ?? []);
        foreach (var e in inherited?.Evidence ?? [])
            if (!evidence.Any(x => x.Digest == e.Digest && x.Signature == e.Signature)) evidence.Add(e);
        var merged = new TrustPolicy
        {
            RequireSigning = (own?.RequireSigning ?? false) || (inherited?.RequireSigning ?? false),
            Rules = rules,
            Evidence = evidence,
        };
        return merged.IsEmpty ? null : merged;
    }

    /// <summary>The first problem in the section, naming its field, or null.</summary>
    public string? Validate()
    {
        for (var i = 0; i < Rules.Count; i++)
        {
            var rule = Rules[i];
            if (string.IsNullOrWhiteSpace(rule.Subject)) return $"field 'trust.rules[{i}].subject' is missing";
            if (rule.Keys.Count == 0) return $"field 'trust.rules[{i}].keys' is empty: a rule names the keys it trusts";
            for (var k = 0; k < rule.Keys.Count; k++)
            {
                SignaturePublicKey key;
                try { key = rule.Keys[k].Parse(); }
                catch (FormatException e) { return $"field 'trust.rules[{i}].keys[{k}].publicKey' cannot be read: {e.Message}"; }
                if (!string.IsNullOrEmpty(rule.Keys[k].KeyId) && rule.Keys[k].KeyId != key.KeyId)
                    return $"field 'trust.rules[{i}].keys[{k}].keyId' is {rule.Keys[k].KeyId}, but the key's id is {key.KeyId}";
            }
        }
        for (var i = 0; i < Evidence.Count; i++)
            if (!Oci.Model.Digest.TryParse(Evidence[i].Digest, out _)) return $"field 'trust.evidence[{i}].digest' is not a digest";
        return null;
    }
}
