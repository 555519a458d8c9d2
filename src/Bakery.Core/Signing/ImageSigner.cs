using System.Security.Cryptography;
using Bakery.Oci.Model;
using Bakery.Oci.Registry;

namespace Bakery.Core.Signing;

/// <summary>An attestation to attach: an in-toto statement (JSON) and its predicate type.</summary>
public sealed record AttestationInput(string PredicateType, byte[] Statement);

/// <summary>An attestation as attached: its predicate type, the DSSE envelope, and whether this call wrote it.</summary>
public sealed record AttachedAttestation(string PredicateType, string EnvelopeDigest, bool Written)
{
    /// <summary>The envelope itself, kept for the provenance (a package records it for offline checks).</summary>
    [System.Text.Json.Serialization.JsonIgnore] public byte[]? Envelope { get; init; }
}

/// <summary>What signing one manifest did: its signature (payload and signature, base64) and attestations, and where they are.</summary>
public sealed record SignedManifest
{
    public required string Digest { get; init; }
    public required string SignatureTag { get; init; }
    public required string AttestationTag { get; init; }
    public required string Payload { get; init; }
    public required string Signature { get; init; }
    public bool SignatureWritten { get; init; }
    public IReadOnlyList<AttachedAttestation> Attestations { get; init; } = [];

    /// <summary>The provenance envelope (base64 JSON), for the package's offline record.</summary>
    public string? Provenance { get; init; }
    public bool Referrers { get; init; }
}

/// <summary>
/// Signs one manifest (an image or an index) and attaches its attestations where cosign, podman and
/// skopeo find them: the simple-signing payload with its signature as a layer of the
/// <c>sha256-&lt;hex&gt;.sig</c> tag, each statement as a DSSE envelope in the <c>.att</c> tag, and, on
/// registries that track referrers, both as referrer artifacts too. Signatures already there (the same
/// payload, signed by the same key) are kept, not added again.
/// </summary>
public sealed class ImageSigner(IPayloadSigner signer, IRegistryClient client, ReferrerMode referrers = ReferrerMode.Auto)
{
    /// <summary>Marks Bakery's attestation layers with the statement's digest, so a rebake can find its own without reading every envelope.</summary>
    public const string StatementAnnotation = "dev.bakery.statement";
    public const string PredicateTypeAnnotation = "predicateType";

    /// <summary>Names the key that made a signature layer: a hint for messages only (a signature that does not verify is rejected either way).</summary>
    public const string KeyAnnotation = "dev.bakery.key";

    private readonly CosignAttachments _attachments = new(client);

    /// <summary>Signs <paramref name="manifest"/> of <paramref name="repository"/>, its identity <paramref name="dockerReference"/> (registry/repository), and attaches <paramref name="attestations"/>.</summary>
    public async Task<SignedManifest> SignAsync(string repository, OciDescriptor manifest, string dockerReference, IReadOnlyList<AttestationInput> attestations, CancellationToken ct = default)
    {
        var digest = manifest.ParsedDigest;
        var payload = SimpleSigning.Payload(dockerReference, digest);
        var signature = await SignCheckedAsync(payload, ct);
        var envelopes = new List<(AttestationInput Input, DsseEnvelope Envelope, byte[] Json)>();
        foreach (var attestation in attestations)
        {
            var envelope = await DsseEnvelope.SignAsync(DsseEnvelope.InTotoPayloadType, attestation.Statement, signer, ct);
            if (envelope.SignedBy([signer.PublicKey]).Count == 0) throw NotVerifying("its DSSE signature of an attestation");
            envelopes.Add((attestation, envelope, envelope.ToJson()));
        }

        var signatureLayer = SignatureLayer(payload, signature, signer.PublicKey.KeyId);
        var attestationLayers = envelopes.Select(e => AttestationLayer(e.Input, e.Json)).ToList();
        var useReferrers = referrers switch
        {
            ReferrerMode.Always => true,
            ReferrerMode.Never => false,
            _ => await _attachments.TracksReferrersAsync(repository, digest, ct),
        };
        var signatureTask = _attachments.AppendAsync(repository, digest, AttachmentKind.Signature, existing => Task.FromResult(
            existing.Any(l => IsOurSignature(l, payload)) ? AttachmentChange.Adding() : AttachmentChange.Adding(signatureLayer)), ct);
        var attestationTask = attestationLayers.Count == 0 ? Task.FromResult<IReadOnlyList<OciDescriptor>>([])
            : _attachments.AppendAsync(repository, digest, AttachmentKind.Attestation, existing => NewAttestationsAsync(repository, existing, envelopes, attestationLayers, ct), ct);
        await Task.WhenAll(signatureTask, attestationTask);
        var writtenAttestations = attestationTask.Result.Select(d => d.Digest).ToHashSet(StringComparer.Ordinal);

        if (useReferrers)
        {
            await _attachments.PushReferrerAsync(repository, manifest, AttachmentKind.Signature, signatureLayer, ct);
            foreach (var layer in attestationLayers) await _attachments.PushReferrerAsync(repository, manifest, AttachmentKind.Attestation, layer, ct);
        }
        var provenance = envelopes.FirstOrDefault(e => e.Input.PredicateType == SlsaProvenance.PredicateType);
        return new SignedManifest
        {
            Digest = digest.ToString(),
            SignatureTag = CosignAttachments.Tag(digest, AttachmentKind.Signature),
            AttestationTag = CosignAttachments.Tag(digest, AttachmentKind.Attestation),
            Payload = Convert.ToBase64String(payload),
            Signature = Convert.ToBase64String(signature),
            SignatureWritten = signatureTask.Result.Count > 0,
            Attestations = envelopes.Select((e, i) => new AttachedAttestation(e.Input.PredicateType, attestationLayers[i].Descriptor.Digest,
                writtenAttestations.Contains(attestationLayers[i].Descriptor.Digest)) { Envelope = e.Json }).ToList(),
            Provenance = provenance.Json is null ? null : Convert.ToBase64String(provenance.Json),
            Referrers = useReferrers,
        };
    }

