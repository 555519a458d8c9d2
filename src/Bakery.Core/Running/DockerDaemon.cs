using Docker.DotNet;
using Docker.DotNet.Models;

namespace Bakery.Core.Running;

/// <summary>What RUN steps and command tests share about the Docker daemon: where it is, whether it answers, pulling by digest.</summary>
internal static class DockerDaemon
{
    /// <summary>Null when the daemon answers within 10 s, else why not.</summary>
    public static async Task<string?> UnavailableReasonAsync(DockerClient docker, CancellationToken ct)
    {
        try
        {
            using var limit = CancellationTokenSource.CreateLinkedTokenSource(ct);
            limit.CancelAfter(TimeSpan.FromSeconds(10));
            await docker.System.PingAsync(limit.Token);
            return null;
        }
        catch (Exception e) when (e is not OperationCanceledException || !ct.IsCancellationRequested)
        {
            return e.GetBaseException().Message;
        }
    }

    /// <summary>Pulls registry/repository@sha256:… into the daemon.</summary>
    public static Task PullByDigestAsync(DockerClient docker, string image, CancellationToken ct)
    {
        var at = image.IndexOf('@');
        return docker.Images.CreateImageAsync(new ImagesCreateParameters { FromImage = image[..at], Tag = image[(at + 1)..] }, null, new Progress<JSONMessage>(), ct);
    }
}
