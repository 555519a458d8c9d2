using System.Security.Cryptography;
using Bakery.Core.Verification;
using Bakery.Oci.Archives;
using Bakery.Oci.Layers;
using Bakery.Tests.Infrastructure;
using Docker.DotNet;
using Docker.DotNet.Models;

namespace Bakery.Tests.Integration;

/// <summary>
/// The merged view against what a container of the image really holds: the image is loaded into
/// dockerd, a container is created (never started) and `docker export`ed, and every path is
/// compared (type, mode, owner, link target, content hash). Docker's own additions to a container
/// (its init layer: /.dockerenv, /etc/hostname, /etc/hosts, /etc/resolv.conf, /etc/mtab, the /proc,
/// /sys and /dev mount points) are listed explicitly and excluded; any other difference fails, except
/// where a case documents that dockerd's overlay2 graphdriver departs from containerd's applier, which
/// the view follows (then the difference must be exactly the documented one: it is reported, not hidden).
/// </summary>
[TestClass]
[TestCategory("Integration")]
public sealed class MergedViewDifferentialTests
{
    /// <summary>What dockerd adds to every container (daemon/initlayer), with the directories it creates for them.</summary>
    private static readonly string[] DockerInitPaths =
        [".dockerenv", "etc/hostname", "etc/hosts", "etc/resolv.conf", "etc/mtab", "proc", "sys", "dev", "dev/console", "dev/pts", "dev/shm"];

    private static readonly string[] DockerInitParents = ["etc", "dev"];

    private string _dir = null!;

    [TestInitialize]
    public void Create() => _dir = TestPaths.NewTempDirectory("differential");

    [TestCleanup]
    public void Delete() => Directory.Delete(_dir, recursive: true);

    [TestMethod]
    [RequiresDockerDaemon]
    public async Task Every_accepted_multi_layer_corpus_case_is_what_a_container_sees()
    {
        using var docker = RequiresDockerImageAttribute.CreateClient();
        var failures = new List<string>();
        var divergent = new List<string>();
        var cases = LayerCorpus.All.Where(c => c.Verdict != Verdict.Refuse && c.Layers.Count > 1).ToList();
        Assert.IsGreaterThanOrEqualTo(15, cases.Count);
        foreach (var c in cases)
        {
            var archive = CorpusImages.WriteDockerArchive(c, Path.Combine(_dir, $"case-{Guid.NewGuid():N}.tar"), $"bakery-differential/{Guid.NewGuid():N}:1");
            var differences = await CompareAsync(docker, archive, LayerCorpus.Limits);
            if (c.DockerDiffers is not null)
            {
                if (differences.Count == 0) failures.Add($"{c.Name}: documented as differing ({c.DockerDiffers}) but dockerd agrees; remove the note");
                else divergent.Add($"{c.Name}: {c.DockerDiffers}: {string.Join("; ", differences.Take(4))}");
            }
            else if (differences.Count > 0) failures.Add($"{c.Name}:\n    " + string.Join("\n    ", differences.Take(20)));
        }
        foreach (var d in divergent) Console.WriteLine("known dockerd/overlay2 divergence: " + d);
        Assert.IsEmpty(failures, string.Join("\n", failures));
    }

    [TestMethod]
    [RequiresDockerDaemon]
    public async Task An_image_of_many_layers_is_what_a_container_sees()
    {
        using var docker = RequiresDockerImageAttribute.CreateClient();
        var image = ManyLayers.Build(layerCount: 48, seed: 14);
        var archive = CorpusImages.WriteDockerArchive(image, Path.Combine(_dir, "many.tar"), $"bakery-differential/many-{Guid.NewGuid():N}:1");
        var differences = await CompareAsync(docker, archive, new LayerReadLimits());
        Assert.IsEmpty(differences, string.Join("\n", differences.Take(40)));
    }

    [TestMethod]
    [RequiresDockerImage(RequiresDockerImageAttribute.RuntimeBase)]
    public async Task The_sample_runtime_base_is_what_a_container_sees() =>
        await CompareRealImageAsync(RequiresDockerImageAttribute.Image(RequiresDockerImageAttribute.RuntimeBase));

    [TestMethod]
    [RequiresDockerImage(RequiresDockerImageAttribute.Upstream)]
    public async Task The_debian_upstream_with_merged_usr_is_what_a_container_sees() =>
        await CompareRealImageAsync(RequiresDockerImageAttribute.Image(RequiresDockerImageAttribute.Upstream));

    private async Task CompareRealImageAsync(string reference)
    {
        using var docker = RequiresDockerImageAttribute.CreateClient();
        var at = reference.IndexOf('@');
        await docker.Images.CreateImageAsync(new ImagesCreateParameters { FromImage = reference[..at], Tag = reference[(at + 1)..] }, null, new Progress<JSONMessage>());
        var archive = Path.Combine(_dir, "real.tar");
        await using (var saved = await docker.Images.SaveImageAsync(reference))
        await using (var file = File.Create(archive))
            await saved.CopyToAsync(file);
        var differences = await CompareAsync(docker, archive, new LayerReadLimits(), load: false, imageName: reference);
        Assert.IsEmpty(differences, string.Join("\n", differences.Take(40)));
    }

