using System.Formats.Tar;
using Bakery.Oci.Layers;

namespace Bakery.Core.Containers;

/// <summary>What <see cref="FilesystemDiff"/> reads from a container.</summary>
public interface IContainerFilesystem
{
    /// <summary>The whole filesystem as a tar (docker export): literal symlink targets and every entry's owner.</summary>
    Task<Stream> ExportFilesystemAsync(CancellationToken ct);

    /// <summary>A docker-cp tar of one path; null when nothing is there.</summary>
    Task<Stream?> ExportAsync(string path, CancellationToken ct);
}

/// <summary>A container's filesystem through its engine.</summary>
public sealed class ContainerFilesystem(IContainerRuntime runtime, string container) : IContainerFilesystem
{
    public Task<Stream> ExportFilesystemAsync(CancellationToken ct) => runtime.ExportFilesystemAsync(container, ct);
    public Task<Stream?> ExportAsync(string path, CancellationToken ct) => runtime.ExportAsync(container, path, ct);
}

/// <summary>The container's changes cannot be turned into a layer; the message says why.</summary>
public sealed class ContainerDiffException(string message, Exception? inner = null) : Exception(message, inner);

/// <summary>
/// Turns a container's filesystem changes (docker diff) into layer entries, as <c>docker commit</c>
/// would write them:
/// <list type="bullet">
/// <item>a deleted path becomes a whiteout (<c>.wh.name</c>), and deletions below it are not visited;
/// a deleted folder that exists again was replaced and becomes opaque (<c>.wh..wh..opq</c>), with its new children;</item>
/// <item>an added folder is taken whole;</item>
/// <item>a changed folder contributes only itself (mode, owner): its changed children come on their own;</item>
/// <item>files and symbolic links keep their owner, mode (setuid, setgid, sticky included) and literal target;</item>
/// <item>a hard link becomes a copy of the file it links to (a layer entry of its own).</item>
/// </list>
/// Everything is read in one pass over the container's export, which both dockerd and podman write
/// faithfully (podman's per-path copy API follows symlinks and reports root as every owner), and
/// which costs one request however many paths changed. Paths reported in any order or more than
/// once are handled; what a layer cannot hold (devices, FIFOs, sockets) is a <see cref="ContainerDiffException"/>.
/// </summary>
public static class FilesystemDiff
{
    private const string OpaqueMarker = ".wh..wh..opq";
    private const UnixFileMode MarkerMode = (UnixFileMode)0b110_100_100;

    private enum Take { Deleted, ItselfOnly, Whole }

    public static async Task<IReadOnlyList<LayerPlan.Entry>> EntriesAsync(IReadOnlyList<FilesystemChange> changes, IContainerFilesystem container,
        string stagingDirectory, CancellationToken ct)
    {
        Directory.CreateDirectory(stagingDirectory);
        var (plan, wholeRoots) = Plan(changes);
        var entries = new SortedDictionary<string, LayerPlan.Entry>(StringComparer.Ordinal);
        var found = new Dictionary<string, TarEntryType>(StringComparer.Ordinal);
        var pendingLinks = new List<(string Path, string Source, TarEntry Header)>();
        var staging = new Staging(stagingDirectory);

        await using (var export = await container.ExportFilesystemAsync(ct))
        {
            try
            {
                using var reader = new TarReader(export, leaveOpen: true);
                while (await reader.GetNextEntryAsync(copyData: false, ct) is { } entry)
                {
                    var path = Normalize(entry.Name);
                    if (path.Length == 0) continue;
                    var take = plan.TryGetValue(path, out var planned) ? planned : UnderAny(path, wholeRoots) ? Take.Whole : (Take?)null;
                    if (take is null) continue;
                    found[path] = entry.EntryType;
                    switch (entry.EntryType)
                    {
                        case TarEntryType.Directory:
                            entries[path] = new LayerPlan.Entry(path, LayerPlan.EntryKind.Directory, Mode(entry), null, null, entry.Uid, entry.Gid);
                            break;
                        case TarEntryType.SymbolicLink:
                            entries[path] = new LayerPlan.Entry(path, LayerPlan.EntryKind.SymbolicLink, Mode(entry), null, entry.LinkName, entry.Uid, entry.Gid);
                            break;
                        case TarEntryType.HardLink:
                            var source = Normalize(entry.LinkName);
                            if (entries.TryGetValue(source, out var original) && original.Kind == LayerPlan.EntryKind.File)
                                entries[path] = original with { Path = path, Uid = entry.Uid, Gid = entry.Gid };
                            else pendingLinks.Add((path, source, entry));
                            break;
                        case TarEntryType.RegularFile or TarEntryType.V7RegularFile or TarEntryType.ContiguousFile:
                            entries[path] = new LayerPlan.Entry(path, LayerPlan.EntryKind.File, Mode(entry), await staging.CopyAsync(entry.DataStream, ct), null, entry.Uid, entry.Gid);
                            break;
                        case TarEntryType.CharacterDevice or TarEntryType.BlockDevice or TarEntryType.Fifo:
                            throw new ContainerDiffException($"/{path} is a device node or FIFO, which Bakery does not write into layers; create it at run time instead");
                        default:
                            throw new ContainerDiffException($"/{path} has tar entry type {entry.EntryType}, which Bakery does not write into layers");
                    }
                }
            }
            catch (Exception e) when (e is InvalidDataException or FormatException or EndOfStreamException)
            {
                throw new ContainerDiffException($"the engine's export of the container is not a readable tar ({e.Message})", e);
            }
        }

        foreach (var (path, take) in plan)
        {
            var exists = found.TryGetValue(path, out var type);
            if (take == Take.Deleted)
            {
                // A deleted folder that exists again was replaced: opaque, so nothing of the old one shows through.
                if (!exists) entries[Sibling(path, ".wh." + Name(path))] = await Marker(staging, Sibling(path, ".wh." + Name(path)), ct);
                else if (type == TarEntryType.Directory) entries[$"{path}/{OpaqueMarker}"] = await Marker(staging, $"{path}/{OpaqueMarker}", ct);
            }
            else if (!exists) throw new ContainerDiffException($"the engine lists /{path} as changed, but its export has nothing at that path");
        }
        foreach (var (path, source, header) in pendingLinks)
            entries[path] = await LinkedFileAsync(container, path, source, header, entries, staging, ct);
        return entries.Values.ToList();
    }

