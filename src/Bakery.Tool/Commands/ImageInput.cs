using Bakery.Core;
using Bakery.Core.Baking;
using Bakery.Core.Security;
using Bakery.Core.Verification;
using Bakery.Core.Descriptors;
using Bakery.Oci.Archives;
using Bakery.Oci.Registry;

namespace Bakery.Tool.Commands;

/// <summary>
/// The image a verify or scan command works on, as local files: a registry image (blobs cached
/// under the user's cache folder) or a docker-archive / OCI-layout tar (unpacked to a temp folder
/// that goes away with this object).
/// </summary>
internal sealed class ImageInput : IDisposable
{
    private static readonly TimeSpan CacheLifetime = TimeSpan.FromDays(14);
    private readonly string? _unpacked;
    private IReadOnlyList<BakeryDiagnostic> _layerWarnings = [];

    private ImageInput(LocalImage image, BaseImageDescriptor? descriptor, string? unpacked)
    {
        Image = image;
        Descriptor = descriptor;
        _unpacked = unpacked;
    }

    public LocalImage Image { get; }
    public BaseImageDescriptor? Descriptor { get; }

    /// <summary>Where layer file indexes are kept between runs.</summary>
    public static string IndexCache => Path.Combine(CacheRoot, "fs-index");

    public const string ArgumentHelp =
        "registry/repository@sha256:…, registry/repository:tag, PackageId/Version, or a docker-archive / OCI-layout tar (a file path).";

    /// <summary>The image's platform, as its configuration states it.</summary>
    public Oci.Model.Platform? Platform => Image.Config.Platform;

    /// <summary>
    /// One input per platform image: every image of an index, or only <paramref name="platform"/> (BAKE344
    /// when the index lacks it); a single image or archive is one input, which must be of that platform.
    /// </summary>
    public static async Task<IReadOnlyList<ImageInput>> LoadPlatformsAsync(string argument, Oci.Model.Platform? platform, CancellationToken ct)
    {
        if (ArchivePath(argument) is not null)
        {
            // An OCI layout of an index opens as the platform asked for (linux/amd64 when none is).
            var archive = await LoadAsync(argument, ct, platform);
            try { PlatformImages.EnsureIs(archive.Image.Display, archive.Platform, platform); }
            catch { archive.Dispose(); throw; }
            return [archive];
        }
        var (reference, descriptor) = await ToolContext.ResolveAsync(argument, ct);
        using var client = new RegistryClient(reference.Registry, ToolContext.RegistryOptions());
        var platforms = await PlatformImages.SelectAsync(client, reference, platform, ct);
        var blobs = Path.Combine(CacheRoot, "blobs");
        PruneCache(blobs);
        if (platforms is null)
        {
            var single = new ImageInput(await ImageDownloader.DownloadAsync(client, reference, blobs, ct: ct), descriptor, null);
            PlatformImages.EnsureIs(single.Image.Display, single.Platform, platform);
            return [single];
        }
        var inputs = new List<ImageInput>();
        foreach (var each in platforms)
            inputs.Add(new ImageInput(await ImageDownloader.DownloadAsync(client, reference, blobs, each, ct), descriptor, null));
        return inputs;
    }

    public static async Task<ImageInput> LoadAsync(string argument, CancellationToken ct, Oci.Model.Platform? platform = null)
    {
        if (ArchivePath(argument) is { } archive)
        {
            var unpacked = Path.Combine(Path.GetTempPath(), "bakery-archive-" + Guid.NewGuid().ToString("N"));
            try
            {
                return new ImageInput(ImageArchive.Open(archive, unpacked, platform), null, unpacked);
            }
            catch (Exception e)
            {
                RemoveQuietly(unpacked);
                if (e is ImageArchiveException archiveError)
                    throw Messages.BAKE310(archiveError.Archive, archiveError.Problem).Exception(e);
                throw;
            }
        }
        var (reference, descriptor) = await ToolContext.ResolveAsync(argument, ct);
        using var client = new RegistryClient(reference.Registry, ToolContext.RegistryOptions());
        var blobs = Path.Combine(CacheRoot, "blobs");
        PruneCache(blobs);
        return new ImageInput(await ImageDownloader.DownloadAsync(client, reference, blobs, ct: ct), descriptor, null);
    }

