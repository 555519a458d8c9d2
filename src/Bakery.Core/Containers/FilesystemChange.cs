namespace Bakery.Core.Containers;

public enum FilesystemChangeKind { Modified, Added, Deleted }

/// <summary>One line of docker diff: an absolute path in the container and what happened to it.</summary>
public sealed record FilesystemChange(string Path, FilesystemChangeKind Kind);
