namespace Bakery.Tests.Infrastructure;

/// <summary>Bakery.Templates packed once per test run; its templates name the Bakery.Sdk version of the same commit.</summary>
internal static class TemplatesPackage
{
    private static readonly Lazy<string> Packed = new(Pack, LazyThreadSafetyMode.ExecutionAndPublication);

    public static string NupkgPath => Packed.Value;

    private static string Pack()
    {
        var output = TestPaths.NewTempDirectory("templatesfeed");
        var result = ProcessRunner.Run("dotnet",
            ["pack", Path.Combine(TestPaths.RepositoryRoot, "src", "Bakery.Templates", "Bakery.Templates.csproj"), "-c", "Release", "-o", output, "-nr:false", "-v:q", "-nologo"],
            TestPaths.RepositoryRoot, timeout: TimeSpan.FromMinutes(5));
        if (result.ExitCode != 0) throw new InvalidOperationException("Packing Bakery.Templates failed:\n" + result.Output);
        return Directory.GetFiles(output, "Bakery.Templates.*.nupkg").Single();
    }
}
