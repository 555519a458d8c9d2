using Bakery.Core.Signing;
using Bakery.Oci.Model;
using Bakery.Oci.Registry;

namespace Bakery.Core.Trust;

/// <summary>One signature found for an image, and what checking it against the trusted keys showed.</summary>
public sealed record SignatureCheck(string Source, bool Verified, string? KeyId, string? KeyHint, string? Problem, string? DockerReference)
{
    /// <summary>Not merely by another key: it names a trusted key that does not verify it, or verifies but claims another image, or is malformed.</summary>
    public bool Tampered { get; init; }
}

/// <summary>One attestation found for an image, and what checking it showed.</summary>
public sealed record AttestationCheck(string Source, string PredicateType, bool Verified, string? KeyId, string? Problem, InTotoStatement? Statement)
{
    public string? KeyHint { get; init; }
}

/// <summary>
/// Checks the signatures and attestations stored for one image against trusted keys, as
/// containers/image and cosign do: a signature holds when its payload is a simple-signing payload
/// about this digest, names this repository, and verifies with a trusted key; an attestation when its
/// DSSE envelope verifies with a trusted key and its statement is about this digest.
/// </summary>
public static class AttachmentVerifier
{
    public static SignatureCheck CheckSignature(OciDescriptor layer, byte[] payload, string source, Digest digest, string repository, IReadOnlyList<SignaturePublicKey> keys)
    {
        var hint = layer.Annotations?.GetValueOrDefault(ImageSigner.KeyAnnotation);
        if (layer.MediaType != SimpleSigning.MediaType) return new(source, false, null, hint, $"its media type is {layer.MediaType}, not {SimpleSigning.MediaType}", null) { Tampered = true };
        if (layer.Annotations?.GetValueOrDefault(SimpleSigning.SignatureAnnotation) is not { Length: > 0 } encoded)
            return new(source, false, null, hint, $"it has no {SimpleSigning.SignatureAnnotation} annotation", null) { Tampered = true };
        byte[] signature;
        try { signature = DsseEnvelope.DecodeSignature(encoded); }
        catch (FormatException) { return new(source, false, null, hint, "its signature is not base64", null) { Tampered = true }; }
        return Check(payload, signature, source, hint, digest, repository, keys);
    }

    /// <summary>A payload and signature (from a layer, or recorded in a package).</summary>
    public static SignatureCheck Check(byte[] payload, byte[] signature, string source, string? hint, Digest digest, string repository, IReadOnlyList<SignaturePublicKey> keys)
    {
        var signer = keys.FirstOrDefault(k => k.Verify(payload, signature));
        var (claims, problem) = SimpleSigning.Parse(payload);
        if (signer is null)
        {
            var hinted = keys.FirstOrDefault(k => k.KeyId == hint);
            var otherImage = claims is not null && claims.ManifestDigest != digest;
            return new(source, false, null, hint, hinted is not null ? $"it does not verify with {hinted.Describe()}, which it names"
                : otherImage ? $"its payload is about {claims!.ManifestDigest}" : "no trusted key verifies it", claims?.DockerReference) { Tampered = hinted is not null || otherImage };
        }
        if (claims is null) return new(source, false, signer.KeyId, hint, $"its payload is not a simple-signing payload: {problem}", null) { Tampered = true };
        if (claims.ManifestDigest != digest) return new(source, false, signer.KeyId, hint, $"its payload is about {claims.ManifestDigest}, not {digest}", claims.DockerReference) { Tampered = true };
        if (!SimpleSigning.NamesRepository(claims.DockerReference, repository))
            return new(source, false, signer.KeyId, hint, $"it was signed for {claims.DockerReference}, not {repository}", claims.DockerReference) { Tampered = true };
        return new(source, true, signer.KeyId, hint, null, claims.DockerReference);
    }

    public static AttestationCheck CheckAttestation(Attachment attachment, Digest digest, IReadOnlyList<SignaturePublicKey> keys)
    {
        var declared = attachment.Layer.Annotations?.GetValueOrDefault(ImageSigner.PredicateTypeAnnotation) ?? "";
        return CheckEnvelope(attachment.Content, attachment.Source, declared, digest, keys);
    }

    public static AttestationCheck CheckEnvelope(byte[] content, string source, string declaredType, Digest digest, IReadOnlyList<SignaturePublicKey> keys)
    {
        DsseEnvelope envelope;
        try { envelope = DsseEnvelope.Parse(content); }
        catch (FormatException e) { return new(source, declaredType, false, null, e.Message, null); }
        var hint = envelope.Signatures.Select(s => s.KeyId).FirstOrDefault(k => k.Length > 0);
        InTotoStatement? statement = null;
        string? problem = null;
        if (envelope.PayloadType != DsseEnvelope.InTotoPayloadType) problem = $"its payload type is {envelope.PayloadType}, not an in-toto statement";
        else
        {
            try { statement = InTotoStatement.Parse(envelope.Payload); }
            catch (FormatException e) { problem = e.Message; }
        }
        var type = statement?.PredicateType ?? declaredType;
        var signer = envelope.SignedBy(keys).FirstOrDefault();
        if (signer is null)
        {
            var hinted = keys.FirstOrDefault(k => k.KeyId == hint);
            return new(source, type, false, null, hinted is not null ? $"its envelope does not verify with {hinted.Describe()}, which it names" : "no trusted key verifies its envelope", statement) { KeyHint = hint };
        }
        if (problem is not null) return new(source, type, false, signer.KeyId, problem, statement) { KeyHint = hint };
        if (!statement!.IsAbout(digest))
            return new(source, type, false, signer.KeyId, $"its statement is about {string.Join(", ", statement.Subjects.Select(s => s.Digest))}, not {digest}", statement) { KeyHint = hint };
        return new(source, type, true, signer.KeyId, null, statement) { KeyHint = hint };
    }
}
