namespace Bakery.Core;

/// <summary>
/// The last resort of every command and task: an exception nothing mapped becomes a BakeryException,
/// so it reaches the user as one line with a code, never a stack trace. Layer and archive refusals
/// keep their codes (BAKE320–BAKE323, BAKE310), a bad BAKERY_LAYER_LIMITS is BAKE328, anything
/// else BAKE329 with its type and (escaped) message.
/// </summary>
public static class BakeryErrors
{
    public static BakeryException From(Exception e) => e switch
    {
        BakeryException bakery => bakery,
        Oci.Layers.UnsafeLayerException layer => Verification.LayerErrors.Refused("the image", "(unknown layer)", layer),
        Oci.Archives.ImageArchiveException archive => Messages.BAKE310(archive.Archive, archive.Problem).Exception(e),
        Oci.Layers.LayerLimitsException limits => Messages.BAKE328(limits.Message.TrimEnd('.')).Exception(e),
        AggregateException { InnerExceptions.Count: 1 } aggregate => From(aggregate.InnerExceptions[0]),
        TypeInitializationException { InnerException: { } inner } => From(inner),
        _ => Messages.BAKE329(e.GetType().Name, Oci.Layers.LayerNames.Escape(e.Message, 2000).TrimEnd('.')).Exception(e),
    };
}
