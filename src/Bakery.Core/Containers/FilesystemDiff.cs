using System.Formats.Tar;
using Bakery.Oci.Layers;

namespace Bakery.Core.Containers;

/// <summary>What <see cref="FilesystemDiff"/> reads from a container: lstat and docker-cp style tars of paths.</summary>
public interface IContainerFilesystem
{
    Task<ContainerPathStat?> StatAsync(string path, CancellationToken ct);
    Task<Stream> ExportAsync(string path, CancellationToken ct);

    /// <summary>False when the engine's copies report every entry as owned by root (podman's archive API does); owners then come from <see cref="ExportFilesystemAsync"/>.</summary>
    bool CopiesKeepOwners { get; }

    Task<Stream> ExportFilesystemAsync(CancellationToken ct);
}

/// <summary>A container's filesystem through its engine.</summary>
public sealed class ContainerFilesystem(IContainerRuntime runtime, string container) : IContainerFilesystem
{
    public Task<ContainerPathStat?> StatAsync(string path, CancellationToken ct) => runtime.StatAsync(container, path, ct);
    public Task<Stream> ExportAsync(string path, CancellationToken ct) => runtime.ExportAsync(container, path, ct);
    public bool CopiesKeepOwners => runtime.Engine != ContainerEngineKind.Podman;
    public Task<Stream> ExportFilesystemAsync(CancellationToken ct) => runtime.ExportFilesystemAsync(container, ct);
}

/// <summary>The container's changes cannot be turned into a layer; the message says why.</summary>
public sealed class ContainerDiffException(string message, Exception? inner = null) : Exception(message, inner);

/// <summary>
/// Turns a container's filesystem changes (docker diff) into layer entries, as <c>docker commit</c>
/// would write them:
/// <list type="bullet">
/// <item>a deleted path becomes a whiteout (<c>.wh.name</c>); a deleted directory that exists again
/// was replaced, and becomes an opaque directory (<c>.wh..wh..opq</c>) with its new children;</item>
/// <item>an added directory is copied whole (its children are not visited again);</item>
/// <item>a changed directory contributes only itself (mode, owner), its changed children come on their own;</item>
/// <item>files and symbolic links keep their owner, mode (setuid, setgid, sticky included) and target;</item>
/// <item>a hard link becomes a copy of the file it links to (a layer entry of its own).</item>
/// </list>
/// Paths the engine reports in any order or more than once are handled; what is not representable
/// in a layer (devices, FIFOs, sockets) is a <see cref="ContainerDiffException"/>.
/// </summary>
public static class FilesystemDiff
{
    private const string OpaqueMarker = ".wh..wh..opq";
    private const UnixFileMode WhiteoutMode = (UnixFileMode)0b110_100_100;

    public static async Task<IReadOnlyList<LayerPlan.Entry>> EntriesAsync(IReadOnlyList<FilesystemChange> changes, IContainerFilesystem container,
        string stagingDirectory, CancellationToken ct)
    {
        Directory.CreateDirectory(stagingDirectory);
        var state = new State(stagingDirectory);
        var ordered = changes.Select(c => (Path: Normalize(c.Path), c.Kind)).Where(c => c.Path.Length > 0)
            .DistinctBy(c => c.Path).OrderBy(c => c.Path, StringComparer.Ordinal);
        foreach (var (path, kind) in ordered)
        {
            if (state.IsCovered(path)) continue;
            var stat = await container.StatAsync("/" + path, ct);
            if (kind == FilesystemChangeKind.Deleted)
            {
                if (stat is null)
                {
                    state.Whiteout(path);
                    continue;
                }
                if (stat.IsDirectory)
                {
                    await CopyAsync(container, path, state, onlyTheDirectory: true, ct);
                    state.Opaque(path);
                    continue;
                }
            }
            if (stat is null) throw new ContainerDiffException($"the engine lists /{path} as changed, but there is nothing at that path");
            var addedDirectory = stat.IsDirectory && kind != FilesystemChangeKind.Modified;
            await CopyAsync(container, path, state, onlyTheDirectory: stat.IsDirectory && !addedDirectory, ct);
            if (addedDirectory) state.CoverBelow(path);
        }
        await state.ResolvePendingHardLinksAsync(container, ct);
        if (!container.CopiesKeepOwners) await TakeOwnersFromExportAsync(container, state.Entries, ct);
        return state.Entries.Values.ToList();
    }

