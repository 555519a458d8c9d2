using Bakery.Oci.Layers;
using Bakery.Oci.Model;
using Bakery.Oci.Registry;

namespace Bakery.Core.Baking;

/// <summary>
/// One bake in progress: the pinned base it starts from, the layers added so far (local layers, RUN
/// steps, the app) and what has been pushed. <see cref="ImageBaker"/> drives it step by step.
/// </summary>
internal sealed class BakeSession : IDisposable
{
    private readonly BakeRequest _request;
    private readonly IBakeLog _log;
    private readonly CancellationToken _ct;
    private readonly RegistryClient _baseClient;
    private readonly RegistryClient? _target;
    private readonly bool _sameRegistry;
    private readonly BlobPusher _pusher;
    private readonly LayerOptions _layerOptions;
    private readonly DeterministicLayerWriter _writer;
    private readonly LayerIndex _index;
    private readonly List<(string Name, LayerBlob Blob)> _added = [];
    private Containers.IContainerRuntime? _containers;
    private readonly Destinations.IImageDestination _destination;

    private BakeSession(BakeRequest request, RegistryClientOptions options, IBakeLog log, CancellationToken ct)
    {
        _request = request;
        _log = log;
        _ct = ct;
        Image = request.Destination.Name;
        BlobDirectory = Path.Combine(request.WorkDirectory, "blobs", "sha256");
        // The base is pulled with the source registry's credentials, the image pushed with the push target's.
        _baseClient = new RegistryClient(request.BaseImage.Reference.Registry, options with { Role = RegistryRole.Pull });
        _sameRegistry = string.Equals(request.BaseImage.Reference.Registry, request.TargetRegistry, StringComparison.OrdinalIgnoreCase);
        // Only a push needs the target registry; an engine or an archive destination never talks to one.
        if (request.TargetRegistry is { } targetRegistry) _target = new RegistryClient(targetRegistry, options with { Role = RegistryRole.Push });
        _destination = Destinations.ImageDestinations.For(this, request, log);
        _pusher = new BlobPusher(log);
        _layerOptions = new LayerOptions { ModificationTime = request.Created };
        _writer = new DeterministicLayerWriter(BlobDirectory, _layerOptions);
        _index = new LayerIndex(Path.Combine(request.WorkDirectory, "layer-index"), BlobDirectory);
    }

    /// <summary>The image's name where it goes: registry/repository for a push, the repository in an engine or archive.</summary>
    public string Image { get; }
    public string BlobDirectory { get; }
    public ImageManifest BaseManifest { get; private set; } = new();
    public Digest BaseDigest { get; private set; }
    public byte[] BaseConfig { get; private set; } = [];
    public Platform Platform { get; private set; } = Platform.LinuxAmd64;

    /// <summary>The manifest flavour the image keeps: Docker v2 on a Docker base, OCI otherwise.</summary>
    public string Flavour { get; private set; } = MediaTypes.OciManifest;

    public IReadOnlyList<(string Name, LayerBlob Blob)> Added => _added;
    public PushStatistics Pushed { get; private set; } = new(0, 0, 0, 0);
    private RegistryClient Target => _target ?? throw new InvalidOperationException("Only a registry destination pushes.");

    /// <summary>Where the verified image goes (ContainerRegistry, the local engine, ContainerArchiveOutputPath).</summary>
    internal Destinations.IImageDestination Destination => _destination;

    /// <summary>The client of the registry pushed to (signatures and attestations go there too).</summary>
    public IRegistryClient TargetClient => Target;

    /// <summary>Fetches the pinned base (an upstream is validated first: BAKE210).</summary>
    public static async Task<BakeSession> OpenAsync(BakeRequest request, RegistryClientOptions options, IBakeLog log, CancellationToken ct)
    {
        var session = new BakeSession(request, options, log, ct);
        try
        {
            await session.FetchAsync();
            return session;
        }
        catch
        {
            session.Dispose();
            throw;
        }
    }

