using Bakery.Oci.Layers;
using Bakery.Oci.Model;
using Bakery.Oci.Registry;

namespace Bakery.Core.Baking;

/// <summary>
/// One platform's image in progress: the pinned base it starts from (the base index's image for the
/// platform), the layers added so far (local layers, RUN steps, the app) and what has been pushed.
/// <see cref="ImageBaker"/> drives one per platform; they share the bake's <see cref="BakeClients"/>.
/// </summary>
internal sealed class BakeSession : IDisposable
{
    private readonly BakeRequest _request;
    private readonly IBakeLog _log;
    private readonly CancellationToken _ct;
    private readonly BakeClients _clients;
    private readonly BlobPusher _pusher;
    private readonly LayerOptions _layerOptions;
    private readonly DeterministicLayerWriter _writer;
    private readonly LayerIndex _index;
    private readonly List<(string Name, LayerBlob Blob)> _added = [];
    private Containers.IContainerRuntime? _containers;
    private readonly Destinations.IImageDestination _destination;

    private BakeSession(BakeRequest request, BakeClients clients, IBakeLog log, CancellationToken ct)
    {
        _request = request;
        _clients = clients;
        _log = log;
        _ct = ct;
        Image = request.Destination.Name;
        BlobDirectory = Path.Combine(request.WorkDirectory, "blobs", "sha256");
        _destination = Destinations.ImageDestinations.For(this, request, log);
        _pusher = new BlobPusher(log);
        _layerOptions = new LayerOptions { ModificationTime = request.Created };
        _writer = new DeterministicLayerWriter(BlobDirectory, _layerOptions);
        _index = new LayerIndex(Path.Combine(request.WorkDirectory, "layer-index"), BlobDirectory);
    }

    /// <summary>The image's name where it goes: registry/repository for a push, the repository in an engine or archive.</summary>
    public string Image { get; }
    public string BlobDirectory { get; }
    public BakeRequest Request => _request;
    public ImageManifest BaseManifest { get; private set; } = new();
    public Digest BaseDigest { get; private set; }

    /// <summary>The base index the base image was taken from; null when the base is a single image.</summary>
    public Digest? BaseIndexDigest { get; private set; }
    public byte[] BaseConfig { get; private set; } = [];
    public Platform Platform { get; private set; } = Platform.LinuxAmd64;

    /// <summary>"registry/repository@digest (linux/arm64)" once composed: how messages name this platform's image.</summary>
    public string Describe(Digest digest) => IsPartOfIndex ? $"{Image}@{digest} ({Platform})" : $"{Image}@{digest}";

    /// <summary>This image is one platform of an index the bake makes.</summary>
    public bool IsPartOfIndex { get; init; }

    /// <summary>The manifest flavour the image keeps: Docker v2 on a Docker base, OCI otherwise.</summary>
    public string Flavour { get; private set; } = MediaTypes.OciManifest;

    public IReadOnlyList<(string Name, LayerBlob Blob)> Added => _added;
    public PushStatistics Pushed { get; private set; } = new(0, 0, 0, 0);
    private RegistryClient Target => _clients.Target;
    private RegistryClient BaseClient => _clients.Base;

    /// <summary>Where the verified image goes (ContainerRegistry, the local engine, ContainerArchiveOutputPath).</summary>
    internal Destinations.IImageDestination Destination => _destination;

    /// <summary>The client of the registry pushed to (signatures and attestations go there too).</summary>
    public IRegistryClient TargetClient => Target;