    /// <summary>One pass over the whole filesystem's export, reading only headers, to put the real owners on the entries.</summary>
    private static async Task TakeOwnersFromExportAsync(IContainerFilesystem container, SortedDictionary<string, LayerPlan.Entry> entries, CancellationToken ct)
    {
        await using var stream = await container.ExportFilesystemAsync(ct);
        try
        {
            using var reader = new TarReader(stream, leaveOpen: true);
            var left = entries.Count(e => !IsMarker(e.Key));
            while (left > 0 && await reader.GetNextEntryAsync(copyData: false, ct) is { } exported)
            {
                var path = Normalize(exported.Name);
                if (IsMarker(path) || !entries.TryGetValue(path, out var entry)) continue;
                entries[path] = entry with { Uid = exported.Uid, Gid = exported.Gid };
                left--;
            }
        }
        catch (Exception e) when (e is InvalidDataException or FormatException or EndOfStreamException)
        {
            throw new ContainerDiffException($"the engine's export of the container is not a readable tar ({e.Message})", e);
        }
    }

    private static bool IsMarker(string path) => path[(path.LastIndexOf('/') + 1)..].StartsWith(".wh.", StringComparison.Ordinal);

    /// <summary>'/opt//run/' and 'opt/run' are the same change.</summary>
    private static string Normalize(string path) => string.Join('/', path.Split('/', StringSplitOptions.RemoveEmptyEntries).Where(p => p != "."));

    private static async Task CopyAsync(IContainerFilesystem container, string path, State state, bool onlyTheDirectory, CancellationToken ct)
    {
        var slash = path.LastIndexOf('/');
        var parent = slash < 0 ? "" : path[..slash];
        await using var stream = await container.ExportAsync("/" + path, ct);
        try
        {
            using var reader = new TarReader(stream, leaveOpen: true);
            while (await reader.GetNextEntryAsync(copyData: false, ct) is { } entry)
            {
                var target = ImagePath(parent, entry.Name, path);
                if (onlyTheDirectory)
                {
                    if (target != path || entry.EntryType != TarEntryType.Directory)
                        throw new ContainerDiffException($"the engine's copy of /{path} does not start with the directory itself");
                    state.Add(new LayerPlan.Entry(path, LayerPlan.EntryKind.Directory, Mode(entry), null, null, entry.Uid, entry.Gid));
                    return; // disposing the stream stops the engine from sending the directory's contents
                }
                switch (entry.EntryType)
                {
                    case TarEntryType.Directory:
                        state.Add(new LayerPlan.Entry(target, LayerPlan.EntryKind.Directory, Mode(entry), null, null, entry.Uid, entry.Gid));
                        break;
                    case TarEntryType.SymbolicLink:
                        state.Add(new LayerPlan.Entry(target, LayerPlan.EntryKind.SymbolicLink, Mode(entry), null, entry.LinkName, entry.Uid, entry.Gid));
                        break;
                    case TarEntryType.HardLink:
                        state.HardLink(target, ImagePath(parent, entry.LinkName, path));
                        break;
                    case TarEntryType.RegularFile or TarEntryType.V7RegularFile or TarEntryType.ContiguousFile:
                        await state.AddFileAsync(target, entry, ct);
                        break;
                    case TarEntryType.CharacterDevice or TarEntryType.BlockDevice or TarEntryType.Fifo:
                        throw new ContainerDiffException($"/{target} is a device node or FIFO, which Bakery does not write into layers; create it at run time instead");
                    default:
                        throw new ContainerDiffException($"/{target} has tar entry type {entry.EntryType}, which Bakery does not write into layers");
                }
            }
        }
        catch (Exception e) when (e is InvalidDataException or FormatException or EndOfStreamException)
        {
            throw new ContainerDiffException($"the engine's copy of /{path} is not a readable tar ({e.Message})", e);
        }
    }

