using Bakery.Oci.Registry;

namespace Bakery.Core.Baking;

/// <summary>Turns registry failures into BAKE errors that say which registry, which image, and what to do.</summary>
internal static class RegistryErrors
{
    public static BakeryException WhileResolvingBase(RegistryException e, string baseImage, string pinnedDigest) => Specific(e, baseImage) ?? e.Failure switch
    {
        RegistryFailure.NotFound => BakeryException.Wrap(e, "BAKE207", baseImage, e.Registry),
        RegistryFailure.DigestMismatch => BakeryException.Wrap(e, "BAKE204", baseImage, pinnedDigest, e.Registry),
        _ => BakeryException.Wrap(e, "BAKE120", e.Registry, baseImage, e.Message, FetchAdvice),
    };

    /// <summary>A bake cannot do without the base's registry, so BakeryOffline is no advice here.</summary>
    public const string FetchAdvice = "A bake reads its base image's manifest and config (and the layers the target registry lacks) from that registry, "
        + "so BakeryOffline does not help: check that the registry is running and its address is right, and behind a proxy that HTTPS_PROXY and NO_PROXY let it through.";

    /// <summary>Only the lifecycle records are missing: the package's dates can stand in for them.</summary>
    public const string LifecycleAdvice = "Check that the registry is running and its address is right, or set BakeryOffline=true to judge the base image by its package's dates alone (warning BAKE121).";

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