    /// <summary>Fetches the pinned base (an upstream is validated first: BAKE210).</summary>
    public static async Task<BakeSession> OpenAsync(BakeRequest request, BakeClients clients, IBakeLog log, CancellationToken ct, bool partOfIndex = false)
    {
        var session = new BakeSession(request, clients, log, ct) { IsPartOfIndex = partOfIndex };
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
        _log.Info(_request.Platform is { } asked && IsPartOfIndex ? $"Base image {baseRef} for {asked}" : $"Base image {baseRef}");
        var fetched = await BaseImageFetch.FetchAsync(BaseClient, _request, BlobDirectory, _ct);
        (BaseManifest, BaseDigest, BaseConfig, BaseIndexDigest) = (fetched.Manifest, fetched.Digest, fetched.Config, fetched.IndexDigest);
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

    /// <summary>The steps for this platform, then the app: every layer of the image below its config.</summary>
    public async Task AddStepsAsync()
    {
        foreach (var step in StepPlatforms.For(_request.Steps, Platform))
        {
            if (step is LocalLayer layer) await AddLayerAsync(layer);
            else await AddRunAsync((RunStep)step);
        }
        if (_request.AppDirectory is { } appDirectory) AddApp(appDirectory, _request.AppDestination);
    }

    public async Task AddLayerAsync(LocalLayer layer)
    {
        var sources = await ImageLayers.ResolveOwnersAsync(layer, BaseClient, _request.BaseImage.Reference.Repository, BaseManifest, _added, BlobDirectory, _request.WorkDirectory, _ct);
        _added.Add(($"layer {layer.Name}", ImageLayers.WriteLayer(_log, _writer, _index, _layerOptions, layer.Name, sources)));
    }

    /// <summary>
    /// BAKE212 when this platform has RUN steps and the container engine answers but cannot run the
    /// platform (no emulation). An engine that does not answer is left to the step that needs it (BAKE504).
    /// </summary>
    public async Task EnsureRunStepsCanRunAsync()
    {
        if (StepPlatforms.For(_request.Steps, Platform).OfType<RunStep>().FirstOrDefault() is not { } run) return;
        _containers ??= await _destination.EngineAsync(_ct);
        if (await _containers.UnavailableReasonAsync(_ct) is not null) return;
        await new Containers.RunStepExecutor(_containers, _log).EnsureCanRunAsync(Platform, run, _ct);
    }

    /// <summary>
    /// A RUN step's layer: reused when the same command ran on the same layers before; otherwise the
    /// image so far is pushed by digest, the command runs in a container of it (of this platform: under
    /// emulation on another architecture, BAKE212 when the engine cannot), and its changes become the layer.
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
            await runner.EnsureCanRunAsync(Platform, run, _ct);
            var soFar = Compose();
            var (image, pull) = await _destination.StageForRunAsync(soFar, _containers, _ct);
            var staging = Path.Combine(_request.WorkDirectory, "run-staging", key[..16]);
            try
            {
                var entries = await runner.RunAsync(image, run, staging, _ct, pull, Platform);
                blob = _writer.Write(entries);
            }
            finally
            {
                if (Directory.Exists(staging)) Directory.Delete(staging, recursive: true);
            }
            _index.Save(key, blob);
        }
        else _log.Info($"RUN {run.Display}{(IsPartOfIndex ? $" on {Platform}" : "")} (cached: {blob.Digest.Hex[..12]})");
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
    public ImageComposer.Composed Compose() => ImageComposer.Compose(BaseConfig, BaseManifest, [.. _added], _request, Flavour, BaseDigest, BaseIndexDigest);

    /// <summary>Every layer of the image as a local file, bottom first.</summary>
    public Task<List<(string Digest, string Path)>> LayerFilesAsync() =>
        ImageLayers.LayerFilesAsync(BaseClient, _request.BaseImage.Reference.Repository, BaseManifest, [.. _added], BlobDirectory, _ct);

    /// <summary>Pushes the missing blobs and the manifest by digest: reachable, but not tagged.</summary>
    public async Task PushByDigestAsync(ImageComposer.Composed image)
    {
        // A registry keeps every blob a manifest it holds names (it checks them when the manifest is put), so an image
        // already in the repository (a rebake of unchanged inputs) needs one HEAD instead of one per blob and a put.
        if (await ManifestInTargetAsync(image.Digest))
        {
            var blobs = (BaseManifest.Layers?.Count ?? 0) + _added.Count + 1;
            _log.Detail($"  {Image}@{image.Digest.Hex[..12]} already in {_request.TargetRepository}: its {blobs} blob(s) are there");
            Pushed = Pushed.Add(new PushStatistics(0, 0, blobs, 0));
            return;
        }
        Pushed = Pushed.Add(await _pusher.PushAsync(_request, BaseClient, Target, _clients.SameRegistry, BaseManifest, [.. _added], BlobDirectory,
            image.ConfigBytes, image.ConfigDigest, Image, _ct));
        await _clients.PutManifestAsync(image.Digest.ToString(), image.Bytes, Flavour);
    }

    private async Task<bool> ManifestInTargetAsync(Digest digest)
    {
        try
        {
            return await Target.ManifestExistsAsync(_request.TargetRepository, digest.ToString(), _ct);
        }
        catch (RegistryException e)
        {
            throw RegistryErrors.WhilePushing(e, Image);
        }
    }

    /// <summary>This image's descriptor, as an index or a referrer names it.</summary>
    public OciDescriptor Descriptor(ImageComposer.Composed image) =>
        new() { MediaType = Flavour, Digest = image.Digest.ToString(), Size = image.Bytes.Length };

    /// <summary>The image each of <paramref name="tags"/> names in the target repository now, for those that exist.</summary>
    public Task<IReadOnlyDictionary<string, Digest>> TaggedAsync(IEnumerable<string> tags) => _clients.TaggedAsync(tags);

    public Task TagAsync(ImageComposer.Composed image, IEnumerable<string> tags) => _clients.TagAsync(image.Bytes, Flavour, tags, _log);

    /// <summary>The SBOM travels with the image: an artifact that refers to it (referrers API or tag fallback). Returns its digest.</summary>
    public Task<string> PushSbomAsync(ImageComposer.Composed image, string sbomFile) => _clients.PushSbomAsync(Descriptor(image), sbomFile);

    /// <summary>The registry connections belong to the bake (<see cref="BakeClients"/>); the destination owns the engine RUN steps used.</summary>
    public void Dispose() => _destination.Dispose();
}
