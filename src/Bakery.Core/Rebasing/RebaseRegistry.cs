using Bakery.Oci.Layers;
using Bakery.Oci.Model;
using Bakery.Oci.Registry;

namespace Bakery.Core.Rebasing;

/// <summary>An image manifest for one platform, fetched by digest, with its config.</summary>
/// <param name="IndexDigest">The index the image was taken from (a multi-platform base names it in the lineage of images on it); null for a single image.</param>
internal sealed record PinnedImage(string Registry, string Repository, FetchedManifest Manifest, ImageManifest Parsed, byte[] ConfigBytes, Digest? IndexDigest = null)
{
    public ImageConfig Config { get; } = ImageConfig.Parse(ConfigBytes);
    public Digest Digest => Manifest.Digest;
    public string Name => $"{Registry}/{Repository}";
    public ImageReference Reference => new(Registry, Repository, null, Digest);

    /// <summary>The manifest flavour an image on this base is written in, as a bake decides it: Docker v2 on a Docker base, OCI otherwise.</summary>
    public string Flavour => Parsed.MediaType == MediaTypes.DockerManifest ? MediaTypes.DockerManifest : MediaTypes.OciManifest;
    public Platform Platform => Config.Platform ?? Platform.LinuxAmd64;
}

/// <summary>
/// The registries one rebase reads and writes, a client per registry and role, and what it fetches:
/// manifests and configs by digest (kept with the blobs, checked on every read), layers as files in
/// the blob folder (downloaded once, digest-checked).
/// </summary>
internal sealed class RebaseRegistry(RegistryClientOptions options, string blobDirectory) : IDisposable
{
    private readonly Dictionary<(string, RegistryRole), RegistryClient> _clients = [];

    public string BlobDirectory => blobDirectory;

    public RegistryClient Pull(string registry) => Client(registry, RegistryRole.Pull);
    public RegistryClient Push(string registry) => Client(registry, RegistryRole.Push);

    private RegistryClient Client(string registry, RegistryRole role)
    {
        lock (_clients)
        {
            if (!_clients.TryGetValue((registry, role), out var client))
                _clients[(registry, role)] = client = new RegistryClient(registry, options with { Role = role });
            return client;
        }
    }

    public Task<FetchedManifest> ManifestAsync(string registry, string repository, string reference, CancellationToken ct) =>
        Reads(registry).GetManifestAsync(repository, reference, ct);

    /// <summary>The image manifest for <paramref name="platform"/> behind <paramref name="fetched"/> (itself, or its index's entry), with its config.</summary>
    public async Task<PinnedImage> ImageAsync(string registry, string repository, FetchedManifest fetched, Platform? platform, CancellationToken ct)
    {
        var image = await Reads(registry).ResolveImageAsync(repository, fetched.Digest.ToString(), fetched, platform ?? Platform.LinuxAmd64, ct);
        return new PinnedImage(registry, repository, image.Manifest, image.ParsedManifest, image.Config, image.Index?.Digest);
    }

    /// <summary>Pull reads of <paramref name="registry"/>, manifests and configs by digest kept in the blob folder.</summary>
    private PinnedReadCache Reads(string registry) => new(Pull(registry), blobDirectory);

    /// <summary>Every layer of <paramref name="image"/> as a file (downloaded once into the blob folder), each described for the checked reader.</summary>
    public async Task<List<LayerFile>> LayerFilesAsync(PinnedImage image, CancellationToken ct)
    {
        var diffIds = image.Config.DiffIds;
        var files = new List<LayerFile>();
        var layers = image.Parsed.Layers ?? [];
        for (var i = 0; i < layers.Count; i++)
        {
            var layer = layers[i];
            var path = DeterministicLayerWriter.BlobPath(blobDirectory, layer.ParsedDigest);
            if (!File.Exists(path)) await Pull(image.Registry).DownloadBlobAsync(image.Repository, layer.ParsedDigest, path, ct);
            files.Add(new LayerFile(layer.Digest, path, layer.MediaType, layer.Size, i < diffIds.Count ? diffIds[i] : null));
        }
        return files;
    }

    public void Dispose()
    {
        foreach (var client in _clients.Values) client.Dispose();
    }
}
