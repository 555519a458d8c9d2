using System.Text.Json.Nodes;
using Bakery.Oci.Model;

namespace Bakery.Oci.Registry;

/// <summary>The two kinds of attachment cosign stores next to an image.</summary>
public enum AttachmentKind
{
    /// <summary>Signatures: the <c>sha256-&lt;hex&gt;.sig</c> tag, simple-signing payloads as layers.</summary>
    Signature,

    /// <summary>Attestations: the <c>sha256-&lt;hex&gt;.att</c> tag, DSSE envelopes as layers.</summary>
    Attestation,
}

/// <summary>One layer of an attachment as found in a registry: its descriptor (with the annotations that carry signatures), its content, and where it was found.</summary>
public sealed record Attachment(OciDescriptor Layer, byte[] Content, string Source);

/// <summary>What to change under an attachment tag: layers to add, and layers already there that they supersede.</summary>
public sealed record AttachmentChange(IReadOnlyList<ArtifactBlob> Add, IReadOnlyList<OciDescriptor> Superseded)
{
    public static AttachmentChange Adding(params IReadOnlyList<ArtifactBlob> add) => new(add, []);
}

/// <summary>
/// Signatures and attestations where cosign, podman, skopeo, policy-controller and Kyverno look for
/// them: the tag schema (<c>sha256-&lt;hex&gt;.sig</c> / <c>.att</c> in the image's repository, an OCI
/// manifest whose layers are the attachments, each with its annotations), and, on registries that
/// track referrers (OCI 1.1), the same layer as a referrer artifact of the image. This class knows
/// the storage only; what a payload means and whether a signature holds is decided in Core.
/// </summary>
public sealed class CosignAttachments(IRegistryClient client)
{
    /// <summary>Artifact type of a signature as a referrer (cosign's <c>--registry-referrers-mode=oci-1-1</c>).</summary>
    public const string SignatureArtifactType = "application/vnd.dev.cosign.artifact.sig.v1+json";

    /// <summary>Artifact type of an attestation as a referrer.</summary>
    public const string AttestationArtifactType = "application/vnd.dsse.envelope.v1+json";

    /// <summary>Attachments are small documents; an SBOM attestation is the largest. Anything bigger is refused unread.</summary>
    public const long MaxAttachmentSize = 32L * 1024 * 1024;

    /// <summary>How many layers one attachment manifest may list before it is refused as hostile.</summary>
    public const int MaxLayers = 256;

    public static string Tag(Digest subject, AttachmentKind kind) =>
        $"{subject.Algorithm}-{subject.Hex}.{(kind == AttachmentKind.Signature ? "sig" : "att")}";

    public static string ArtifactType(AttachmentKind kind) =>
        kind == AttachmentKind.Signature ? SignatureArtifactType : AttestationArtifactType;

    /// <summary>The layers listed under the tag, or none when there is no such tag.</summary>
    public async Task<IReadOnlyList<OciDescriptor>> TagLayersAsync(string repository, Digest subject, AttachmentKind kind, CancellationToken ct = default) =>
        (await TagManifestAsync(repository, subject, kind, ct))?.Layers ?? [];

    /// <summary>
    /// Every attachment of <paramref name="kind"/> about <paramref name="subject"/>: the tag schema's
    /// layers, then (with <paramref name="referrers"/>) the layers of referrer artifacts of that kind.
    /// Each content is checked against its digest.
    /// </summary>
    public async Task<IReadOnlyList<Attachment>> ReadAsync(string repository, Digest subject, AttachmentKind kind, bool referrers, CancellationToken ct = default)
    {
        var found = new List<Attachment>();
        var tag = Tag(subject, kind);
        foreach (var layer in (await TagManifestAsync(repository, subject, kind, ct))?.Layers ?? [])
            found.Add(new Attachment(layer, await ReadLayerAsync(repository, layer, ct), $"tag {tag}"));
        if (!referrers) return found;
        var artifacts = new ReferrerArtifacts(client);
        foreach (var referrer in await artifacts.ListAsync(repository, subject, ArtifactType(kind), ct))
        {
            var manifest = (await client.GetManifestAsync(repository, referrer.Digest, ct)).Parse();
            foreach (var layer in (manifest.Layers ?? []).Where(l => l.MediaType != MediaTypes.OciEmpty).Take(MaxLayers))
                found.Add(new Attachment(layer, await ReadLayerAsync(repository, layer, ct), $"referrer {referrer.Digest}"));
        }
        return found;
    }

