using System.Net;
using Bakery.Oci.Model;

namespace Bakery.Oci.Registry;

/// <summary>
/// OCI 1.1 referrers: artifacts that point at an image through their <c>subject</c>. Read through
/// the referrers API, or — on registries without it, such as CNCF Distribution 2.8 — through the
/// <c>sha256-&lt;hex&gt;</c> fallback tag holding an index of referrers, which writers keep up to date.
/// </summary>
public sealed partial class RegistryClient
{
    private static readonly byte[] EmptyJson = "{}"u8.ToArray();

    public static OciDescriptor EmptyDescriptor => new() { MediaType = MediaTypes.OciEmpty, Digest = Model.Digest.Compute(EmptyJson).ToString(), Size = 2 };

    public static string FallbackTag(Digest subject) => $"{subject.Algorithm}-{subject.Hex}";

    /// <summary>The referrers of <paramref name="subject"/>, optionally of one artifact type.</summary>
    public async Task<IReadOnlyList<OciDescriptor>> GetReferrersAsync(string repository, Digest subject, string? artifactType = null, CancellationToken ct = default)
    {
        using var response = await SendAsync(repository, Pull(repository), () =>
        {
            var request = new HttpRequestMessage(HttpMethod.Get, Endpoint($"{repository}/referrers/{subject}"));
            request.Headers.Accept.ParseAdd(MediaTypes.OciIndex);
            return request;
        }, ct);
        IReadOnlyList<OciDescriptor> found;
        if (response.IsSuccessStatusCode && response.Content.Headers.ContentType?.MediaType == MediaTypes.OciIndex)
            found = ImageManifest.Parse(await response.Content.ReadAsByteArrayAsync(ct)).Manifests ?? [];
        else if (response.StatusCode is HttpStatusCode.NotFound or HttpStatusCode.MethodNotAllowed || response.IsSuccessStatusCode)
            found = (await ReadFallbackIndexAsync(repository, subject, ct))?.Manifests ?? [];
        else
        {
            await EnsureSuccessAsync(response, repository, $"list the referrers of {subject}");
            found = [];
        }
        return artifactType is null ? found : found.Where(d => d.ArtifactType == artifactType).ToList();
    }

    /// <summary>
    /// Pushes an artifact manifest (empty config; the content blob as its layer, or an empty one) that refers to <paramref name="subject"/>,
    /// and adds it to the fallback index when the registry does not track referrers itself.
    /// </summary>
    public async Task<OciDescriptor> PushReferrerAsync(string repository, OciDescriptor subject, string artifactType,
        SortedDictionary<string, string> annotations, CancellationToken ct = default, (string Path, string MediaType)? content = null)
    {
        var empty = EmptyDescriptor;
        var layer = content is { } blob
            ? new OciDescriptor { MediaType = blob.MediaType, Digest = Model.Digest.Compute(await File.ReadAllBytesAsync(blob.Path, ct)).ToString(), Size = new FileInfo(blob.Path).Length }
            : empty;
        var manifest = new ImageManifest
        {
            MediaType = MediaTypes.OciManifest,
            ArtifactType = artifactType,
            Config = empty,
            Layers = [layer],
            Subject = subject,
            Annotations = annotations,
        };
        var bytes = manifest.ToBytes();
        var digest = Model.Digest.Compute(bytes);
        // A rebake of the same image refers to it with the same artifact: pushed before, nothing to upload.
        var pushedBefore = await ManifestExistsAsync(repository, digest.ToString(), ct);
        if (!pushedBefore)
        {
            if (content is { } upload && !await BlobExistsAsync(repository, layer.ParsedDigest, ct)) await UploadBlobAsync(repository, layer.ParsedDigest, upload.Path, ct);
            if (!await BlobExistsAsync(repository, empty.ParsedDigest, ct))
            {
                var temp = Path.GetTempFileName();
                try
                {
                    await File.WriteAllBytesAsync(temp, EmptyJson, ct);
                    await UploadBlobAsync(repository, empty.ParsedDigest, temp, ct);
                }
                finally { File.Delete(temp); }
            }
            digest = await PutManifestAsync(repository, digest.ToString(), bytes, MediaTypes.OciManifest, ct);
        }
        var descriptor = new OciDescriptor
        {
            MediaType = MediaTypes.OciManifest,
            Digest = digest.ToString(),
            Size = bytes.Length,
            ArtifactType = artifactType,
            Annotations = annotations,
        };
        if (!_registryTracksReferrers)
        {
            var index = await ReadFallbackIndexAsync(repository, subject.ParsedDigest, ct);
            // Pushed before and no fallback index: the registry tracks referrers itself (it answered OCI-Subject then).
            if (index?.Manifests?.Any(m => m.Digest == descriptor.Digest) == true || (pushedBefore && index is null)) return descriptor;
            var entries = (index?.Manifests ?? []).Append(descriptor).ToList();
            var updated = new ImageManifest { MediaType = MediaTypes.OciIndex, Manifests = entries };
            await PutManifestAsync(repository, FallbackTag(subject.ParsedDigest), updated.ToBytes(), MediaTypes.OciIndex, ct);
        }
        return descriptor;
    }

    private async Task<ImageManifest?> ReadFallbackIndexAsync(string repository, Digest subject, CancellationToken ct)
    {
        try
        {
            var fetched = await GetManifestAsync(repository, FallbackTag(subject), ct);
            return MediaTypes.IsIndex(fetched.MediaType) ? fetched.Parse() : null;
        }
        catch (RegistryException e) when (e.Failure == RegistryFailure.NotFound)
        {
            return null;
        }
    }
}
