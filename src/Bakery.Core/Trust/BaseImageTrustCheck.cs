using Bakery.Core.Descriptors;
using Bakery.Core.Signing;
using Bakery.Oci.Model;
using Bakery.Oci.Registry;

namespace Bakery.Core.Trust;

/// <summary>What the trust check found: every diagnostic, and each image it checked with the keys that signed it.</summary>
public sealed record TrustResult(IReadOnlyList<BakeryDiagnostic> Diagnostics, IReadOnlyList<string> Verified)
{
    public static readonly TrustResult Nothing = new([], []);
    public bool HasErrors => Diagnostics.Any(d => d.IsError);
}

/// <summary>
/// How a bake checks who made its base image and each ancestor, next to the lifecycle check: the
/// rules of the base-image package (inherited down the lineage) and the project's own
/// BakeryTrustedSigningKey items. The signatures the package recorded are checked offline first (a
/// package changed after packing is BAKE226); then, unless BakeryOffline, the registry's signatures and
/// provenance of every image a rule names.
/// </summary>
public sealed record BaseImageTrustCheck
{
    /// <summary>BakeryOffline: the package's recorded signatures only, with warning BAKE229.</summary>
    public bool Offline { get; init; }

    /// <summary>The project's BakeryTrustedSigningKey items as rules.</summary>
    public IReadOnlyList<TrustRule> ProjectRules { get; init; } = [];

    public async Task<TrustResult> CheckAsync(BaseImageSelection selection, RegistryClientOptions options, CancellationToken ct)
    {
        var packageRules = selection.Descriptor?.Trust?.Rules ?? [];
        var rules = packageRules.Concat(ProjectRules).ToList();
        if (rules.Count == 0) return TrustResult.Nothing;
        var subjects = SubjectsOf(selection).Select(s => (Subject: s, Rules: rules.Where(r => r.Names(s.PackageId, s.Repository)).ToList()))
            .Where(s => s.Rules.Count > 0).ToList();
        if (subjects.Count == 0) return TrustResult.Nothing;

        var evidence = selection.Descriptor?.Trust?.Evidence ?? [];
        var diagnostics = new List<BakeryDiagnostic>();
        foreach (var (subject, subjectRules) in subjects)
            diagnostics.AddRange(CheckRecorded(selection.Descriptor, subject, subjectRules.Where(packageRules.Contains).ToList(), evidence));
        if (diagnostics.Count > 0) return new TrustResult(diagnostics, []);

        var verified = new List<string>();
        if (Offline)
        {
            foreach (var (subject, subjectRules) in subjects)
            {
                var recorded = evidence.Where(e => e.Digest == subject.Digest.ToString()).ToList();
                var errors = subjectRules.Select(rule => TrustJudge.Judge(rule, subject, RecordedSignatures(recorded, subject, rule), RecordedProvenance(recorded, subject, rule))).OfType<BakeryDiagnostic>().ToList();
                diagnostics.AddRange(errors);
                if (errors.Count == 0) verified.Add(subject.Display);
                diagnostics.Add(Messages.BAKE229(subject.Display).Warning());
            }
            return new TrustResult(diagnostics, verified);
        }

        var found = await Task.WhenAll(subjects.Select(s => ReadAsync(s.Subject, options, ct)));
        for (var i = 0; i < subjects.Count; i++)
        {
            var (subject, subjectRules) = subjects[i];
            var (signatures, attestations) = found[i];
            var errors = subjectRules.Select(rule =>
            {
                var keys = Keys(rule);
                return TrustJudge.Judge(rule, subject,
                    signatures.Select(a => AttachmentVerifier.CheckSignature(a.Layer, a.Content, a.Source, subject.Digest, subject.Repository, keys)).ToList(),
                    attestations.Select(a => AttachmentVerifier.CheckAttestation(a, subject.Digest, keys)).ToList());
            }).OfType<BakeryDiagnostic>().ToList();
            diagnostics.AddRange(errors);
            if (errors.Count == 0) verified.Add(subject.Display);
        }
        return new TrustResult(diagnostics, verified);
    }

    /// <summary>The base (nearest) and every ancestor its package records, each with the image it was baked on.</summary>
    public static IReadOnlyList<TrustSubject> SubjectsOf(BaseImageSelection selection)
    {
        var d = selection.Descriptor;
        var chain = new List<(ImageReference Image, string? PackageId, string Display)>();
        if (selection.Reference.Digest is not null)
            chain.Add((selection.Reference, d?.Id, d is null ? selection.Reference.ToString() : $"{d.Id} {d.Version} ({selection.Reference})"));
        foreach (var ancestor in d?.Lineage ?? [])
        {
            if (!ImageReference.TryParse($"{ancestor.Repository}@{ancestor.Digest}", out var reference, out _)) continue;
            var name = ancestor.PackageId is null ? reference!.ToString() : $"{ancestor.PackageId} {ancestor.PackageVersion} ({reference})";
            chain.Add((reference!, ancestor.PackageId, $"{name}, an ancestor of {d!.Id} {d.Version},"));
        }
        return chain.Select((c, i) => new TrustSubject(c.Image, c.PackageId, c.Display, i + 1 < chain.Count ? chain[i + 1].Image.Digest : null)).ToList();
    }

