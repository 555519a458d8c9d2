namespace Bakery.Oci.Registry;

/// <summary>The process's environment variables as a dictionary, the shape the registry settings read.</summary>
internal static class ProcessEnvironment
{
    public static IReadOnlyDictionary<string, string?> Snapshot()
    {
        var env = new Dictionary<string, string?>(StringComparer.Ordinal);
        foreach (System.Collections.DictionaryEntry e in Environment.GetEnvironmentVariables())
            env[(string)e.Key] = (string?)e.Value;
        return env;
    }
}
