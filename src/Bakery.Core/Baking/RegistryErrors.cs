using Bakery.Oci.Registry;

namespace Bakery.Core.Baking;

/// <summary>Turns registry failures into BAKE errors that say which registry, which image, and what to do.</summary>
internal static class RegistryErrors
{
    public static BakeryException WhileResolvingBase(RegistryException e, string baseImage, string pinnedDigest) => Specific(e, baseImage) ?? e.Failure switch
    {
        RegistryFailure.NotFound => BakeryException.Wrap(e, "BAKE207", baseImage, e.Registry),
        RegistryFailure.DigestMismatch => BakeryException.Wrap(e, "BAKE204", baseImage, pinnedDigest, e.Registry),
        _ => BakeryException.Wrap(e, "BAKE120", e.Registry, baseImage, e.Message),
    };

    public static BakeryException WhilePushing(RegistryException e, string image) =>
        Specific(e, image) ?? BakeryException.Wrap(e, "BAKE402", image, e.Registry, e.Message);

    /// <summary>Failures with a code of their own wherever they happen: access, proxy, TLS, token service, credential lookup.</summary>
    public static BakeryException? Specific(RegistryException e, string image) => e.Failure switch
    {
        RegistryFailure.Unauthorized => BakeryException.Wrap(e, "BAKE403", e.Registry, e.Repository.Length > 0 ? e.Repository : image, e.Message),
        RegistryFailure.Proxy => BakeryException.Wrap(e, "BAKE420", e.Registry, image, e.Message),
        RegistryFailure.Tls => BakeryException.Wrap(e, "BAKE421", e.Registry, image, e.Message),
        RegistryFailure.UnsafeRealm => BakeryException.Wrap(e, "BAKE422", e.Registry, e.Message),
        RegistryFailure.CredentialHelper => BakeryException.Wrap(e, "BAKE423", e.Registry, e.Message),
        RegistryFailure.TokenService => BakeryException.Wrap(e, "BAKE424", e.Registry, e.Message),
        _ => null,
    };
}
