using Bakery.Oci.Registry;

namespace Bakery.Core.Baking;

/// <summary>Turns registry failures into BAKE errors that say which registry, which image, and what to do.</summary>
internal static class RegistryErrors
{
    public static BakeryException WhileResolvingBase(RegistryException e, string baseImage, string pinnedDigest) => e.Failure switch
    {
        RegistryFailure.Unauthorized => BakeryException.Wrap(e, "BAKE403", e.Registry, e.Repository, e.Message),
        RegistryFailure.NotFound => BakeryException.Wrap(e, "BAKE207", baseImage, e.Registry),
        RegistryFailure.DigestMismatch => BakeryException.Wrap(e, "BAKE204", baseImage, pinnedDigest, e.Registry),
        _ => BakeryException.Wrap(e, "BAKE120", e.Registry, baseImage, e.Message),
    };

    public static BakeryException WhilePushing(RegistryException e, string image) => e.Failure switch
    {
        RegistryFailure.Unauthorized => BakeryException.Wrap(e, "BAKE403", e.Registry, e.Repository, e.Message),
        _ => BakeryException.Wrap(e, "BAKE402", image, e.Registry, e.Message),
    };
}
