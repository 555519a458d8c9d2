using Bakery.Oci.Archives;
using Bakery.Oci.Model;
using Bakery.Oci.Registry;

namespace Bakery.Core.Baking.Destinations;

/// <param name="Target">registry/repository, or a registry alone (the repository the archive names); null: the name the archive gives, which must include a registry.</param>
/// <param name="Tags">Tags to push under instead of those the archive carries.</param>
public sealed record ArchivePushRequest(string ArchivePath, string? Target, IReadOnlyList<string> Tags, bool AllowLatest, bool AllowTagOverwrite, string WorkDirectory)
{
    public int MaxParallelUploads { get; init; } = 4;
}

public sealed record ArchivePushResult(string Image, string Digest, string MediaType, string Format, IReadOnlyList<string> Tags, IReadOnlyList<MovedTag> MovedTags, PushStatistics Push);

/// <summary>
/// <c>bakery push ARCHIVE [registry/repository]</c>: the push stage of "bake to archive → scan and
/// verify → push". The archive is digest-checked as it is opened (every blob against its digest, a
/// docker-archive's layers against the config's diff ids), then pushed as a bake pushes: a HEAD
/// before every blob, a cross-repository mount for layers of a base on the same registry, an upload
/// otherwise; child manifests and the root by digest; the tags last, by the same policy (valid tags,
/// no <c>latest</c> unless allowed, build tags never move). An OCI layout keeps its manifest, so the
/// pushed digest is the one the bake reported; a docker-archive gets the manifest
/// <see cref="ImageArchive.DockerArchiveManifest"/> builds.
/// </summary>
public sealed class ArchivePusher(RegistryClientOptions options, IBakeLog log)
{
    public async Task<ArchivePushResult> PushAsync(ArchivePushRequest request, CancellationToken ct = default)
    {
        var work = Path.Combine(request.WorkDirectory, "bakery-push-" + Guid.NewGuid().ToString("N"));
        try
        {
            ArchiveContent content;
            try { content = ImageArchive.OpenContent(Path.GetFullPath(request.ArchivePath), work); }
            catch (ImageArchiveException e) { throw Messages.BAKE310(e.Archive, e.Problem).Exception(e); }
            var (registry, repository) = Target(request, content);
            var image = $"{registry}/{repository}";
            var tags = Tags(request, content, image);
            log.Info($"Pushing {content.ArchivePath} ({Format(content.Format)}) to {image} as {string.Join(", ", tags)}");

            using var client = new RegistryClient(registry, options with { Role = RegistryRole.Push });
            try
            {
                var existing = new Dictionary<string, Digest>(StringComparer.Ordinal);
                foreach (var tag in tags)
                    if (await client.ManifestExistsAsync(repository, tag, ct))
                        existing[tag] = (await client.GetManifestAsync(repository, tag, ct)).Digest;
                var moved = TagGuard.Check(image, content.Root.Digest, existing, request.AllowTagOverwrite, log);
                var before = client.BlobBytesUploaded;
                var (uploaded, mounted, skipped) = await PushBlobsAsync(client, repository, content, registry, request.MaxParallelUploads, ct);
                foreach (var child in content.Children) await client.PushManifestAsync(repository, child.Digest.ToString(), child.Bytes, child.MediaType, ct);
                await client.PushManifestAsync(repository, content.Root.Digest.ToString(), content.Root.Bytes, content.Root.MediaType, ct);
                foreach (var tag in tags)
                {
                    await client.PushManifestAsync(repository, tag, content.Root.Bytes, content.Root.MediaType, ct);
                    log.Info($"Tagged {image}:{tag}");
                }
                return new ArchivePushResult(image, content.Root.Digest.ToString(), content.Root.MediaType, Format(content.Format), tags, moved,
                    new PushStatistics(uploaded, mounted, skipped, client.BlobBytesUploaded - before));
            }
            catch (RegistryException e) { throw RegistryErrors.WhilePushing(e, image); }
        }
        finally
        {
            try { if (Directory.Exists(work)) Directory.Delete(work, recursive: true); }
            catch (IOException) { }
            catch (UnauthorizedAccessException) { }
        }
    }

    private static string Format(ImageArchiveFormat format) => format == ImageArchiveFormat.Oci ? "oci-layout" : "docker-archive";

