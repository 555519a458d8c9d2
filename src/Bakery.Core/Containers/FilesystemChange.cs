namespace Bakery.Core.Containers;

public enum FilesystemChangeKind { Modified, Added, Deleted }

/// <summary>One line of docker diff: an absolute path in the container and what happened to it.</summary>
public sealed record FilesystemChange(string Path, FilesystemChangeKind Kind);

/// <summary>
/// lstat of a path in a container as the engine reports it (the archive API's stat header).
/// <paramref name="GoMode"/> is Go's os.FileMode: permission bits plus type bits in the high bits.
/// </summary>
public sealed record ContainerPathStat(string Name, long Size, uint GoMode, string? LinkTarget)
{
    private const uint GoModeDir = 0x80000000;
    private const uint GoModeSymlink = 0x08000000;

    public bool IsDirectory => (GoMode & GoModeDir) != 0;
    public bool IsSymbolicLink => (GoMode & GoModeSymlink) != 0;
}