    /// <summary>The package's recorded signatures of an image must hold with the package's own keys for it: otherwise the package was changed (BAKE226).</summary>
    private static IEnumerable<BakeryDiagnostic> CheckRecorded(BaseImageDescriptor? descriptor, TrustSubject subject, IReadOnlyList<TrustRule> rules, IReadOnlyList<TrustEvidence> evidence)
    {
        if (descriptor is null || rules.Count == 0) yield break;
        var keys = rules.SelectMany(Keys).Distinct().ToList();
        foreach (var record in evidence.Where(e => e.Digest == subject.Digest.ToString()))
        {
            var check = CheckRecord(record, subject, keys);
            if (!check.Verified) yield return Messages.BAKE226($"{descriptor.Id} {descriptor.Version}", subject.Display, check.Problem).Error();
        }
    }

    private static SignatureCheck CheckRecord(TrustEvidence record, TrustSubject subject, IReadOnlyList<SignaturePublicKey> keys)
    {
        try
        {
            return AttachmentVerifier.Check(Convert.FromBase64String(record.Payload), Convert.FromBase64String(record.Signature), "the package", null, subject.Digest, subject.Repository, keys);
        }
        catch (FormatException) { return new SignatureCheck("the package", false, null, null, "its recorded payload or signature is not base64", null) { Tampered = true }; }
    }

    private static List<SignatureCheck> RecordedSignatures(IReadOnlyList<TrustEvidence> records, TrustSubject subject, TrustRule rule) =>
        records.Select(r => CheckRecord(r, subject, Keys(rule))).ToList();

    private static List<AttestationCheck> RecordedProvenance(IReadOnlyList<TrustEvidence> records, TrustSubject subject, TrustRule rule)
    {
        var checks = new List<AttestationCheck>();
        foreach (var record in records.Where(r => r.Provenance is not null))
        {
            byte[] envelope;
            try { envelope = Convert.FromBase64String(record.Provenance!); }
            catch (FormatException) { continue; }
            checks.Add(AttachmentVerifier.CheckEnvelope(envelope, "the package", SlsaProvenance.PredicateType, subject.Digest, Keys(rule)));
        }
        return checks;
    }

    private static List<SignaturePublicKey> Keys(TrustRule rule) => rule.Keys.Select(k => k.Parse()).ToList();

    /// <summary>The tag schema's signatures and attestations; referrers too when the tag schema has none (other signers may write only those).</summary>
    private static async Task<(IReadOnlyList<Attachment> Signatures, IReadOnlyList<Attachment> Attestations)> ReadAsync(TrustSubject subject, RegistryClientOptions options, CancellationToken ct)
    {
        try
        {
            using var client = new RegistryClient(subject.Image.Registry, options with { Role = RegistryRole.Pull });
            var attachments = new CosignAttachments(client);
            var signatures = attachments.ReadAsync(subject.Image.Repository, subject.Digest, AttachmentKind.Signature, referrers: false, ct);
            var attestations = attachments.ReadAsync(subject.Image.Repository, subject.Digest, AttachmentKind.Attestation, referrers: false, ct);
            await Task.WhenAll(signatures, attestations);
            if (signatures.Result.Count > 0) return (signatures.Result, attestations.Result);
            return (await attachments.ReadAsync(subject.Image.Repository, subject.Digest, AttachmentKind.Signature, referrers: true, ct),
                [.. attestations.Result, .. await ReferrerAttestationsAsync(attachments, subject, ct)]);
        }
        catch (RegistryException e)
        {
            throw Baking.RegistryErrors.Specific(e, subject.Image.ToString()) ?? Messages.BAKE228(subject.Display, e.Registry, e.Message).Exception(e);
        }
    }

    private static async Task<IReadOnlyList<Attachment>> ReferrerAttestationsAsync(CosignAttachments attachments, TrustSubject subject, CancellationToken ct)
    {
        var all = await attachments.ReadAsync(subject.Image.Repository, subject.Digest, AttachmentKind.Attestation, referrers: true, ct);
        return all.Where(a => a.Source.StartsWith("referrer", StringComparison.Ordinal)).ToList();
    }
}
