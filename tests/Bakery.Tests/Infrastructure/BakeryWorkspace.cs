using System.Text.Json;
using Bakery.Core.Descriptors;

namespace Bakery.Tests.Infrastructure;

/// <summary>
/// A temporary folder with its own NuGet feed (the SDK under test plus base-image packages), its own
/// package cache, and generated projects that use <c>Sdk="Bakery.Sdk"</c>.
/// </summary>
internal sealed class BakeryWorkspace : IDisposable
{
    public string Root { get; }
    public string Feed => Path.Combine(Root, "feed");
    public string Packages => Path.Combine(Root, "packages");

    /// <param name="withNuGetOrg">Also restore from nuget.org, for generated projects that reference public packages (as `dotnet new worker` does).</param>
    /// <param name="pushTo">The registry projects push to unless they or the command line set ContainerRegistry
    /// (a Directory.Build.props default); without it a bake loads into the local engine, as the SDK does.</param>
    public BakeryWorkspace(string name, bool withNuGetOrg = false, string? pushTo = null)
    {
        Root = TestPaths.NewTempDirectory(name);
        Directory.CreateDirectory(Feed);
        File.Copy(SdkPackage.NupkgPath, Path.Combine(Feed, Path.GetFileName(SdkPackage.NupkgPath)));
        File.WriteAllText(Path.Combine(Root, "global.json"),
            JsonSerializer.Serialize(new { msbuild_sdks = new Dictionary<string, string> { ["Bakery.Sdk"] = SdkPackage.Version } }).Replace("msbuild_sdks", "msbuild-sdks"));
        if (pushTo is not null)
            File.WriteAllText(Path.Combine(Root, "Directory.Build.props"), $"""
                <Project>
                  <PropertyGroup>
                    <ContainerRegistry Condition="'$(ContainerRegistry)' == ''">{pushTo}</ContainerRegistry>
                  </PropertyGroup>
                </Project>
                """);
        File.WriteAllText(Path.Combine(Root, "nuget.config"), $"""
            <configuration>
              <packageSources>
                <clear />
                <add key="test-feed" value="{Feed}" />{(withNuGetOrg ? "\n    <add key=\"nuget.org\" value=\"https://api.nuget.org/v3/index.json\" />" : "")}
              </packageSources>
            </configuration>
            """);
    }

    public void AddBasePackage(BaseImageDescriptor descriptor, IReadOnlyDictionary<string, string>? extraFiles = null) =>
        BasePackageWriter.Write(Feed, descriptor, extraFiles);

    /// <summary>A console app; <paramref name="body"/> is extra XML inside &lt;Project&gt;.</summary>
    public string CreateProject(string name, string body = "", string program = "")
    {
        var dir = Path.Combine(Root, name);
        Directory.CreateDirectory(dir);
        File.WriteAllText(Path.Combine(dir, $"{name}.csproj"), $"""
            <Project Sdk="Bakery.Sdk">
              <PropertyGroup>
                <OutputType>Exe</OutputType>
                <TargetFramework>net10.0</TargetFramework>
                <Version>1.0.0</Version>
                <ContainerRepository>tests/{name.ToLowerInvariant()}</ContainerRepository>
              </PropertyGroup>
            {body}
            </Project>
            """);
        File.WriteAllText(Path.Combine(dir, "Program.cs"), string.IsNullOrEmpty(program) ? $"System.Console.WriteLine(\"hello from {name}\");\n" : program);
        return dir;
    }

    public static string BaseReference(string id, string version) =>
        $"""  <ItemGroup><PackageReference Include="{id}" Version="{version}" /></ItemGroup>""";

    public ProcessResult Dotnet(string verb, string projectDir, IEnumerable<string> properties, IReadOnlyDictionary<string, string>? environment = null)
    {
        var env = new Dictionary<string, string>(environment ?? new Dictionary<string, string>())
        {
            ["NUGET_PACKAGES"] = Packages,
        };
        var args = new List<string> { verb, projectDir, "-nr:false", "-nologo", "-clp:NoSummary" };
        args.AddRange(properties.Select(p => "-p:" + p));
        return ProcessRunner.Run("dotnet", args, Root, env, TimeSpan.FromMinutes(5));
    }

    public ProcessResult Bake(string projectDir, params string[] properties) =>
        Dotnet("publish", projectDir, ["BakeImage=true", .. properties]);

    /// <summary>The bakery tool built with the tests, run in this workspace with its package folder (for Id/Version arguments and plans).</summary>
    public ProcessResult Tool(params string[] args) =>
        ProcessRunner.Run("dotnet", [Path.Combine(AppContext.BaseDirectory, "Bakery.Tool.dll"), .. args], Root,
            new Dictionary<string, string> { ["NUGET_PACKAGES"] = Packages });

    public void Dispose()
    {
        try { Directory.Delete(Root, recursive: true); }
        catch (IOException) { }
        catch (UnauthorizedAccessException) { }
    }
}
