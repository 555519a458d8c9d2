using System.Security.Cryptography;
using Bakery.Oci.Model;

namespace Bakery.Oci.Registry;

/// <summary>
/// An artifact about an image — an SBOM, a lifecycle record, later a signature or an attestation: its
/// artifact type, annotations and blobs. As an OCI 1.1 manifest it has an empty config, its blobs as
/// layers (one empty blob when it has none) and the image as its subject; the same artifact about the
/// same image is always the same manifest, so pushing it again finds it there.
/// </summary>
public sealed record ReferrerArtifact(string ArtifactType)
{
    public SortedDictionary<string, string> Annotations { get; init; } = new(StringComparer.Ordinal);

    public IReadOnlyList<ArtifactBlob> Blobs { get; init; } = [];

    /// <summary>The manifest that says this artifact is about <paramref name="subject"/>.</summary>
    public ImageManifest ToManifest(OciDescriptor subject) => new()
    {
        MediaType = MediaTypes.OciManifest,
        ArtifactType = ArtifactType,
        Config = ArtifactBlob.Empty.Descriptor,
        Layers = Blobs.Count == 0 ? [ArtifactBlob.Empty.Descriptor] : Blobs.Select(b => b.Descriptor).ToList(),
        Subject = subject,
        Annotations = Annotations,
    };
}

/// <summary>One blob of an artifact: its descriptor and where its content is read from when it must be uploaded.</summary>
public sealed record ArtifactBlob(OciDescriptor Descriptor, BlobSource Content)
{
    private static readonly byte[] EmptyJson = "{}"u8.ToArray();

    /// <summary>The empty JSON blob (<c>{}</c>, <c>application/vnd.oci.empty.v1+json</c>) artifacts use as config.</summary>
    public static ArtifactBlob Empty { get; } = FromBytes(EmptyJson, MediaTypes.OciEmpty);

    public static ArtifactBlob FromBytes(byte[] content, string mediaType)
    {
        var digest = Digest.Compute(content);
        return new(new OciDescriptor { MediaType = mediaType, Digest = digest.ToString(), Size = content.Length }, BlobSource.FromBytes(content, digest));
    }

    /// <summary>A file's content, hashed as it is read (never loaded whole).</summary>
    public static ArtifactBlob FromFile(string path, string mediaType)
    {
        Digest digest;
        using (var file = File.OpenRead(path)) digest = Digest.FromHash(SHA256.HashData(file));
        return new(new OciDescriptor { MediaType = mediaType, Digest = digest.ToString(), Size = new FileInfo(path).Length }, BlobSource.FromFile(path, digest));
    }
}
