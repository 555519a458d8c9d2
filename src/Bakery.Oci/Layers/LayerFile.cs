namespace Bakery.Oci.Layers;

/// <summary>
/// A layer blob on this machine and what its image says about it: the media type (null for a
/// docker save layer, whose bytes decide), the descriptor's size and the config's diff id. Readers
/// check the blob against all three.
/// </summary>
public sealed record LayerFile(string Digest, string Path, string? MediaType = null, long? Size = null, string? DiffId = null)
{
    public void Deconstruct(out string digest, out string path) => (digest, path) = (Digest, Path);
}
