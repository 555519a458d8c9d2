using Bakery.Core.Containers;
using Bakery.Oci.Archives;
using Bakery.Oci.Model;

namespace Bakery.Core.Baking.Destinations;

/// <summary>
/// ContainerArchiveOutputPath: the image as a tarball for scanners, kind and air-gapped hand-off — a
/// docker-archive, or an OCI image layout with ContainerImageFormat=OCI (its manifest and digest as a
/// push would make them; <c>bakery push</c> pushes either). Written to a temporary file beside the
/// target and moved over it only after the command tests passed, so a failed bake leaves no file and
/// never half of one. Command tests load the image into the engine that answers, as <c>bakery verify</c>
/// of an archive does, or are skipped per BakeryRunCommandTests.
/// </summary>
internal sealed class ArchiveDestination(BakeSession session, BakeRequest request, IBakeLog log) : IImageDestination
{
    /// <summary>All the tags, where an OCI layout's one index entry has room for one ref name.</summary>
    public const string TagsAnnotation = "dev.bakery.image.tags";
    private IContainerRuntime? _engine;

    public Task<IReadOnlyDictionary<string, Digest>> TaggedAsync(IReadOnlyList<string> tags, CancellationToken ct) =>
        Task.FromResult<IReadOnlyDictionary<string, Digest>>(new Dictionary<string, Digest>());

    public Task<IContainerRuntime> EngineAsync(CancellationToken ct) => Task.FromResult(_engine ??= ImageDestinations.EnvironmentEngine(request.Destination.Engine));

    public async Task<(string Image, bool Pull)> StageForRunAsync(ImageComposer.Composed image, IContainerRuntime engine, CancellationToken ct) =>
        (await EngineLoad.LoadAsync(engine, EngineLoad.Image(image, await session.LayerFilesAsync(), []), request.Created, ct), false);