    /// <summary>Loads (or uses) the image, exports a created container and lists every difference from the merged view.</summary>
    private async Task<List<string>> CompareAsync(DockerClient docker, string archive, LayerReadLimits limits, bool load = true, string? imageName = null)
    {
        var work = Path.Combine(_dir, "open-" + Guid.NewGuid().ToString("N")[..8]);
        var image = ImageArchive.Open(archive, work);
        var fs = ImageFilesystem.Load(image.Layers, Path.Combine(work, "index"), image.Display, limits);
        var tag = imageName ?? image.Name;
        if (load)
        {
            var messages = new Messages();
            await using (var stream = File.OpenRead(archive))
                await docker.Images.LoadImageAsync(new ImageLoadParameters { Quiet = true }, stream, messages);
            if (messages.Error is { } error) return [$"dockerd refused to load the image: {error}"];
        }
        var container = await docker.Containers.CreateContainerAsync(new CreateContainerParameters
        {
            Image = tag,
            Cmd = ["/nonexistent"],
            NetworkDisabled = true,
            HostConfig = new HostConfig { NetworkMode = "none" },
        });
        Dictionary<string, Entry> exported;
        try
        {
            // The engine client's response stream only reads asynchronously; the tar reader reads synchronously.
            var exportPath = Path.Combine(work, "export.tar");
            await using (var export = await docker.Containers.ExportContainerAsync(container.ID))
            await using (var file = File.Create(exportPath))
                await export.CopyToAsync(file);
            using (var file = File.OpenRead(exportPath))
                exported = ReadExport(file);
        }
        finally
        {
            await docker.Containers.RemoveContainerAsync(container.ID, new ContainerRemoveParameters { Force = true });
            if (load) await docker.Images.DeleteImageAsync(tag, new ImageDeleteParameters { Force = true });
        }
        return Differences(fs, exported);
    }

    private sealed class Messages : IProgress<JSONMessage>
    {
        public string? Error { get; private set; }

        public void Report(JSONMessage value)
        {
            if (value.Error?.Message is { Length: > 0 } message) Error ??= message;
        }
    }

    private sealed record Entry(LayerEntryType Type, int Mode, int Uid, int Gid, string? Link, string? Hash);

    private static Dictionary<string, Entry> ReadExport(Stream export)
    {
        var entries = new Dictionary<string, Entry>(StringComparer.Ordinal);
        SafeLayerReader.Read(export, new LayerReadOptions { Limits = new LayerReadLimits() with { MaxEntries = 5_000_000 }, Standalone = true }, (e, content) =>
        {
            if (e.Path.Length == 0) return;
            if (e.Type == LayerEntryType.HardLink)
            {
                entries[e.Path] = entries[e.LinkTarget!];
                return;
            }
            entries[e.Path] = new Entry(e.Type, e.Mode, e.Uid, e.Gid, e.Type == LayerEntryType.SymbolicLink ? e.LinkTarget : null,
                content is null ? null : Convert.ToHexStringLower(SHA256.HashData(content)));
        });
        return entries;
    }

    private static List<string> Differences(ImageFilesystem fs, Dictionary<string, Entry> exported)
    {
        var hashes = new Dictionary<string, string>(StringComparer.Ordinal);
        var nodes = fs.Nodes.ToList();
        fs.ReadFiles(nodes, (same, content) =>
        {
            var hash = Convert.ToHexStringLower(SHA256.HashData(content));
            foreach (var node in same) hashes[node.Path] = hash;
        });
        var view = nodes.ToDictionary(n => n.Path, n => new Entry(n.Type, n.Mode & 0xFFF, n.Uid, n.Gid,
            n.Type == LayerEntryType.SymbolicLink ? n.LinkTarget : null, n.Type == LayerEntryType.File ? hashes.GetValueOrDefault(n.Path, "(unread)") : null), StringComparer.Ordinal);
        bool DockerOwned(string path) => DockerInitPaths.Any(p => path == p || path.StartsWith(p + "/", StringComparison.Ordinal))
            || DockerInitParents.Contains(path) && !view.ContainsKey(path);
        var differences = new List<string>();
        foreach (var (path, mine) in view.OrderBy(p => p.Key, StringComparer.Ordinal))
        {
            if (DockerOwned(path)) continue;
            if (!exported.TryGetValue(path, out var theirs)) differences.Add($"/{LayerNames.Escape(path)}: in the view ({Describe(mine)}) but not in the container");
            else if (mine != theirs) differences.Add($"/{LayerNames.Escape(path)}: view {Describe(mine)}, container {Describe(theirs)}");
        }
        foreach (var (path, theirs) in exported.OrderBy(p => p.Key, StringComparer.Ordinal))
            if (!view.ContainsKey(path) && !DockerOwned(path)) differences.Add($"/{LayerNames.Escape(path)}: in the container ({Describe(theirs)}) but not in the view");
        return differences;
    }

    private static string Describe(Entry e) =>
        $"{SafeLayerReader.Describe(e.Type)} {Convert.ToString(e.Mode, 8)} {e.Uid}:{e.Gid}{(e.Link is null ? "" : " -> " + e.Link)}{(e.Hash is null ? "" : " " + e.Hash[..12])}";
}