    private async Task FetchAsync()
    {
        var baseRef = _request.BaseImage.Reference;
        _log.Info($"Base image {baseRef}");
        (BaseManifest, BaseDigest, BaseConfig) = await FetchBaseAsync(_baseClient, _request, BlobDirectory, _ct);
        Flavour = Destinations.ImageFormats.ManifestMediaType(_request.ImageFormat)
            ?? (BaseManifest.MediaType == MediaTypes.DockerManifest ? MediaTypes.DockerManifest : MediaTypes.OciManifest);
        var config = ImageConfig.Parse(BaseConfig);
        if (_request.BaseImage.IsUpstream)
        {
            var facts = UpstreamValidator.Inspect(baseRef.ToString(), BaseManifest, config);
            if (!facts.IsValid) throw Messages.BAKE210(baseRef, string.Join("; ", facts.Problems)).Exception();
            _log.Info($"Upstream {facts.Platform}, created {facts.Created}, {facts.LayerCount} layer(s), {facts.CompressedSize:N0} bytes compressed, history of {facts.HistoryLength}");
        }
        Platform = config.Platform ?? _request.Platform ?? Platform.LinuxAmd64;
        // A single-platform base bakes only its own platform: never label an arm64 request as amd64.
        if (_request.Platform is { } wanted && !wanted.Matches(Platform))
            throw Messages.BAKE206(baseRef, wanted, Platform).Exception();
    }

    public async Task AddLayerAsync(LocalLayer layer)
    {
        var sources = await ImageLayers.ResolveOwnersAsync(layer, _baseClient, _request.BaseImage.Reference.Repository, BaseManifest, _added, BlobDirectory, _request.WorkDirectory, _ct);
        _added.Add(($"layer {layer.Name}", ImageLayers.WriteLayer(_log, _writer, _index, _layerOptions, layer.Name, sources)));
    }

    /// <summary>
    /// A RUN step's layer: reused when the same command ran on the same layers before; otherwise the
    /// image so far is pushed by digest, the command runs in a container of it, and its changes become the layer.
    /// </summary>
    public async Task AddRunAsync(RunStep run)
    {
        var key = RunStepCache.Key(BaseDigest, _added.Select(a => a.Blob.DiffId), run);
        var blob = _index.TryGet(key);
        if (blob is null)
        {
            _containers ??= await _destination.EngineAsync(_ct);
            var runner = new Containers.RunStepExecutor(_containers, _log);
            await runner.EnsureAvailableAsync(_ct);
            var soFar = Compose();
            var (image, pull) = await _destination.StageForRunAsync(soFar, _containers, _ct);
            var staging = Path.Combine(_request.WorkDirectory, "run-staging", key[..16]);
            try
            {
                var entries = await runner.RunAsync(image, run, staging, _ct, pull);
                blob = _writer.Write(entries);
            }
            finally
            {
                if (Directory.Exists(staging)) Directory.Delete(staging, recursive: true);
            }
            _index.Save(key, blob);
        }
        else _log.Info($"RUN {run.Display} (cached: {blob.Digest.Hex[..12]})");
        _added.Add(($"run {run.Display}", blob));
    }

    /// <summary>The published app as layers by change rate (<see cref="AppLayers"/>), or one layer with BakeryAppLayers=Single.</summary>
    public void AddApp(string directory, string destination)
    {
        IReadOnlyList<AppLayers.Group> groups;
        try
        {
            groups = AppLayers.Plan(directory, destination, _request.AppLayers, why => _log.Warning(Messages.BAKE443(directory, why).Warning()), _log.Detail);
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException or ArgumentException)
        {
            throw Messages.BAKE501("app", e.Message).Exception(e);
        }
        foreach (var group in groups)
            _added.Add((group.Name, ImageLayers.WriteLayer(_log, _writer, _index, _layerOptions, group.Name, group.Entries)));
    }

    /// <summary>The config and manifest of the base plus the layers added so far.</summary>
    public ImageComposer.Composed Compose() => ImageComposer.Compose(BaseConfig, BaseManifest, [.. _added], _request, Flavour, BaseDigest);

    /// <summary>Every layer of the image as a local file, bottom first.</summary>
    public Task<List<(string Digest, string Path)>> LayerFilesAsync() =>
        ImageLayers.LayerFilesAsync(_baseClient, _request.BaseImage.Reference.Repository, BaseManifest, [.. _added], BlobDirectory, _ct);

    /// <summary>Pushes the missing blobs and the manifest by digest: reachable, but not tagged.</summary>
    public async Task PushByDigestAsync(ImageComposer.Composed image)
    {
        Pushed = Pushed.Add(await _pusher.PushAsync(_request, _baseClient, Target, _sameRegistry, BaseManifest, [.. _added], BlobDirectory,
            image.ConfigBytes, image.ConfigDigest, Image, _ct));
        await PutManifestAsync(image.Digest.ToString(), image.Bytes);
    }

