using Bakery.Oci.Layers;
using Bakery.Oci.Model;
using Bakery.Oci.Registry;

namespace Bakery.Core.Baking;

/// <summary>
/// Pushes what the target repository lacks: a HEAD per blob first, a cross-repository mount for base
/// layers on the same registry, an upload otherwise, a bounded number at a time.
/// </summary>
internal sealed class BlobPusher(IBakeLog log)
{
    public async Task<PushStatistics> PushAsync(BakeRequest request, RegistryClient baseClient, RegistryClient target, bool sameRegistry,
        ImageManifest baseManifest, List<(string Name, LayerBlob Blob)> added, string blobDirectory, byte[] configBytes, Digest configDigest,
        string image, CancellationToken ct)
    {
        var repo = request.TargetRepository;
        var baseRepo = request.BaseImage.Reference.Repository;
        int uploaded = 0, mounted = 0, skipped = 0;
        var before = target.BlobBytesUploaded;

        async Task PushOne(Digest digest, Func<CancellationToken, Task<string>> localPath, bool fromBase, string name)
        {
            if (await target.BlobExistsAsync(repo, digest, ct))
            {
                Interlocked.Increment(ref skipped);
                log.Detail($"  {name} {digest.Hex[..12]} already in {repo}");
                return;
            }
            if (fromBase && sameRegistry && repo != baseRepo && await target.TryMountBlobAsync(repo, digest, baseRepo, ct))
            {
                Interlocked.Increment(ref mounted);
                log.Detail($"  {name} {digest.Hex[..12]} mounted from {baseRepo}");
                return;
            }
            var path = await localPath(ct);
            log.Info($"  Uploading {name} {digest.Hex[..12]} ({new FileInfo(path).Length:N0} bytes)");
            await target.UploadBlobAsync(repo, digest, path, ct);
            Interlocked.Increment(ref uploaded);
        }

        async Task<string> FromBaseRegistry(Digest digest, CancellationToken token)
        {
            var path = DeterministicLayerWriter.BlobPath(blobDirectory, digest);
            if (!File.Exists(path)) await baseClient.DownloadBlobAsync(baseRepo, digest, path, token);
            return path;
        }

        var configPath = DeterministicLayerWriter.BlobPath(blobDirectory, configDigest);
        Directory.CreateDirectory(blobDirectory);
        await File.WriteAllBytesAsync(configPath, configBytes, ct);

        var work = new List<Func<Task>>();
        foreach (var layer in baseManifest.Layers ?? [])
        {
            var d = layer.ParsedDigest;
            work.Add(() => PushOne(d, t => FromBaseRegistry(d, t), fromBase: true, "base layer"));
        }
        foreach (var (name, blob) in added)
            work.Add(() => PushOne(blob.Digest, _ => Task.FromResult(blob.Path), fromBase: false, name));
        work.Add(() => PushOne(configDigest, _ => Task.FromResult(configPath), fromBase: false, "config"));

        try
        {
            using var gate = new SemaphoreSlim(Math.Max(1, request.MaxParallelUploads));
            await Task.WhenAll(work.Select(async w =>
            {
                await gate.WaitAsync(ct);
                try { await w(); }
                finally { gate.Release(); }
            }));
        }
        catch (RegistryException e)
        {
            throw RegistryErrors.WhilePushing(e, image);
        }
        return new PushStatistics(uploaded, mounted, skipped, target.BlobBytesUploaded - before);
    }
}