    /// <summary>
    /// Every blob the registry lacks, a few at a time. A layer may come from a base image on the same
    /// registry (the config's <c>org.opencontainers.image.base.name</c> label says which repository):
    /// it is mounted from there instead of uploaded.
    /// </summary>
    private async Task<(int Uploaded, int Mounted, int Skipped)> PushBlobsAsync(RegistryClient client, string repository, ArchiveContent content, string registry,
        int parallel, CancellationToken ct)
    {
        var mountFrom = BaseRepositories(content, registry).Where(r => r != repository).ToList();
        var configs = Manifests(content).Select(m => m.Parsed.Config?.ParsedDigest).OfType<Digest>().ToHashSet();
        int uploaded = 0, mounted = 0, skipped = 0;
        using var gate = new SemaphoreSlim(Math.Max(1, parallel));
        await Task.WhenAll(content.Blobs.OrderBy(b => b.Key.ToString(), StringComparer.Ordinal).Select(async blob =>
        {
            await gate.WaitAsync(ct);
            try
            {
                if (await client.BlobExistsAsync(repository, blob.Key, ct))
                {
                    Interlocked.Increment(ref skipped);
                    log.Detail($"  {blob.Key.Hex[..12]} already in {repository}");
                    return;
                }
                if (!configs.Contains(blob.Key))
                    foreach (var from in mountFrom)
                        if (await client.TryMountBlobAsync(repository, blob.Key, from, ct))
                        {
                            Interlocked.Increment(ref mounted);
                            log.Detail($"  {blob.Key.Hex[..12]} mounted from {from}");
                            return;
                        }
                var source = BlobSource.FromFile(blob.Value, blob.Key);
                log.Info($"  Uploading {blob.Key.Hex[..12]} ({source.Size:N0} bytes)");
                await client.UploadBlobAsync(repository, source, ct);
                Interlocked.Increment(ref uploaded);
            }
            finally { gate.Release(); }
        }));
        return (uploaded, mounted, skipped);
    }

    private static IEnumerable<ArchiveManifest> Manifests(ArchiveContent content) => content.Children.Append(content.Root);

    private static IEnumerable<string> BaseRepositories(ArchiveContent content, string registry) =>
        Manifests(content).Select(m => m.Parsed.Config?.ParsedDigest).OfType<Digest>()
            .Select(d => ImageConfig.Parse(File.ReadAllBytes(content.Blobs[d])).Labels.GetValueOrDefault("org.opencontainers.image.base.name"))
            .OfType<string>()
            .Where(name => name.StartsWith(registry + "/", StringComparison.OrdinalIgnoreCase))
            .Select(name => name[(registry.Length + 1)..])
            .Distinct(StringComparer.Ordinal);

    /// <summary>registry/repository from the argument, or from the archive's own name when the argument leaves it out.</summary>
    private static (string Registry, string Repository) Target(ArchivePushRequest request, ArchiveContent content)
    {
        var archive = content.ArchivePath;
        var named = request.Target?.Trim();
        if (named is { Length: > 0 } && (named.Contains('@') || named.LastIndexOf(':') > named.LastIndexOf('/') && named.Contains('/')))
            throw Messages.BAKE442(archive, $"'{named}' names a tag or digest; give registry/repository and the tags with --tag").Exception();
        string? registry = null, repository = null;
        if (named is { Length: > 0 })
        {
            var slash = named.IndexOf('/');
            if (slash < 0 && IsRegistry(named)) registry = named;
            else if (slash > 0 && IsRegistry(named[..slash])) (registry, repository) = (named[..slash], named[(slash + 1)..]);
            else throw Messages.BAKE442(archive, $"'{named}' names no registry; give registry/repository, for example registry.contoso.com/team/app").Exception();
        }
        if (repository is null)
        {
            var own = content.Repository;
            if (own is null)
                throw Messages.BAKE442(archive, "it does not name its repository; give registry/repository").Exception();
            var slash = own.IndexOf('/');
            var ownRegistry = slash > 0 && IsRegistry(own[..slash]) ? own[..slash] : null;
            repository = ownRegistry is null ? own : own[(slash + 1)..];
            registry ??= ownRegistry ?? throw Messages.BAKE442(archive, $"it names the image '{own}' without a registry; give the registry, for example: bakery push {Path.GetFileName(archive)} registry.contoso.com/{own}").Exception();
        }
        if (!ImageReference.IsValidRepository(repository))
            throw Messages.BAKE405(repository, "repository names are lowercase letters, digits and '.', '_', '-' or '/' separators.").Exception();
        return (registry!, repository);
    }

    /// <summary>As docker reads a name: the first component is a registry when it has a '.' or a ':' or is localhost.</summary>
    private static bool IsRegistry(string component) => component.Contains('.') || component.Contains(':') || component == "localhost";

    /// <summary>The tags asked for, or the archive's; every one valid, 'latest' only when allowed (BAKE401, warning BAKE411).</summary>
    private IReadOnlyList<string> Tags(ArchivePushRequest request, ArchiveContent content, string image)
    {
        var tags = (request.Tags.Count > 0 ? request.Tags : content.Tags).Select(t => t.Trim()).Where(t => t.Length > 0).Distinct(StringComparer.Ordinal).ToList();
        if (tags.Count == 0) throw Messages.BAKE442(content.ArchivePath, "it carries no tag; give them with --tag").Exception();
        foreach (var tag in tags)
        {
            if (tag.Equals("latest", StringComparison.OrdinalIgnoreCase))
            {
                if (!request.AllowLatest) throw Messages.BAKE401(image).Exception();
                log.Warning(Messages.BAKE411(image, tags.FirstOrDefault(t => !t.Equals("latest", StringComparison.OrdinalIgnoreCase)) ?? content.Root.Digest.ToString()).Warning());
            }
            if (!ImageReference.IsValidTag(tag)) throw Messages.BAKE404(tag).Exception();
        }
        return tags;
    }
}