    /// <summary>
    /// Changes the layers under the tag. <paramref name="choose"/> sees the layers there now and returns
    /// those to add (each blob with its annotated descriptor) and those the new ones supersede; a layer
    /// equal to one already there (digest and annotations) is never added twice. Returns the layers added:
    /// none means nothing was written (a superseded layer is only dropped when something replaces it).
    /// </summary>
    public async Task<IReadOnlyList<OciDescriptor>> AppendAsync(string repository, Digest subject, AttachmentKind kind,
        Func<IReadOnlyList<OciDescriptor>, Task<AttachmentChange>> choose, CancellationToken ct = default)
    {
        var existing = await TagManifestAsync(repository, subject, kind, ct);
        var layers = existing?.Layers?.ToList() ?? [];
        var change = await choose(layers);
        var added = new List<ArtifactBlob>();
        foreach (var blob in change.Add)
            if (!layers.Any(l => SameLayer(l, blob.Descriptor)) && !added.Any(a => SameLayer(a.Descriptor, blob.Descriptor))) added.Add(blob);
        if (added.Count == 0) return [];
        layers.RemoveAll(l => change.Superseded.Any(s => SameLayer(s, l)));
        layers.AddRange(added.Select(a => a.Descriptor));
        if (layers.Count > MaxLayers)
            throw new RegistryException(RegistryFailure.Rejected, client.Registry, repository,
                $"{client.Registry}/{repository}:{Tag(subject, kind)} would list {layers.Count} attachments; {MaxLayers} is the most Bakery writes or reads. Remove old ones first.");

        var config = ArtifactBlob.FromBytes(ConfigFor(layers), MediaTypes.OciConfig);
        foreach (var blob in added.Append(config).DistinctBy(b => b.Descriptor.Digest))
            if (!await client.BlobExistsAsync(repository, blob.Content.Digest, ct)) await client.UploadBlobAsync(repository, blob.Content, ct);
        var manifest = new ImageManifest
        {
            MediaType = MediaTypes.OciManifest,
            Config = config.Descriptor,
            Layers = layers,
            Annotations = existing?.Annotations,
        };
        await client.PushManifestAsync(repository, Tag(subject, kind), manifest.ToBytes(), MediaTypes.OciManifest, ct);
        return added.Select(a => a.Descriptor).ToList();
    }

    /// <summary>The same layer as a referrer artifact of <paramref name="subject"/> (pushed once; the same artifact again is found there).</summary>
    public Task<OciDescriptor> PushReferrerAsync(string repository, OciDescriptor subject, AttachmentKind kind, ArtifactBlob layer, CancellationToken ct = default) =>
        new ReferrerArtifacts(client).PushAsync(repository, subject, new ReferrerArtifact(ArtifactType(kind)) { Blobs = [layer] }, ct);

    /// <summary>Whether the registry answers the OCI 1.1 referrers API (CNCF Distribution 2.8 does not).</summary>
    public async Task<bool> TracksReferrersAsync(string repository, Digest subject, CancellationToken ct = default) =>
        await client.QueryReferrersAsync(repository, subject, ct) is not null;

    private async Task<ImageManifest?> TagManifestAsync(string repository, Digest subject, AttachmentKind kind, CancellationToken ct)
    {
        FetchedManifest fetched;
        try { fetched = await client.GetManifestAsync(repository, Tag(subject, kind), ct); }
        catch (RegistryException e) when (e.Failure == RegistryFailure.NotFound) { return null; }
        if (!MediaTypes.IsManifest(fetched.MediaType))
            throw Refused(repository, $"{Tag(subject, kind)} is a {fetched.MediaType}, not an image manifest of attachments");
        ImageManifest manifest;
        try { manifest = fetched.Parse(); }
        catch (System.Text.Json.JsonException e) { throw Refused(repository, $"{Tag(subject, kind)} is not a readable manifest: {e.Message}"); }
        if (manifest.Layers is { Count: > MaxLayers })
            throw Refused(repository, $"{Tag(subject, kind)} lists {manifest.Layers.Count} attachments; at most {MaxLayers} are read");
        return manifest;
    }

    /// <summary>One attachment layer's content, within <see cref="MaxAttachmentSize"/> and checked against its digest and size.</summary>
    public async Task<byte[]> ReadLayerAsync(string repository, OciDescriptor layer, CancellationToken ct = default)
    {
        if (layer.Size is < 0 or > MaxAttachmentSize)
            throw Refused(repository, $"attachment {layer.Digest} is {layer.Size} bytes; at most {MaxAttachmentSize} are read");
        if (!Digest.TryParse(layer.Digest, out var digest)) throw Refused(repository, $"attachment digest '{layer.Digest}' is not a digest");
        var content = await client.GetBlobAsync(repository, digest, ct);
        if (content.Length != layer.Size) throw Refused(repository, $"attachment {layer.Digest} has {content.Length} bytes, its descriptor says {layer.Size}");
        return content;
    }

    private RegistryException Refused(string repository, string problem) =>
        new(RegistryFailure.Rejected, client.Registry, repository, $"{client.Registry}/{repository}: {problem}.");

    private static bool SameLayer(OciDescriptor a, OciDescriptor b) =>
        a.Digest == b.Digest && a.MediaType == b.MediaType
        && (a.Annotations ?? []).OrderBy(p => p.Key, StringComparer.Ordinal).SequenceEqual((b.Annotations ?? []).OrderBy(p => p.Key, StringComparer.Ordinal));

    /// <summary>The config cosign and containers/image write for attachments: an empty image config whose diff ids are the layers.</summary>
    private static byte[] ConfigFor(IEnumerable<OciDescriptor> layers)
    {
        var diffIds = new JsonArray();
        foreach (var layer in layers) diffIds.Add(layer.Digest);
        var config = new JsonObject
        {
            ["architecture"] = "",
            ["os"] = "",
            ["config"] = new JsonObject(),
            ["rootfs"] = new JsonObject { ["type"] = "layers", ["diff_ids"] = diffIds },
        };
        return System.Text.Encoding.UTF8.GetBytes(config.ToJsonString());
    }
}
