using Bakery.Oci.Model;
using Bakery.Oci.Registry;

namespace Bakery.Core.Signing;

/// <summary>
/// `bakery sign`: signs an image already in a registry (pushed by `bakery push`, or by another tool):
/// the manifest, or an index and each of its platforms' manifests, with an SBOM attached as a signed
/// attestation when one is given.
/// </summary>
public static class ExistingImageSigning
{
    public static async Task<IReadOnlyList<SignedManifest>> SignAsync(IRegistryClient client, ImageReference image, SigningSetup setup, string? sbomPath, CancellationToken ct)
    {
        FetchedManifest fetched;
        try { fetched = await client.GetManifestAsync(image.Repository, image.Reference, ct); }
        catch (RegistryException e) when (e.Failure == RegistryFailure.NotFound)
        {
            throw Messages.BAKE437(image, $"it is not in registry {image.Registry}").Exception(e);
        }
        var repository = $"{image.Registry}/{image.Repository}";
        var manifest = fetched.Parse();
        var isIndex = manifest.IsIndex(fetched.MediaType);
        if (!isIndex && !MediaTypes.IsManifest(fetched.MediaType) && !MediaTypes.IsManifest(manifest.MediaType) && manifest.Config is null)
            throw Messages.BAKE437(image, $"it is a {fetched.MediaType}, not an image manifest or index").Exception();
        // A registry may serve a document under a generic type; the subject names what the document says it is.
        var mediaType = MediaTypes.IsIndex(fetched.MediaType) || MediaTypes.IsManifest(fetched.MediaType) ? fetched.MediaType
            : manifest.MediaType ?? (isIndex ? MediaTypes.OciIndex : MediaTypes.OciManifest);
        var targets = new List<OciDescriptor> { new() { MediaType = mediaType, Digest = fetched.Digest.ToString(), Size = fetched.Bytes.Length } };
        if (isIndex) targets.AddRange(manifest.ImageEntries);
        if (sbomPath is not null && !File.Exists(sbomPath)) throw Messages.BAKE437(image, $"the SBOM {sbomPath} does not exist").Exception();

        var signer = new ImageSigner(setup.Signer, client, setup.Referrers);
        var signed = new List<SignedManifest>();
        foreach (var target in targets)
        {
            // The SBOM describes the image it was made of: a single manifest, not an index.
            IReadOnlyList<AttestationInput> attestations = sbomPath is not null && !(isIndex && ReferenceEquals(target, targets[0]))
                ? [new AttestationInput(BakeSigning.CycloneDxPredicateType, BakeSigning.SbomStatement(repository, target.ParsedDigest, sbomPath))]
                : [];
            try { signed.Add(await signer.SignAsync(image.Repository, target, repository, attestations, ct)); }
            catch (RegistryException e) when (Baking.RegistryErrors.Specific(e, image.ToString()) is null)
            {
                throw Messages.BAKE436($"{repository}@{target.Digest}", e.Registry, e.Message).Exception(e);
            }
        }
        return signed;
    }
}
