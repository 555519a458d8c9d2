using Bakery.Oci.Model;
using Bakery.Oci.Registry;

namespace Bakery.Core.Baking;

/// <summary>
/// The registry connections of one bake, shared by the sessions of all its platforms (one token per
/// scope, one connection pool): the base is pulled with the source registry's credentials, the image
/// pushed with the push target's. What is pushed once per bake (the index, the tags) goes through here.
/// </summary>
internal sealed class BakeClients : IDisposable
{
    private readonly BakeRequest _request;
    private readonly CancellationToken _ct;

    public BakeClients(BakeRequest request, RegistryClientOptions options, CancellationToken ct)
    {
        _request = request;
        _ct = ct;
        Image = request.Destination.Name;
        Base = new RegistryClient(request.BaseImage.Reference.Registry, options with { Role = RegistryRole.Pull });
        SameRegistry = string.Equals(request.BaseImage.Reference.Registry, request.TargetRegistry, StringComparison.OrdinalIgnoreCase);
        // Only a push needs the target registry; an engine or an archive destination never talks to one.
        if (request.TargetRegistry is { } targetRegistry) _target = new RegistryClient(targetRegistry, options with { Role = RegistryRole.Push });
    }

    private readonly RegistryClient? _target;

    /// <summary>The image's name where it goes: registry/repository for a push, the repository in an engine or archive.</summary>
    public string Image { get; }
    public RegistryClient Base { get; }
    public RegistryClient Target => _target ?? throw new InvalidOperationException("Only a registry destination pushes.");
    public bool SameRegistry { get; }

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

    /// <summary>Puts a manifest or index under its digest or a tag.</summary>
    public async Task PutManifestAsync(string reference, byte[] bytes, string mediaType)
    {
        try { await Target.PutManifestAsync(_request.TargetRepository, reference, bytes, mediaType, _ct); }
        catch (RegistryException e) { throw RegistryErrors.WhilePushing(e, Image); }
    }

    /// <summary>An SBOM travels with what it describes: an artifact that refers to it (referrers API or tag fallback). Returns the SBOM's digest.</summary>
    public async Task<string> PushSbomAsync(OciDescriptor subject, string sbomFile)
    {
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

    public async Task TagAsync(byte[] bytes, string mediaType, IEnumerable<string> tags, IBakeLog log)
    {
        foreach (var tag in tags)
        {
            await PutManifestAsync(tag, bytes, mediaType);
            log.Info($"Tagged {Image}:{tag}");
        }
    }

    public void Dispose()
    {
        _target?.Dispose();
        Base.Dispose();
    }
}
