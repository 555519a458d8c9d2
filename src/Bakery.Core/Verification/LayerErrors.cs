using Bakery.Oci.Layers;

namespace Bakery.Core.Verification;

/// <summary>
/// Layer refusals as users see them: a BAKE code naming the image, the layer digest and the entry
/// (escaped). BAKE320: the layer is unsafe or malformed; BAKE321: it does not match its descriptor
/// or diff id; BAKE322: its media type is not one Bakery reads; BAKE323: its file cannot be read.
/// </summary>
public static class LayerErrors
{
    public static BakeryException Refused(string image, string layerDigest, UnsafeLayerException e) => e.Problem switch
    {
        LayerProblem.DigestMismatch or LayerProblem.SizeMismatch or LayerProblem.MediaTypeMismatch =>
            Messages.BAKE321(image, layerDigest, Text(e)).Exception(e),
        LayerProblem.UnsupportedMediaType => Messages.BAKE322(image, layerDigest, Text(e)).Exception(e),
        _ => Messages.BAKE320(image, layerDigest, Text(e)).Exception(e),
    };

    public static BakeryException Unreadable(string image, LayerFile layer, Exception e) =>
        Messages.BAKE323(image, layer.Digest, layer.Path, LayerNames.Escape(e.Message).TrimEnd('.')).Exception(e);

    private static string Text(UnsafeLayerException e) => e.Message.TrimEnd('.');
}
