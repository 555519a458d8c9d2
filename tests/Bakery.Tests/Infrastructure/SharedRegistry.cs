namespace Bakery.Tests.Infrastructure;

/// <summary>
/// One CNCF Distribution registry for the whole test run, started on first use and stopped when the
/// run ends. Test classes keep apart by repository name; a class that lists the whole registry
/// (the catalog) starts a registry of its own.
/// </summary>
internal static class SharedRegistry
{
    private static readonly Lazy<RegistryProcess> Started = new(() => RegistryProcess.Start(), LazyThreadSafetyMode.ExecutionAndPublication);

    public static RegistryProcess Instance => Started.Value;

    public static void Stop()
    {
        if (Started.IsValueCreated) Started.Value.Dispose();
    }
}
