using Bakery.Oci.Model;

namespace Bakery.Oci.Registry;

/// <summary>Referrers of this client's registry, through <see cref="ReferrerArtifacts"/>.</summary>
public sealed partial class RegistryClient
{
    public static OciDescriptor EmptyDescriptor => ArtifactBlob.Empty.Descriptor;

    public static string FallbackTag(Digest subject) => ReferrerArtifacts.FallbackTag(subject);

    /// <summary>The referrers of <paramref name="subject"/>, optionally of one artifact type.</summary>
    public Task<IReadOnlyList<OciDescriptor>> GetReferrersAsync(string repository, Digest subject, string? artifactType = null, CancellationToken ct = default) =>
        new ReferrerArtifacts(this).ListAsync(repository, subject, artifactType, ct);

    /// <summary>Pushes an artifact about <paramref name="subject"/>: its annotations, and the content file as its one blob (or none).</summary>
    public Task<OciDescriptor> PushReferrerAsync(string repository, OciDescriptor subject, string artifactType,
        SortedDictionary<string, string> annotations, CancellationToken ct = default, (string Path, string MediaType)? content = null) =>
        new ReferrerArtifacts(this).PushAsync(repository, subject, new ReferrerArtifact(artifactType)
        {
            Annotations = annotations,
            Blobs = content is { } blob ? [ArtifactBlob.FromFile(blob.Path, blob.MediaType)] : [],
        }, ct);
}