    public async Task<Delivered> DeliverAsync(ImageComposer.Composed image, IReadOnlyList<string> tags, CommandTests? commandTests, CancellationToken ct)
    {
        var destination = request.Destination;
        var path = destination.ArchivePath!;
        var layers = await session.LayerFilesAsync();
        var references = tags.Select(t => $"{destination.Repository}:{t}").ToList();
        var format = destination.ArchiveFormat == ImageArchiveFormat.Oci ? "oci-layout" : "docker-archive";
        var temporary = Path.Combine(Path.GetDirectoryName(path)!, $".{Path.GetFileName(path)}.tmp-{Guid.NewGuid():N}");
        try
        {
            try
            {
                Directory.CreateDirectory(Path.GetDirectoryName(path)!);
                await using (var file = new FileStream(temporary, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 16))
                {
                    Stream output = file;
                    await using var gzip = ImageArchiveWriter.IsCompressedName(path) ? new System.IO.Compression.GZipStream(file, System.IO.Compression.CompressionLevel.Fastest, leaveOpen: true) : null;
                    if (gzip is not null) output = gzip;
                    if (destination.ArchiveFormat == ImageArchiveFormat.Oci)
                        ImageArchiveWriter.WriteOci(output, [(Root(image, tags), tags.Count > 0 ? tags[0] : null)], Blobs(image, layers), request.Created,
                            [EngineLoad.Image(image, layers, references)]);
                    else
                        ImageArchiveWriter.WriteDocker(output, [EngineLoad.Image(image, layers, references)], request.Created);
                }
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                throw Messages.BAKE441(path, e.Message.TrimEnd('.')).Exception(e);
            }
            if (commandTests is not null) await commandTests(TestImage(image, layers));
            try { File.Move(temporary, path, overwrite: true); }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                throw Messages.BAKE441(path, e.Message.TrimEnd('.')).Exception(e);
            }
        }
        finally
        {
            if (File.Exists(temporary)) File.Delete(temporary);
        }
        log.Info($"Wrote {path} ({format}, {Reports.BakeReportWriter.FormatBytes(new FileInfo(path).Length)}): {string.Join(", ", references)}");
        return new Delivered(new DestinationReport("archive", path, references, null, format), null);
    }

    /// <summary>
    /// A multi-platform bake's OCI layout: every platform's layers, config and manifest and the index over
    /// them, the index as the layout's one entry (named as <see cref="Root"/> names an image). Written whole
    /// or not at all, after every platform passed its gates and command tests.
    /// </summary>
    public static async Task<DestinationReport> WriteIndexAsync(BakeRequest request, IReadOnlyList<(BakeSession Session, ImageComposer.Composed Image)> images,
        OciDescriptor index, byte[] indexBytes, IBakeLog log)
    {
        var destination = request.Destination;
        var path = destination.ArchivePath!;
        var blobs = new List<ArchiveBlob>();
        foreach (var (session, image) in images) blobs.AddRange(Blobs(image, await session.LayerFilesAsync()));
        blobs.Add(ArchiveBlob.FromBytes(indexBytes));
        var tags = request.Tags;
        try
        {
            ImageArchiveWriter.WriteFile(path, output =>
                ImageArchiveWriter.WriteOci(output, [(index with { Annotations = RootAnnotations(destination.Repository, tags) }, tags.Count > 0 ? tags[0] : null)], blobs, request.Created));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw Messages.BAKE441(path, e.Message.TrimEnd('.')).Exception(e);
        }
        var references = tags.Select(t => $"{destination.Repository}:{t}").ToList();
        log.Info($"Wrote {path} (oci-layout, an index of {images.Count} platform(s), {Reports.BakeReportWriter.FormatBytes(new FileInfo(path).Length)}): {string.Join(", ", references)}");
        return new DestinationReport("archive", path, references, null, "oci-layout");
    }

    /// <summary>The index entry of an OCI layout: the manifest, its first tag as ref name (docker's convention), the full name for containerd, every tag for bakery push.</summary>
    private OciDescriptor Root(ImageComposer.Composed image, IReadOnlyList<string> tags) =>
        new() { MediaType = session.Flavour, Digest = image.Digest.ToString(), Size = image.Bytes.Length, Annotations = RootAnnotations(request.Destination.Repository, tags) };

    private static SortedDictionary<string, string> RootAnnotations(string repository, IReadOnlyList<string> tags)
    {
        var annotations = new SortedDictionary<string, string>(StringComparer.Ordinal);
        if (tags.Count > 0)
        {
            annotations["io.containerd.image.name"] = $"{repository}:{tags[0]}";
            annotations[TagsAnnotation] = string.Join(',', tags);
        }
        return annotations;
    }

    private static IEnumerable<ArchiveBlob> Blobs(ImageComposer.Composed image, IReadOnlyList<(string Digest, string Path)> layers) =>
        layers.Select(l => ArchiveBlob.FromFile(l.Path, Digest.Parse(l.Digest)))
            .Append(ArchiveBlob.FromBytes(image.ConfigBytes))
            .Append(ArchiveBlob.FromBytes(image.Bytes));

    /// <summary>Command tests of an archive run on the image loaded from it (as a docker-archive, which every engine loads); the engine keeps nothing it did not have.</summary>
    /// <summary>One platform's image of a multi-platform layout, for its command tests.</summary>
    public async Task<Verification.CommandTestImage> TestImageAsync(ImageComposer.Composed image) => TestImage(image, await session.LayerFilesAsync());

    private Verification.CommandTestImage TestImage(ImageComposer.Composed image, IReadOnlyList<(string Digest, string Path)> layers)
    {
        var loadedHere = false;
        return new Verification.CommandTestImage(request.Destination.ArchivePath!, async (engine, ct) =>
        {
            var (id, loaded) = await EngineLoad.EnsureAsync(engine, EngineLoad.Image(image, layers, []), request.Created, ct);
            loadedHere = loaded;
            return id;
        })
        {
            Runtime = request.Destination.Engine is null ? null : ImageDestinations.EnvironmentEngine(request.Destination.Engine),
            DisposeRuntime = true,
            Release = async (engine, id) => { if (loadedHere) await EngineLoad.RemoveQuietlyAsync(engine, id); },
        };
    }

    public void Dispose() => _engine?.Dispose();
}
