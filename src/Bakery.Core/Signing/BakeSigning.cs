using Bakery.Core.Baking;
using Bakery.Core.Descriptors;
using Bakery.Oci.Model;
using Bakery.Oci.Registry;

namespace Bakery.Core.Signing;

/// <summary>What a bake signed: with which key, and each manifest (every platform's, and the index's).</summary>
public sealed record SigningReport
{
    public required string Signer { get; init; }
    public required string KeyId { get; init; }
    public required string Algorithm { get; init; }

    /// <summary>The PEM public key: a base-image package's trust policy names it for descendants.</summary>
    public required string PublicKey { get; init; }
    public string? BuilderId { get; init; }
    public required IReadOnlyList<SignedManifest> Manifests { get; init; }

    public static SigningReport Of(SigningSetup setup, IReadOnlyList<SignedManifest> manifests) => new()
    {
        Signer = setup.Signer.Description,
        KeyId = setup.Signer.PublicKey.KeyId,
        Algorithm = SignaturePublicKey.AlgorithmName(setup.Signer.PublicKey.Algorithm),
        PublicKey = setup.Signer.PublicKey.Pem,
        BuilderId = setup.Builder.Id,
        Manifests = manifests,
    };
}

/// <summary>
/// The bake's signing step, after verification and the push by digest, before any tag: each manifest
/// is signed, with SLSA provenance and (when it has one) its SBOM attached as signed attestations.
/// A multi-platform bake calls <see cref="SignManifestAsync"/> for every platform's manifest and for
/// the index, then <see cref="SigningReport.Of"/>.
/// </summary>
public static class BakeSigning
{
    public const string CycloneDxPredicateType = "https://cyclonedx.org/bom";

    /// <summary>Signs one image manifest of the bake (baked on <paramref name="lineage"/>, as its lineage label says); null when the bake does not sign.</summary>
    public static async Task<SigningReport?> SignAsync(BakeRequest request, IRegistryClient target, string image, OciDescriptor manifest,
        Platform? platform, IReadOnlyList<LineageEntry> lineage, string? sbomPath, IBakeLog log, CancellationToken ct)
    {
        if (request.Signing is not { } setup) return null;
        var signed = await SignManifestAsync(request, target, image, manifest, platform, lineage, sbomPath, log, ct);
        return SigningReport.Of(setup, [signed]);
    }

    /// <summary>
    /// Signs <paramref name="manifest"/> (a platform's image or the index) of <paramref name="image"/>
    /// (registry/repository) and attaches its provenance (<paramref name="lineage"/>: what it was baked on,
    /// nearest first) and its SBOM. BAKE43x when signing fails, BAKE436 when the registry refuses.
    /// </summary>
    public static async Task<SignedManifest> SignManifestAsync(BakeRequest request, IRegistryClient target, string image, OciDescriptor manifest,
        Platform? platform, IReadOnlyList<LineageEntry> lineage, string? sbomPath, IBakeLog log, CancellationToken ct)
    {
        var setup = request.Signing ?? throw new InvalidOperationException("The bake does not sign.");
        var digest = manifest.ParsedDigest;
        var attestations = new List<AttestationInput>
        {
            new(SlsaProvenance.PredicateType, SlsaProvenance.Statement(request, setup.Builder, image, digest, platform, lineage)),
        };
        if (sbomPath is not null && File.Exists(sbomPath)) attestations.Add(new(CycloneDxPredicateType, SbomStatement(image, digest, sbomPath)));
        SignedManifest signed;
        try
        {
            signed = await new ImageSigner(setup.Signer, target, setup.Referrers).SignAsync(request.TargetRepository, manifest, image, attestations, ct);
        }
        catch (RegistryException e)
        {
            throw RegistryErrors.Specific(e, image) ?? Messages.BAKE436($"{image}@{digest}", e.Registry, e.Message).Exception(e);
        }
        var written = (signed.SignatureWritten ? 1 : 0) + signed.Attestations.Count(a => a.Written);
        log.Info(written == 0
            ? $"Signed {image}@{digest} before ({setup.Signer.PublicKey.Describe()}): signature and {signed.Attestations.Count} attestation(s) already there"
            : $"Signed {image}@{digest} with {setup.Signer.PublicKey.Describe()}: {signed.SignatureTag}, {signed.AttestationTag} ({string.Join(", ", signed.Attestations.Select(a => a.PredicateType))})"
              + (signed.Referrers ? ", and as referrers" : ""));
        return signed;
    }

    /// <summary>The CycloneDX SBOM as an in-toto statement about the image (cosign attest --type cyclonedx).</summary>
    public static byte[] SbomStatement(string image, Digest digest, string sbomPath)
    {
        var sbom = File.ReadAllBytes(sbomPath);
        return InTotoStatement.Create([new StatementSubject(image, digest)], CycloneDxPredicateType, json => json.WriteRawValue(sbom, skipInputValidation: false));
    }
}
