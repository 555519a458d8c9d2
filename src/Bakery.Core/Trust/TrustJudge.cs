using Bakery.Core.Signing;
using Bakery.Oci.Model;

namespace Bakery.Core.Trust;

/// <summary>An image of a bake's chain that trust rules may name: the base (index 0) or an ancestor, with the image it says it was baked on.</summary>
public sealed record TrustSubject(ImageReference Image, string? PackageId, string Display, Digest? ExpectedBase)
{
    public Digest Digest => Image.Digest!.Value;
    public string Repository => $"{Image.Registry}/{Image.Repository}";
}

/// <summary>
/// Decides whether one image meets one rule, from the signatures and attestations found for it (in
/// the registry or recorded in a package): BAKE220 unsigned, BAKE221 a signature that was tampered
/// with, BAKE222 signed by keys the rule does not trust, BAKE223 provenance about another image,
/// BAKE224 no provenance, BAKE225 provenance of another chain.
/// </summary>
public static class TrustJudge
{
    public static BakeryDiagnostic? Judge(TrustRule rule, TrustSubject subject, IReadOnlyList<SignatureCheck> signatures, IReadOnlyList<AttestationCheck> attestations)
    {
        var keys = rule.DescribeKeys();
        var setBy = string.IsNullOrEmpty(rule.SetBy) ? "the project" : rule.SetBy;
        if (!signatures.Any(s => s.Verified))
        {
            if (signatures.Count == 0) return Messages.BAKE220(subject.Display, setBy, keys).Error();
            if (signatures.FirstOrDefault(s => s.Tampered) is { } bad) return Messages.BAKE221(subject.Display, bad.Source, bad.Problem).Error();
            var found = signatures.Select(s => s.KeyHint is { Length: > 19 } h && h.StartsWith("sha256:", StringComparison.Ordinal) ? $"key {h[7..19]}" : "a key it does not name")
                .Distinct().ToList();
            return Messages.BAKE222(subject.Display, string.Join(", ", found), setBy, keys).Error();
        }
        if (!rule.Provenance) return null;
        var provenance = attestations.Where(a => a.PredicateType == SlsaProvenance.PredicateType).ToList();
        var verified = provenance.Where(a => a.Verified).ToList();
        if (verified.Count == 0)
        {
            if (provenance.FirstOrDefault(a => a.KeyId is not null && a.Statement is { } s && !s.IsAbout(subject.Digest)) is { } copied)
                return Messages.BAKE223(subject.Display, Short(copied.KeyId!), string.Join(", ", copied.Statement!.Subjects.Select(s => $"{s.Name}@{s.Digest}"))).Error();
            return Messages.BAKE224(subject.Display, keys, setBy).Error();
        }
        if (subject.ExpectedBase is { } expected)
        {
            var recorded = verified.Select(a => SlsaProvenance.RecordedBase(a.Statement!.Predicate)).ToList();
            if (!recorded.Contains(expected))
                return Messages.BAKE225(subject.Display, recorded.FirstOrDefault()?.ToString() ?? "no base image", expected).Error();
        }
        return null;
    }

    private static string Short(string keyId) => keyId.StartsWith("sha256:", StringComparison.Ordinal) && keyId.Length >= 19 ? $"key {keyId[7..19]}" : keyId;
}