    /// <summary>
    /// The image's merged filesystem (every layer checked against its media type, size and diff id);
    /// a refused layer is BAKE320–BAKE323, and the hazards of accepted layers are printed as warnings
    /// and kept for the report.
    /// </summary>
    public ImageFilesystem LoadFilesystem(bool quiet)
    {
        var fs = ImageFilesystem.Load(Image.Layers, IndexCache, Image.Display);
        _layerWarnings = LayerHazardWarnings.For(fs, Image.Display);
        if (!quiet) foreach (var warning in _layerWarnings) Console.Error.WriteLine($"warning {warning.Code}: {warning.Message}");
        return fs;
    }

    /// <summary>The report the tool writes: a bake report of an image that was only checked, not baked.</summary>
    public BakeResult Report(IReadOnlyList<CheckResult> checks, GateResult? gate = null, int sbomComponents = 0) => new()
    {
        Outcome = checks.All(c => c.Passed) && gate is not { Blocking.Count: > 0 } ? BakeOutcome.Passed : BakeOutcome.Failed,
        Image = Image.Name,
        Digest = Image.ManifestDigest?.ToString() ?? "",
        MediaType = Image.MediaType,
        ConfigDigest = Image.ConfigDigest.ToString(),
        Tags = [],
        BaseImage = "",
        BaseDigest = "",
        BasePackage = Descriptor is null ? null : $"{Descriptor.Id} {Descriptor.Version}",
        Lineage = Descriptor?.Lineage ?? [],
        Layers = Image.Layers.Select((l, i) => new LayerReport($"layer {i + 1}", l.Digest, new FileInfo(l.Path).Length, "image")).ToList(),
        Push = new PushStatistics(0, 0, 0, 0),
        Platform = Image.Config.Platform ?? new Oci.Model.Platform { Os = Image.Config.Os ?? "unknown", Architecture = Image.Config.Architecture ?? "unknown" },
        Checks = checks,
        SbomComponents = sbomComponents,
        Vulnerabilities = gate is null ? [] : [.. gate.Below, .. gate.Allowed.Select(a => a.Finding)],
        BlockingVulnerabilities = gate?.Blocking ?? [],
        LayerWarnings = _layerWarnings,
    };

    public void Dispose()
    {
        if (_unpacked is not null) RemoveQuietly(_unpacked);
    }

    private static void RemoveQuietly(string directory)
    {
        try
        {
            if (Directory.Exists(directory)) Directory.Delete(directory, recursive: true);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            Console.Error.WriteLine($"bakery: could not remove the temporary folder {directory}: {e.Message}");
        }
    }

    /// <summary>An existing file, or something that names one (a tar suffix or a docker-archive:/oci-archive: prefix).</summary>
    private static string? ArchivePath(string argument)
    {
        foreach (var prefix in new[] { "docker-archive:", "oci-archive:" })
            if (argument.StartsWith(prefix, StringComparison.Ordinal)) return Path.GetFullPath(argument[prefix.Length..]);
        if (File.Exists(argument) || argument.EndsWith(".tar", StringComparison.OrdinalIgnoreCase)
            || argument.EndsWith(".tar.gz", StringComparison.OrdinalIgnoreCase) || argument.EndsWith(".tgz", StringComparison.OrdinalIgnoreCase))
            return Path.GetFullPath(argument);
        return null;
    }

    private static string CacheRoot =>
        Path.Combine(Environment.GetEnvironmentVariable("XDG_CACHE_HOME") is { Length: > 0 } xdg
            ? xdg : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".cache"), "bakery");

    /// <summary>Blobs are content-addressed and re-downloadable: drop those nobody used for two weeks.</summary>
    private static void PruneCache(string blobs)
    {
        if (!Directory.Exists(blobs)) return;
        foreach (var file in new DirectoryInfo(blobs).EnumerateFiles())
            if (DateTime.UtcNow - file.LastAccessTimeUtc > CacheLifetime && DateTime.UtcNow - file.LastWriteTimeUtc > CacheLifetime)
                file.Delete();
    }
}
