using Bakery.Core.Signing;
using Bakery.Oci.Model;
using Bakery.Oci.Registry;

namespace Bakery.Core.Trust;

/// <summary>The signatures and attestations of one manifest, each checked against the keys given (none: listed, not verified).</summary>
public sealed record ManifestSignatures(string Image, string Digest, string? Platform, IReadOnlyList<SignatureCheck> Signatures, IReadOnlyList<AttestationCheck> Attestations)
{
    public bool Signed => Signatures.Any(s => s.Verified);
    public bool HasProvenance => Attestations.Any(a => a.Verified && a.PredicateType == SlsaProvenance.PredicateType);
}

/// <summary>
/// Reads what is attached to an image, for `bakery verify --signatures` and `bakery attestations`:
/// the cosign tag schema and referrers of the image and, for an index, of each of its manifests.
/// </summary>
public static class ImageSignatures
{
    public static async Task<IReadOnlyList<ManifestSignatures>> ReadAsync(IRegistryClient client, ImageReference image, IReadOnlyList<SignaturePublicKey> keys, CancellationToken ct)
    {
        var fetched = await client.GetManifestAsync(image.Repository, image.Reference, ct);
        var targets = new List<(Digest Digest, string? Platform)> { (fetched.Digest, null) };
        var manifest = fetched.Parse();
        if (manifest.IsIndex(fetched.MediaType))
            targets.AddRange(manifest.ImageEntries.Select(m => (m.ParsedDigest, m.Platform?.ToString())));
        var repository = $"{image.Registry}/{image.Repository}";
        var attachments = new CosignAttachments(client);
        var found = new List<ManifestSignatures>();
        foreach (var (digest, platform) in targets)
        {
            var signatures = await attachments.ReadAsync(image.Repository, digest, AttachmentKind.Signature, referrers: true, ct);
            var attestations = await attachments.ReadAsync(image.Repository, digest, AttachmentKind.Attestation, referrers: true, ct);
            found.Add(new ManifestSignatures(repository, digest.ToString(), platform,
                signatures.Select(a => AttachmentVerifier.CheckSignature(a.Layer, a.Content, a.Source, digest, repository, keys)).ToList(),
                attestations.Select(a => AttachmentVerifier.CheckAttestation(a, digest, keys)).ToList()));
        }
        return found;
    }

    /// <summary>
    /// `bakery verify --signatures`: each manifest (the image, or an index and each platform's) must be
    /// signed by one of <paramref name="keys"/> and, with <paramref name="requireProvenance"/>, carry
    /// provenance signed by one of them; judged as a bake judges its base (BAKE220-225), null where it holds.
    /// </summary>
    public static IReadOnlyList<(ManifestSignatures Manifest, BakeryDiagnostic? Problem)> Judge(IReadOnlyList<ManifestSignatures> found,
        IReadOnlyList<SignaturePublicKey> keys, bool requireProvenance, string setBy)
    {
        var rule = new TrustRule { Subject = found.Count > 0 ? found[0].Image : "", Keys = keys.Select(k => TrustedKey.Of(k, null)).ToList(), Provenance = requireProvenance, SetBy = setBy };
        return found.Select(m =>
        {
            var reference = ImageReference.Parse($"{m.Image}@{m.Digest}");
            var display = m.Platform is null ? reference.ToString() : $"{reference} ({m.Platform})";
            return (m, TrustJudge.Judge(rule, new TrustSubject(reference, null, display, null), m.Signatures, m.Attestations));
        }).ToList();
    }

    /// <summary>The statement of an attestation as indented JSON.</summary>
    public static string Show(InTotoStatement statement, string type, IReadOnlyList<StatementSubject> subjects) =>
        System.Text.Encoding.UTF8.GetString(InTotoStatement.Create(subjects, type, json =>
        {
            if (statement.Predicate.ValueKind == System.Text.Json.JsonValueKind.Undefined) json.WriteNullValue();
            else statement.Predicate.WriteTo(json);
        }, indented: true, statementType: statement.Type));
}
