using Bakery.Oci.Model;

namespace Bakery.Oci.Registry;

/// <summary>
/// Where a blob to upload is read from: a local file, or another registry (streamed, never held in
/// memory). An upload may open it again to resume or restart after a failure.
/// </summary>
public sealed class BlobSource
{
    private readonly Func<CancellationToken, Task<Stream>> _open;

    private BlobSource(Digest digest, long size, string description, Func<CancellationToken, Task<Stream>> open, bool isLocal = true)
    {
        Digest = digest;
        Size = size;
        Description = description;
        _open = open;
        IsLocal = isLocal;
    }

    /// <summary>False for a blob streamed from a registry.</summary>
    public bool IsLocal { get; }

    public Digest Digest { get; }
    public long Size { get; }

    /// <summary>For messages: "file /x/y" or "localhost:5000/base/runtime".</summary>
    public string Description { get; }

    public static BlobSource FromFile(string path, Digest digest) =>
        new(digest, new FileInfo(path).Length, $"file {path}",
            _ => Task.FromResult<Stream>(new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16, FileOptions.Asynchronous)));

    public static BlobSource FromBytes(byte[] content, Digest digest) =>
        new(digest, content.Length, "memory", _ => Task.FromResult<Stream>(new MemoryStream(content, writable: false)));

    /// <summary>A blob of another repository or registry, streamed from it as it is uploaded.</summary>
    public static BlobSource FromRegistry(IRegistryClient client, string repository, Digest digest, long size) =>
        new(digest, size, $"{client.Registry}/{repository}", ct => client.OpenBlobAsync(repository, digest, ct), isLocal: false);

    internal Task<Stream> OpenAsync(CancellationToken ct) => _open(ct);
}