    /// <summary>The SBOM travels with the image: an artifact that refers to it (referrers API or tag fallback). Returns its digest.</summary>
    public async Task<string> PushSbomAsync(ImageComposer.Composed image, string sbomFile)
    {
        var subject = new OciDescriptor { MediaType = Flavour, Digest = image.Digest.ToString(), Size = image.Bytes.Length };
        var created = _request.Created.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", System.Globalization.CultureInfo.InvariantCulture);
        try
        {
            await Target.PushReferrerAsync(_request.TargetRepository, subject, Security.Sbom.ArtifactType,
                new SortedDictionary<string, string>(StringComparer.Ordinal) { ["org.opencontainers.image.created"] = created },
                _ct, (sbomFile, Security.Sbom.ArtifactType));
            return Digest.Compute(File.ReadAllBytes(sbomFile)).ToString();
        }
        catch (RegistryException e) { throw RegistryErrors.WhilePushing(e, Image); }
    }

    /// <summary>The image each of <paramref name="tags"/> names in the target repository now, for those that exist.</summary>
    public async Task<IReadOnlyDictionary<string, Digest>> TaggedAsync(IEnumerable<string> tags)
    {
        var found = new Dictionary<string, Digest>(StringComparer.Ordinal);
        try
        {
            foreach (var tag in tags)
                if (await Target.ManifestExistsAsync(_request.TargetRepository, tag, _ct))
                    found[tag] = (await Target.GetManifestAsync(_request.TargetRepository, tag, _ct)).Digest;
        }
        catch (RegistryException e) { throw RegistryErrors.WhilePushing(e, Image); }
        return found;
    }

    public async Task TagAsync(ImageComposer.Composed image, IEnumerable<string> tags)
    {
        foreach (var tag in tags)
        {
            await PutManifestAsync(tag, image.Bytes);
            _log.Info($"Tagged {Image}:{tag}");
        }
    }

    private async Task PutManifestAsync(string reference, byte[] bytes)
    {
        try { await Target.PutManifestAsync(_request.TargetRepository, reference, bytes, Flavour, _ct); }
        catch (RegistryException e) { throw RegistryErrors.WhilePushing(e, Image); }
    }

    public void Dispose()
    {
        _destination.Dispose(); // it owns the engine RUN steps used
        _target?.Dispose();
        _baseClient.Dispose();
    }

    private static async Task<(ImageManifest Manifest, Digest Digest, byte[] Config)> FetchBaseAsync(RegistryClient client, BakeRequest request, string blobDirectory, CancellationToken ct)
    {
        var baseRef = request.BaseImage.Reference;
        var pinned = baseRef.Digest?.ToString() ?? baseRef.Reference;
        try
        {
            var pinnedContent = new PinnedContent(client, baseRef.Repository, blobDirectory);
            var fetched = baseRef.Digest is { } byDigest
                ? await pinnedContent.ManifestAsync(byDigest, ct)
                : await client.GetManifestAsync(baseRef.Repository, baseRef.Reference, ct);
            var manifest = fetched.Parse();
            var digest = fetched.Digest;
            if (MediaTypes.IsIndex(fetched.MediaType) || manifest.Manifests is not null)
            {
                var wanted = request.Platform ?? Platform.LinuxAmd64;
                var match = manifest.ManifestFor(wanted)
                    ?? throw Messages.BAKE206(baseRef, wanted, string.Join(", ", manifest.Platforms)).Exception();
                var child = await pinnedContent.ManifestAsync(match.ParsedDigest, ct);
                manifest = child.Parse();
                digest = child.Digest;
            }
            if (manifest.Config is null || !MediaTypes.IsManifest(manifest.MediaType ?? fetched.MediaType))
                throw Messages.BAKE208(baseRef, $"its manifest has media type '{manifest.MediaType ?? fetched.MediaType}', which is not an image manifest").Exception();
            var config = await pinnedContent.BlobAsync(manifest.Config.ParsedDigest, ct);
            return (manifest with { MediaType = manifest.MediaType ?? fetched.MediaType }, digest, config);
        }
        catch (RegistryException e)
        {
            throw RegistryErrors.WhileResolvingBase(e, baseRef.ToString(), pinned);
        }
    }
}
