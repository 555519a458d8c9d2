using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Bakery.Oci.Layers;
using Bakery.Oci.Model;

namespace Bakery.Core.Running;

/// <summary>
/// Remembers the layer a BakeryRun step produced on a given image so far, so a rebake with nothing
/// changed neither runs the step again nor uploads anything. Keyed by the base digest, the layers
/// below the step, and the step itself.
/// </summary>
public sealed class RunStepCache(string directory, string blobDirectory)
{
    public static string Key(Digest baseDigest, IEnumerable<Digest> layersBelow, RunStep step)
    {
        var text = new StringBuilder().Append(baseDigest).Append('\n');
        foreach (var layer in layersBelow) text.Append(layer).Append('\n');
        text.Append(step.User).Append('\n').Append(step.Command);
        return Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text.ToString())));
    }

    public LayerBlob? TryGet(string key)
    {
        var path = Path.Combine(directory, key);
        if (!File.Exists(path)) return null;
        var parts = File.ReadAllText(path).Split(' ');
        if (parts.Length != 4 || !Digest.TryParse(parts[0], out var digest) || !Digest.TryParse(parts[1], out var diffId)) return null;
        var blob = DeterministicLayerWriter.BlobPath(blobDirectory, digest);
        return File.Exists(blob)
            ? new LayerBlob(digest, diffId, long.Parse(parts[2], CultureInfo.InvariantCulture), blob, int.Parse(parts[3], CultureInfo.InvariantCulture))
            : null;
    }

    public void Save(string key, LayerBlob blob)
    {
        Directory.CreateDirectory(directory);
        var path = Path.Combine(directory, key);
        File.WriteAllText(path + ".tmp", FormattableString.Invariant($"{blob.Digest} {blob.DiffId} {blob.Size} {blob.EntryCount}"));
        File.Move(path + ".tmp", path, overwrite: true);
    }
}