    private async Task<byte[]> SignCheckedAsync(byte[] payload, CancellationToken ct)
    {
        var signature = await signer.SignAsync(payload, ct);
        if (!signer.PublicKey.Verify(payload, signature)) throw NotVerifying("its signature of the image");
        return signature;
    }

    private BakeryException NotVerifying(string what) =>
        Messages.BAKE433(signer.Description, signer.PublicKey.Describe(), $"{what} does not verify").Exception();

    /// <summary>A layer already there with this payload and a signature by this signer's key: signing again would add nothing.</summary>
    private bool IsOurSignature(OciDescriptor layer, byte[] payload) =>
        layer.MediaType == SimpleSigning.MediaType
        && layer.Digest == Digest.Compute(payload).ToString()
        && layer.Annotations?.GetValueOrDefault(SimpleSigning.SignatureAnnotation) is { } encoded
        && TryBase64(encoded) is { } existing
        && signer.PublicKey.Verify(payload, existing);

    /// <summary>
    /// The attestations to add: those whose statement is not attached yet, signed by this key. Each new one
    /// supersedes this key's earlier attestation of the same predicate type (as <c>cosign attest --replace</c>),
    /// so rebaking one digest with a new build id keeps one provenance, not one per run.
    /// </summary>
    private async Task<AttachmentChange> NewAttestationsAsync(string repository, IReadOnlyList<OciDescriptor> existing,
        List<(AttestationInput Input, DsseEnvelope Envelope, byte[] Json)> envelopes, List<ArtifactBlob> layers, CancellationToken ct)
    {
        var added = new List<ArtifactBlob>();
        var superseded = new List<OciDescriptor>();
        var ours = new Dictionary<string, DsseEnvelope?>(StringComparer.Ordinal);
        async Task<DsseEnvelope?> OursAsync(OciDescriptor layer)
        {
            if (ours.TryGetValue(layer.Digest, out var known)) return known;
            DsseEnvelope? envelope = null;
            try
            {
                var parsed = DsseEnvelope.Parse(await _attachments.ReadLayerAsync(repository, layer, ct));
                if (parsed.SignedBy([signer.PublicKey]).Count > 0) envelope = parsed;
            }
            catch (FormatException) { }
            return ours[layer.Digest] = envelope;
        }

        for (var i = 0; i < envelopes.Count; i++)
        {
            var statement = Digest.Compute(envelopes[i].Input.Statement).ToString();
            var candidates = existing.Where(l => l.Annotations?.GetValueOrDefault(StatementAnnotation) == statement).ToList();
            if (candidates.Any(c => c.Digest == layers[i].Descriptor.Digest)) continue;
            var found = false;
            // A signer whose signatures differ each time (a KMS): read the envelope to see that it is ours.
            foreach (var candidate in candidates)
                if (await OursAsync(candidate) is { } envelope && envelope.Payload.AsSpan().SequenceEqual(envelopes[i].Input.Statement)) { found = true; break; }
            if (found) continue;
            added.Add(layers[i]);
            foreach (var earlier in existing.Where(l => l.Annotations?.GetValueOrDefault(PredicateTypeAnnotation) == envelopes[i].Input.PredicateType
                         && l.Annotations?.ContainsKey(StatementAnnotation) == true))
                if (await OursAsync(earlier) is not null) superseded.Add(earlier);
        }
        return new AttachmentChange(added, superseded);
    }

    private static ArtifactBlob SignatureLayer(byte[] payload, byte[] signature, string keyId)
    {
        var blob = ArtifactBlob.FromBytes(payload, SimpleSigning.MediaType);
        return blob with
        {
            Descriptor = blob.Descriptor with
            {
                Annotations = new SortedDictionary<string, string>(StringComparer.Ordinal)
                {
                    [SimpleSigning.SignatureAnnotation] = Convert.ToBase64String(signature),
                    [KeyAnnotation] = keyId,
                },
            },
        };
    }

    private static ArtifactBlob AttestationLayer(AttestationInput input, byte[] envelope)
    {
        var blob = ArtifactBlob.FromBytes(envelope, DsseEnvelope.MediaType);
        return blob with
        {
            Descriptor = blob.Descriptor with
            {
                Annotations = new SortedDictionary<string, string>(StringComparer.Ordinal)
                {
                    [SimpleSigning.SignatureAnnotation] = "",
                    [PredicateTypeAnnotation] = input.PredicateType,
                    [StatementAnnotation] = Digest.Compute(input.Statement).ToString(),
                },
            },
        };
    }

    private static byte[]? TryBase64(string text)
    {
        try { return DsseEnvelope.DecodeSignature(text); }
        catch (FormatException) { return null; }
    }

    internal static string Sha256(byte[] content) => Convert.ToHexStringLower(SHA256.HashData(content));
}
