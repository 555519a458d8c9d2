using System.IO.Pipelines;
using System.Runtime.ExceptionServices;
using Bakery.Core.Containers;
using Bakery.Oci.Archives;
using Bakery.Oci.Model;

namespace Bakery.Core.Baking.Destinations;

/// <summary>
/// Loads an image into an engine as <c>docker load</c> does, over its API: a docker-archive (the
/// format dockerd and podman both load, where only newer engines load OCI layouts) streamed straight
/// from the layer files into the request, never written to disk first.
/// </summary>
internal static class EngineLoad
{
    public static DockerArchiveImage Image(ImageComposer.Composed image, IReadOnlyList<(string Digest, string Path)> layers, IReadOnlyList<string> repoTags) =>
        new(ArchiveBlob.FromBytes(image.ConfigBytes), layers.Select(l => ArchiveBlob.FromFile(l.Path, Digest.Parse(l.Digest))).ToList(), repoTags);

    /// <summary>Loads the image unless the engine has it already (by config digest, its image ID); returns the ID and whether this call loaded it.</summary>
    public static async Task<(string Id, bool Loaded)> EnsureAsync(IContainerRuntime engine, DockerArchiveImage image, DateTimeOffset timestamp, CancellationToken ct)
    {
        var id = image.Config.Digest.ToString();
        if (await engine.HasImageAsync(id, ct)) return (id, false);
        return (await LoadAsync(engine, image, timestamp, ct), true);
    }

    public static async Task<string> LoadAsync(IContainerRuntime engine, DockerArchiveImage image, DateTimeOffset timestamp, CancellationToken ct)
    {
        var pipe = new Pipe(new PipeOptions(pauseWriterThreshold: 4 << 20, resumeWriterThreshold: 2 << 20));
        var writing = Task.Run(() =>
        {
            try
            {
                using var stream = pipe.Writer.AsStream();
                ImageArchiveWriter.WriteDocker(stream, [image], timestamp);
            }
            catch (Exception e)
            {
                pipe.Writer.Complete(e);
                throw;
            }
        }, CancellationToken.None);
        Exception? loadFailure = null;
        string? loaded = null;
        try
        {
            await using var reader = pipe.Reader.AsStream();
            loaded = await engine.LoadImageAsync(reader, ct);
        }
        catch (Exception e) { loadFailure = e; }
        await pipe.Reader.CompleteAsync();
        await writing; // a layer file that could not be read is the cause of a failed load: it is thrown first
        if (loadFailure is not null) ExceptionDispatchInfo.Throw(loadFailure);
        return loaded!;
    }

    /// <summary>Removes an image this bake loaded only to test or run it; one the engine already had stays.</summary>
    public static async Task RemoveQuietlyAsync(IContainerRuntime engine, string id)
    {
        try { await engine.RemoveImageAsync(id, CancellationToken.None); }
        catch (BakeryException) { } // the engine's prune removes an untagged leftover
    }
}