    /// <summary>What to take for each changed path; what lies below a deleted or added one is not listed again.</summary>
    private static (Dictionary<string, Take> Plan, List<string> WholeRoots) Plan(IReadOnlyList<FilesystemChange> changes)
    {
        var ordered = changes.Select(c => (Path: Normalize(c.Path), c.Kind)).Where(c => c.Path.Length > 0)
            .GroupBy(c => c.Path, StringComparer.Ordinal).Select(g => (Path: g.Key, Kind: Strongest(g.Select(c => c.Kind))))
            .OrderBy(c => c.Path, StringComparer.Ordinal).ToList();
        var plan = new Dictionary<string, Take>(StringComparer.Ordinal);
        var whole = new List<string>();
        var deleted = new List<string>();
        foreach (var (path, kind) in ordered)
        {
            if (UnderAny(path, whole)) continue;
            if (kind == FilesystemChangeKind.Deleted && UnderAny(path, deleted)) continue;
            switch (kind)
            {
                case FilesystemChangeKind.Deleted:
                    plan[path] = Take.Deleted;
                    deleted.Add(path);
                    break;
                case FilesystemChangeKind.Added:
                    plan[path] = Take.Whole;
                    whole.Add(path);
                    break;
                default:
                    plan[path] = Take.ItselfOnly;
                    break;
            }
        }
        return (plan, whole);
    }

    /// <summary>One path listed twice: anything with added is added, deleted-and-changed is changed.</summary>
    private static FilesystemChangeKind Strongest(IEnumerable<FilesystemChangeKind> kinds)
    {
        var set = kinds.ToHashSet();
        return set.Contains(FilesystemChangeKind.Added) ? FilesystemChangeKind.Added
            : set.Contains(FilesystemChangeKind.Modified) ? FilesystemChangeKind.Modified : FilesystemChangeKind.Deleted;
    }

    private static bool UnderAny(string path, List<string> roots) => roots.Any(r => path.StartsWith(r + "/", StringComparison.Ordinal));

    /// <summary>A hard link to a file the export had before anything was taken: that file is copied on its own.</summary>
    private static async Task<LayerPlan.Entry> LinkedFileAsync(IContainerFilesystem container, string path, string source, TarEntry header,
        SortedDictionary<string, LayerPlan.Entry> entries, Staging staging, CancellationToken ct)
    {
        if (entries.TryGetValue(source, out var original) && original.Kind == LayerPlan.EntryKind.File) return original with { Path = path, Uid = header.Uid, Gid = header.Gid };
        await using var stream = await container.ExportAsync("/" + source, ct)
            ?? throw new ContainerDiffException($"/{path} is a hard link to /{source}, which cannot be read");
        using var reader = new TarReader(stream, leaveOpen: true);
        if (await reader.GetNextEntryAsync(copyData: false, ct) is not { EntryType: TarEntryType.RegularFile or TarEntryType.V7RegularFile } file)
            throw new ContainerDiffException($"/{path} is a hard link to /{source}, which is not a regular file");
        return new LayerPlan.Entry(path, LayerPlan.EntryKind.File, Mode(header), await staging.CopyAsync(file.DataStream, ct), null, header.Uid, header.Gid);
    }

    private static async Task<LayerPlan.Entry> Marker(Staging staging, string path, CancellationToken ct) =>
        new(path, LayerPlan.EntryKind.File, MarkerMode, await staging.CopyAsync(null, ct), null, 0, 0);

    /// <summary>'/opt//run/' and './opt/run' are the same path.</summary>
    private static string Normalize(string path)
    {
        var parts = path.Replace('\\', '/').Split('/', StringSplitOptions.RemoveEmptyEntries).Where(p => p != ".").ToList();
        if (parts.Contains("..")) throw new ContainerDiffException($"the engine reported the unsafe path '{path}'");
        return string.Join('/', parts);
    }

    private static string Name(string path) => path[(path.LastIndexOf('/') + 1)..];

    private static string Sibling(string path, string name) => path.Contains('/') ? $"{path[..path.LastIndexOf('/')]}/{name}" : name;

    private static UnixFileMode Mode(TarEntry entry) => entry.Mode & (UnixFileMode)0xFFF;

    /// <summary>Files copied out of the export, one staging file each.</summary>
    private sealed class Staging(string directory)
    {
        private int _count;

        public async Task<string> CopyAsync(Stream? content, CancellationToken ct)
        {
            var file = Path.Combine(directory, $"f{++_count}");
            await using var output = File.Create(file);
            if (content is not null) await content.CopyToAsync(output, ct);
            return file;
        }
    }
}
