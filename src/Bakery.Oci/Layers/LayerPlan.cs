namespace Bakery.Oci.Layers;

/// <summary>
/// Expands layer sources into the sorted list of tar entries: every parent folder once, files and
/// links with normalised permissions. The order is ordinal by path, so it never depends on the disk.
/// </summary>
public static class LayerPlan
{
    public enum EntryKind { Directory, File, SymbolicLink }

    /// <summary>One tar entry. <paramref name="Uid"/>/<paramref name="Gid"/> override the layer's owner (kept from RUN steps).</summary>
    public sealed record Entry(string Path, EntryKind Kind, UnixFileMode Mode, string? SourcePath, string? LinkTarget, int? Uid = null, int? Gid = null);

    private const UnixFileMode DirectoryMode = (UnixFileMode)0b111_101_101; // 0755
    private const UnixFileMode FileMode = (UnixFileMode)0b110_100_100; // 0644
    private const UnixFileMode ExecutableMode = (UnixFileMode)0b111_101_101; // 0755
    private const UnixFileMode AnyExecute = UnixFileMode.UserExecute | UnixFileMode.GroupExecute | UnixFileMode.OtherExecute;

    public static IReadOnlyList<Entry> Expand(IEnumerable<LayerSource> sources)
    {
        var entries = new SortedDictionary<string, Entry>(StringComparer.Ordinal);
        foreach (var source in sources)
        {
            var destination = NormalizeImagePath(source.Destination);
            var own = new SortedDictionary<string, Entry>(StringComparer.Ordinal);
            if (Directory.Exists(source.SourcePath))
                AddDirectory(own, source.SourcePath, destination, source.Mode);
            else if (File.Exists(source.SourcePath))
                AddFile(own, new FileInfo(source.SourcePath), destination, source.Mode);
            else
                throw new FileNotFoundException($"The layer source '{source.SourcePath}' does not exist.", source.SourcePath);
            foreach (var entry in own.Values)
            {
                // The owner applies to what the source copies, not to the folders above its destination.
                var copied = entry.Path == destination || destination.Length == 0 || entry.Path.StartsWith(destination + "/", StringComparison.Ordinal);
                var placed = copied && source.Uid is not null ? entry with { Uid = source.Uid, Gid = source.Gid ?? source.Uid } : entry;
                if (entries.TryGetValue(placed.Path, out var existing) && (existing.Kind == EntryKind.Directory) != (placed.Kind == EntryKind.Directory))
                    throw new ArgumentException($"'{placed.Path}' is both a file and a folder in this layer.");
                if (existing is null || placed.Kind != EntryKind.Directory || placed.Uid is not null) entries[placed.Path] = placed;
            }
        }
        return entries.Values.ToList();
    }

    /// <summary>
    /// Image paths are relative, use '/', and may not climb out of the root: '/app/x' becomes 'app/x'.
    /// </summary>
    public static string NormalizeImagePath(string path)
    {
        var parts = new List<string>();
        foreach (var part in path.Replace('\\', '/').Split('/', StringSplitOptions.RemoveEmptyEntries))
        {
            if (part == ".") continue;
            if (part == "..")
                throw new ArgumentException($"The image path '{path}' climbs out of the image root with '..'.", nameof(path));
            parts.Add(part);
        }
        return string.Join('/', parts);
    }

    private static void AddDirectory(SortedDictionary<string, Entry> entries, string sourceDir, string destination, UnixFileMode? mode)
    {
        AddParents(entries, destination, includeSelf: true);
        var root = new DirectoryInfo(sourceDir);
        foreach (var info in root.EnumerateFileSystemInfos("*", new EnumerationOptions { RecurseSubdirectories = true, AttributesToSkip = 0 }))
        {
            var relative = Path.GetRelativePath(root.FullName, info.FullName).Replace('\\', '/');
            var target = destination.Length == 0 ? relative : $"{destination}/{relative}";
            if (info.LinkTarget is not null)
                AddLink(entries, info, target);
            else if (info is DirectoryInfo)
                AddParents(entries, target, includeSelf: true);
            else
                AddFile(entries, (FileInfo)info, target, mode);
        }
    }

    private static void AddFile(SortedDictionary<string, Entry> entries, FileInfo file, string target, UnixFileMode? mode)
    {
        if (target.Length == 0)
            throw new ArgumentException($"The file '{file.FullName}' needs a destination file name, not the image root.");
        if (file.LinkTarget is not null)
        {
            AddLink(entries, file, target);
            return;
        }
        AddParents(entries, target, includeSelf: false);
        entries[target] = new Entry(target, EntryKind.File, mode ?? NormalizedFileMode(file), file.FullName, null);
    }

    private static void AddLink(SortedDictionary<string, Entry> entries, FileSystemInfo info, string target)
    {
        AddParents(entries, target, includeSelf: false);
        entries[target] = new Entry(target, EntryKind.SymbolicLink, (UnixFileMode)0b111_111_111, null, info.LinkTarget);
    }

    private static UnixFileMode NormalizedFileMode(FileInfo file)
    {
        if (OperatingSystem.IsWindows()) return FileMode;
        return (file.UnixFileMode & AnyExecute) != 0 ? ExecutableMode : FileMode;
    }

    private static void AddParents(SortedDictionary<string, Entry> entries, string path, bool includeSelf)
    {
        var parts = path.Split('/', StringSplitOptions.RemoveEmptyEntries);
        var count = includeSelf ? parts.Length : parts.Length - 1;
        for (var i = 1; i <= count; i++)
        {
            var dir = string.Join('/', parts.Take(i));
            if (entries.TryGetValue(dir, out var existing) && existing.Kind != EntryKind.Directory)
                throw new ArgumentException($"'{dir}' is both a file and a folder in this layer.");
            entries.TryAdd(dir, new Entry(dir, EntryKind.Directory, DirectoryMode, null, null));
        }
    }
}
