using Microsoft.Build.Locator;

namespace Bakery.Tests.Infrastructure;

/// <summary>Once per test run, before any test touches Microsoft.Build: the SDK's own MSBuild, found by the locator (as the bakery tool does).</summary>
[TestClass]
public static class TestAssembly
{
    [AssemblyInitialize]
    public static void RegisterMSBuild(TestContext _)
    {
        if (!MSBuildLocator.IsRegistered) MSBuildLocator.RegisterDefaults();
    }

    [AssemblyCleanup]
    public static void StopSharedServices() => SharedRegistry.Stop();
}
