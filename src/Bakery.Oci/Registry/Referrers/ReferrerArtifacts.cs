using Bakery.Oci.Model;

namespace Bakery.Oci.Registry;

/// <summary>An artifact's manifest as fetched, with the content of its blobs (artifacts are small documents).</summary>
public sealed record FetchedArtifact(OciDescriptor Descriptor, ImageManifest Manifest, IReadOnlyList<(OciDescriptor Descriptor, byte[] Content)> Blobs);

/// <summary>
/// Artifacts about images in one registry, as OCI 1.1 referrers: pushed with a <c>subject</c>, listed
/// through the referrers API, or — on registries without it, such as CNCF Distribution 2.8 — through
/// the <c>sha256-&lt;hex&gt;</c> fallback tag holding an index of referrers, which pushes keep up to
/// date. Other ways of finding artifacts (a tag schema such as cosign's <c>sha256-&lt;hex&gt;.sig</c>)
/// build on <see cref="ReferrerArtifact.ToManifest"/> and <see cref="PushManifestAndBlobsAsync"/>.
/// </summary>
public sealed class ReferrerArtifacts(IRegistryClient client)
{
    private const long MaxArtifactBlob = 16L * 1024 * 1024;

    /// <summary>The OCI 1.1 fallback tag for the referrers of <paramref name="subject"/>.</summary>
    public static string FallbackTag(Digest subject) => $"{subject.Algorithm}-{subject.Hex}";

    /// <summary>
    /// Pushes <paramref name="artifact"/> about <paramref name="subject"/> (blobs the repository lacks, then the
    /// manifest) and lists it in the fallback index when the registry does not track referrers itself. Pushing
    /// the same artifact again uploads nothing and leaves the index as it is.
    /// </summary>
    public async Task<OciDescriptor> PushAsync(string repository, OciDescriptor subject, ReferrerArtifact artifact, CancellationToken ct = default)
    {
        var manifest = artifact.ToManifest(subject);
        var bytes = manifest.ToBytes();
        var (digest, pushedBefore, tracked) = await PushManifestAndBlobsAsync(repository, bytes, [ArtifactBlob.Empty, .. artifact.Blobs], ct);
        var descriptor = new OciDescriptor
        {
            MediaType = MediaTypes.OciManifest,
            Digest = digest.ToString(),
            Size = bytes.Length,
            ArtifactType = artifact.ArtifactType,
            Annotations = artifact.Annotations,
        };
        if (tracked) return descriptor;
        var index = await ReadFallbackIndexAsync(repository, subject.ParsedDigest, ct);
        if (index?.Manifests?.Any(m => m.Digest == descriptor.Digest) == true) return descriptor;
        // Pushed before and in no fallback index: the registry keeps referrers itself, if its referrers API answers.
        if (pushedBefore && index is null && await client.QueryReferrersAsync(repository, subject.ParsedDigest, ct) is not null) return descriptor;
        var entries = (index?.Manifests ?? []).Append(descriptor).ToList();
        var updated = new ImageManifest { MediaType = MediaTypes.OciIndex, Manifests = entries };
        await client.PushManifestAsync(repository, FallbackTag(subject.ParsedDigest), updated.ToBytes(), MediaTypes.OciIndex, ct);
        return descriptor;
    }

    /// <summary>
    /// Pushes an artifact manifest by digest after the blobs the repository lacks; nothing when it is there.
    /// Returns its digest, whether it was there before, and whether the registry tracks its subject (OCI-Subject).
    /// </summary>
    public async Task<(Digest Digest, bool PushedBefore, bool SubjectTracked)> PushManifestAndBlobsAsync(string repository, byte[] manifest,
        IReadOnlyList<ArtifactBlob> blobs, CancellationToken ct = default)
    {
        var digest = Digest.Compute(manifest);
        if (await client.ManifestExistsAsync(repository, digest.ToString(), ct)) return (digest, true, false);
        foreach (var blob in blobs.DistinctBy(b => b.Descriptor.Digest))
            if (!await client.BlobExistsAsync(repository, blob.Content.Digest, ct)) await client.UploadBlobAsync(repository, blob.Content, ct);
        var pushed = await client.PushManifestAsync(repository, digest.ToString(), manifest, MediaTypes.OciManifest, ct);
        return (pushed.Digest, false, pushed.SubjectTracked);
    }

    /// <summary>The referrers of <paramref name="subject"/>, optionally of one artifact type.</summary>
    public async Task<IReadOnlyList<OciDescriptor>> ListAsync(string repository, Digest subject, string? artifactType = null, CancellationToken ct = default)
    {
        var index = await client.QueryReferrersAsync(repository, subject, ct) ?? await ReadFallbackIndexAsync(repository, subject, ct);
        var found = index?.Manifests ?? [];
        return artifactType is null ? found : found.Where(d => d.ArtifactType == artifactType).ToList();
    }

    /// <summary>An artifact's manifest and blobs, each checked against its digest.</summary>
    public async Task<FetchedArtifact> FetchAsync(string repository, OciDescriptor referrer, CancellationToken ct = default)
    {
        var fetched = await client.GetManifestAsync(repository, referrer.Digest, ct);
        var manifest = fetched.Parse();
        var blobs = new List<(OciDescriptor, byte[])>();
        foreach (var layer in manifest.Layers ?? [])
        {
            if (layer.MediaType == MediaTypes.OciEmpty && layer.Size == 2) continue;
            if (layer.Size > MaxArtifactBlob)
                throw new RegistryException(RegistryFailure.Rejected, client.Registry, repository,
                    $"Artifact {referrer.Digest} in {client.Registry}/{repository} has a {layer.Size}-byte blob; artifacts are read into memory up to {MaxArtifactBlob} bytes.");
            blobs.Add((layer, await client.GetBlobAsync(repository, layer.ParsedDigest, ct)));
        }
        return new FetchedArtifact(referrer, manifest, blobs);
    }

    private async Task<ImageManifest?> ReadFallbackIndexAsync(string repository, Digest subject, CancellationToken ct)
    {
        try
        {
            var fetched = await client.GetManifestAsync(repository, FallbackTag(subject), ct);
            ImageManifest index;
            try { index = fetched.Parse(); }
            catch (Exception e) when (e is System.Text.Json.JsonException or FormatException) { return null; }
            // By its shape as well as the served type, as every other reader: some registries serve an index as application/json.
            return index.IsIndex(fetched.MediaType) ? index : null;
        }
        catch (RegistryException e) when (e.Failure == RegistryFailure.NotFound)
        {
            return null;
        }
    }
}