    /// <summary>An archive entry's path in the image: archives of /a/b name their entries b, b/c, …</summary>
    private static string ImagePath(string parent, string archiveName, string exported)
    {
        var parts = archiveName.Replace('\\', '/').Split('/', StringSplitOptions.RemoveEmptyEntries).Where(p => p != ".").ToList();
        if (archiveName.StartsWith('/') || parts.Contains("..") || parts.Count == 0)
            throw new ContainerDiffException($"the engine's copy of /{exported} holds the unsafe entry name '{archiveName}'");
        var relative = string.Join('/', parts);
        return parent.Length == 0 ? relative : $"{parent}/{relative}";
    }

    private static UnixFileMode Mode(TarEntry entry) => entry.Mode & (UnixFileMode)0xFFF;

    private sealed class State(string staging)
    {
        private readonly List<string> _covered = [];
        private readonly List<(string Path, string Source)> _pendingLinks = [];

        public SortedDictionary<string, LayerPlan.Entry> Entries { get; } = new(StringComparer.Ordinal);

        public bool IsCovered(string path) => _covered.Any(c => path.StartsWith(c + "/", StringComparison.Ordinal));

        public void CoverBelow(string path) => _covered.Add(path);

        public void Add(LayerPlan.Entry entry) => Entries[entry.Path] = entry;

        public void Whiteout(string path)
        {
            var slash = path.LastIndexOf('/');
            Add(Empty(slash < 0 ? $".wh.{path}" : $"{path[..slash]}/.wh.{path[(slash + 1)..]}"));
            CoverBelow(path);
        }

        public void Opaque(string directory) => Add(Empty($"{directory}/{OpaqueMarker}"));

        public async Task AddFileAsync(string target, TarEntry entry, CancellationToken ct)
        {
            var file = NewStagingFile();
            await using (var output = File.Create(file))
                if (entry.DataStream is { } data) await data.CopyToAsync(output, ct);
            Add(new LayerPlan.Entry(target, LayerPlan.EntryKind.File, Mode(entry), file, null, entry.Uid, entry.Gid));
        }

        public void HardLink(string target, string source)
        {
            if (Entries.TryGetValue(source, out var original) && original.Kind == LayerPlan.EntryKind.File) Add(original with { Path = target });
            else _pendingLinks.Add((target, source));
        }

        /// <summary>A hard link whose file is outside what was copied: copy that file on its own.</summary>
        public async Task ResolvePendingHardLinksAsync(IContainerFilesystem container, CancellationToken ct)
        {
            foreach (var (target, source) in _pendingLinks)
            {
                if (Entries.TryGetValue(source, out var original) && original.Kind == LayerPlan.EntryKind.File)
                {
                    Add(original with { Path = target });
                    continue;
                }
                await using var stream = await container.ExportAsync("/" + target, ct);
                using var reader = new TarReader(stream, leaveOpen: true);
                if (await reader.GetNextEntryAsync(copyData: false, ct) is not { EntryType: TarEntryType.RegularFile or TarEntryType.V7RegularFile } entry)
                    throw new ContainerDiffException($"/{target} is a hard link to /{source}, and neither can be read as a file");
                await AddFileAsync(target, entry, ct);
            }
        }

        private LayerPlan.Entry Empty(string path)
        {
            var file = NewStagingFile();
            File.WriteAllBytes(file, []);
            return new LayerPlan.Entry(path, LayerPlan.EntryKind.File, WhiteoutMode, file, null, 0, 0);
        }

        private string NewStagingFile() => Path.Combine(staging, $"f{Entries.Count}-{Guid.NewGuid():N}");
    }
}
