namespace Bakery.Tests.Infrastructure;

/// <summary>
/// Bakery.Sdk packed once per test run into a feed of its own. The version is the one
/// Nerdbank.GitVersioning gives this commit; every workspace restores it into its own package cache.
/// </summary>
internal static class SdkPackage
{
    private static readonly Lazy<(string Path, string Version)> Packed = new(Pack, LazyThreadSafetyMode.ExecutionAndPublication);

    public static string NupkgPath => Packed.Value.Path;
    public static string Version => Packed.Value.Version;

    private static (string, string) Pack()
    {
        var output = TestPaths.NewTempDirectory("sdkfeed");
        var result = ProcessRunner.Run("dotnet",
            ["pack", Path.Combine(TestPaths.RepositoryRoot, "sdk", "Bakery.Sdk", "Bakery.Sdk.csproj"), "-c", "Release", "-o", output,
             "-nr:false", "-v:q", "-nologo"],
            TestPaths.RepositoryRoot, timeout: TimeSpan.FromMinutes(5));
        if (result.ExitCode != 0) throw new InvalidOperationException("Packing Bakery.Sdk failed:\n" + result.Output);
        var nupkg = Directory.GetFiles(output, "Bakery.Sdk.*.nupkg").SingleOrDefault()
            ?? throw new InvalidOperationException($"No Bakery.Sdk package in {output} after pack:\n{result.Output}");
        var version = Path.GetFileNameWithoutExtension(nupkg)["Bakery.Sdk.".Length..];
        return (nupkg, version);
    }
}
