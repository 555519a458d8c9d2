using Bakery.Oci.Layers;
using Bakery.Oci.Model;
using Bakery.Oci.Registry;

namespace Bakery.Core.Baking;

/// <summary>The image's layers as files: base layers fetched once into the blob folder, local layers written (or reused) deterministically.</summary>
internal static class ImageLayers
{
    /// <summary>Every layer as a local file, bottom first: base layers are downloaded (digest-checked) once into the blob folder.</summary>
    public static async Task<List<(string Digest, string Path)>> LayerFilesAsync(RegistryClient baseClient, string baseRepository, ImageManifest baseManifest,
        List<(string Name, LayerBlob Blob)> added, string blobDirectory, CancellationToken ct)
    {
        var files = new List<(string, string)>();
        try
        {
            foreach (var layer in baseManifest.Layers ?? [])
            {
                var path = DeterministicLayerWriter.BlobPath(blobDirectory, layer.ParsedDigest);
                if (!File.Exists(path)) await baseClient.DownloadBlobAsync(baseRepository, layer.ParsedDigest, path, ct);
                files.Add((layer.Digest, path));
            }
        }
        catch (RegistryException e)
        {
            throw RegistryErrors.WhileResolvingBase(e, $"{baseClient.Registry}/{baseRepository}", "");
        }
        files.AddRange(added.Select(a => (a.Blob.Digest.ToString(), a.Blob.Path)));
        return files;
    }

    /// <summary>
    /// The layer files with what the image says about them, so the reader checks each: base layers
    /// against the base manifest (media type, size) and config (diff id), added layers against the
    /// diff id they were written with.
    /// </summary>
    public static List<LayerFile> Describe(List<(string Digest, string Path)> files, BakeSession session)
    {
        var baseLayers = session.BaseManifest.Layers ?? [];
        var diffIds = ImageConfig.Parse(session.BaseConfig).DiffIds;
        var added = session.Added;
        return files.Select((f, i) => i < baseLayers.Count
            ? new LayerFile(f.Digest, f.Path, baseLayers[i].MediaType, baseLayers[i].Size, i < diffIds.Count ? diffIds[i] : null)
            : i - baseLayers.Count < added.Count
                ? new LayerFile(f.Digest, f.Path, null, added[i - baseLayers.Count].Blob.Size, added[i - baseLayers.Count].Blob.DiffId.ToString())
                : new LayerFile(f.Digest, f.Path)).ToList();
    }

    /// <summary>
    /// Hazards of the layers this bake added are warnings (BAKE325–BAKE327); those of inherited
    /// layers were the base's bake's business and are only counted, but all go in the report.
    /// </summary>
    public static IReadOnlyList<BakeryDiagnostic> ReportHazards(IBakeLog log, Verification.ImageFilesystem fs, string image, int baseLayerCount)
    {
        var all = Verification.LayerHazardWarnings.For(fs, image);
        foreach (var warning in Verification.LayerHazardWarnings.For(fs, image, layer => layer >= baseLayerCount)) log.Warning(warning);
        var inherited = fs.Hazards.Count(h => h.Layer < baseLayerCount);
        if (inherited > 0) log.Detail($"Base layers: {inherited} notable entr(ies) (setuid, special files, …), listed in the report");
        return all;
    }

    /// <summary>
    /// Numeric owners are already in the sources; names are looked up in the image so far (base layers
    /// and the layers added before this one), as COPY --chown does.
    /// </summary>
    public static async Task<IReadOnlyList<LayerSource>> ResolveOwnersAsync(LocalLayer layer, RegistryClient baseClient, string baseRepository,
        ImageManifest baseManifest, List<(string Name, LayerBlob Blob)> added, string blobDirectory, string workDirectory, CancellationToken ct)
    {
        if (layer.Sources.All(s => s.OwnerName is null)) return layer.Sources.Select(s => s.Source).ToList();
        var files = await LayerFilesAsync(baseClient, baseRepository, baseManifest, added, blobDirectory, ct);
        var fs = Verification.ImageFilesystem.Load(files.Select(f => new LayerFile(f.Digest, f.Path)).ToList(), Path.Combine(workDirectory, "fs-index"), $"{baseClient.Registry}/{baseRepository}");
        string? Read(string path) => fs.Resolve(path) is { } node && fs.ReadFile(node) is { } bytes ? System.Text.Encoding.UTF8.GetString(bytes) : null;
        var accounts = ImageAccounts.Parse(Read("/etc/passwd"), Read("/etc/group"));
        return layer.Sources.Select(s =>
        {
            if (s.OwnerName is null) return s.Source;
            var owner = accounts.Resolve(s.OwnerName, out var problem)
                ?? throw Messages.BAKE501(s.Source.SourcePath, $"Owner '{s.OwnerName}': {problem}.").Exception();
            return s.Source with { Uid = owner.Uid, Gid = owner.Gid };
        }).ToList();
    }

    /// <summary>Writes a layer, or reuses the blob written last time for exactly these inputs.</summary>
    public static LayerBlob WriteLayer(IBakeLog log, DeterministicLayerWriter writer, LayerIndex index, LayerOptions options, string name, IReadOnlyList<LayerSource> sources)
    {
        IReadOnlyList<LayerPlan.Entry> entries;
        try { entries = LayerPlan.Expand(sources); }
        catch (Exception e) when (e is FileNotFoundException or ArgumentException)
        {
            throw Messages.BAKE501(name, e.Message).Exception(e);
        }
        return WriteLayer(log, writer, index, options, name, entries);
    }

    /// <summary>Writes a layer of planned entries, or reuses the blob written for the same entries (paths, modes, sources' sizes and times) before.</summary>
    public static LayerBlob WriteLayer(IBakeLog log, DeterministicLayerWriter writer, LayerIndex index, LayerOptions options, string name, IReadOnlyList<LayerPlan.Entry> entries)
    {
        try
        {
            var key = LayerIndex.KeyOf(entries, options);
            if (index.TryGet(key) is { } cached)
            {
                log.Detail($"Layer {name}: {cached.Digest} (unchanged)");
                return cached;
            }
            var blob = writer.Write(entries);
            index.Save(key, blob);
            log.Detail($"Layer {name}: {blob.Digest} ({blob.Size} bytes, {blob.EntryCount} entries)");
            return blob;
        }
        catch (Exception e) when (e is FileNotFoundException or ArgumentException)
        {
            throw Messages.BAKE501(name, e.Message).Exception(e);
        }
    }
}
