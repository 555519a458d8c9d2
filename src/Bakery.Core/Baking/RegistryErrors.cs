using Bakery.Oci.Registry;

namespace Bakery.Core.Baking;

/// <summary>Turns registry failures into BAKE errors that say which registry, which image, and what to do.</summary>
internal static class RegistryErrors
{
    public static BakeryException WhileResolvingBase(RegistryException e, string baseImage, string pinnedDigest) => Specific(e, baseImage) ?? e.Failure switch
    {
        RegistryFailure.NotFound => Messages.BAKE207(baseImage, e.Registry).Exception(e),
        RegistryFailure.DigestMismatch => Messages.BAKE204(baseImage, pinnedDigest, e.Registry).Exception(e),
        _ => Messages.BAKE120(e.Registry, baseImage, e.Message, FetchAdvice).Exception(e),
    };

    /// <summary>A bake cannot do without the base's registry, so BakeryOffline is no advice here.</summary>
    public const string FetchAdvice = "A bake reads its base image's manifest and config (and the layers the target registry lacks) from that registry, "
        + "so BakeryOffline does not help: check that the registry is running and its address is right, and behind a proxy that HTTPS_PROXY and NO_PROXY let it through.";

    /// <summary>Only the lifecycle records are missing: the package's dates can stand in for them.</summary>
    public const string LifecycleAdvice = "Check that the registry is running and its address is right, or set BakeryOffline=true to judge the base image by its package's dates alone (warning BAKE121).";

    public static BakeryException WhilePushing(RegistryException e, string image) =>
        Specific(e, image) ?? Messages.BAKE402(image, e.Registry, e.Message).Exception(e);

    /// <summary>Failures with a code of their own wherever they happen: access, proxy, TLS, token service, credential lookup.</summary>
    public static BakeryException? Specific(RegistryException e, string image) => e.Failure switch
    {
        RegistryFailure.Unauthorized => Messages.BAKE403(e.Registry, e.Repository.Length > 0 ? e.Repository : image, e.Message).Exception(e),
        RegistryFailure.Proxy => Messages.BAKE420(e.Registry, image, e.Message).Exception(e),
        RegistryFailure.Tls => Messages.BAKE421(e.Registry, image, e.Message).Exception(e),
        RegistryFailure.UnsafeRealm => Messages.BAKE422(e.Registry, e.Message).Exception(e),
        RegistryFailure.CredentialHelper => Messages.BAKE423(e.Registry, e.Message).Exception(e),
        RegistryFailure.TokenService => Messages.BAKE424(e.Registry, e.Message).Exception(e),
        _ => null,
    };
}
