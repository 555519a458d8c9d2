using System.Text.RegularExpressions;
using Bakery.Tests.Infrastructure;

namespace Bakery.Tests.Integration;

/// <summary>
/// The README's "Your first bake" runs as written: its commands, in a fresh folder, with the feed,
/// base-image package and registry a platform team would hand out replaced by this run's own (a feed
/// with the SDK under test and the global runtime base's package, the registry of ./build.sh test).
/// The image it pushes runs in dockerd.
/// </summary>
[TestClass]
[TestCategory("Integration")]
[TestCategory("Docker")]
public sealed class FirstBakeReadmeTests
{
    [TestMethod]
    [RequiresDockerImage(RequiresDockerImageAttribute.RuntimeBase)]
    public void The_first_bake_section_goes_from_an_empty_folder_to_a_running_container()
    {
        var baseFeed = Environment.GetEnvironmentVariable("BAKERY_TEST_BASE_FEED") ?? throw new InvalidOperationException("BAKERY_TEST_BASE_FEED is not set (./build.sh test sets it).");
        var registry = Environment.GetEnvironmentVariable("BAKERY_TEST_REGISTRY") ?? throw new InvalidOperationException("BAKERY_TEST_REGISTRY is not set (./build.sh test sets it).");
        using var workspace = new BakeryWorkspace("firstbake");
        foreach (var package in Directory.EnumerateFiles(baseFeed, "Contoso.BaseImages.Runtime.*.nupkg"))
            File.Copy(package, Path.Combine(workspace.Feed, Path.GetFileName(package)));
        // The README's folder is a new one, outside the workspace's global.json and nuget.config.
        var home = TestPaths.NewTempDirectory("firstbake-home");

        var script = ReadmeSection("Your first bake");
        var lines = script.Split('\n').ToList();
        Assert.IsTrue(lines.Any(l => l.StartsWith("dotnet publish -p:BakeImage=true", StringComparison.Ordinal)), script);
        var run = lines.Single(l => l.StartsWith("docker run", StringComparison.Ordinal));
        var shell = string.Join('\n', lines.Where(l => l != run).Select(l => l switch
        {
            _ when l.StartsWith("feed=", StringComparison.Ordinal) => $"feed={workspace.Feed}",
            _ when l.StartsWith("registry=", StringComparison.Ordinal) => $"registry={registry}",
            _ => l,
        }));
        var result = ProcessRunner.Run("bash", ["-euo", "pipefail", "-c", shell], home,
            new Dictionary<string, string> { ["NUGET_PACKAGES"] = workspace.Packages }, TimeSpan.FromMinutes(8));
        Assert.AreEqual(0, result.ExitCode, $"{shell}\n---\n{result.Output}");

        var image = Regex.Match(run, "\"\\$registry/([^\"]+)\"").Groups[1].Value;
        Assert.AreEqual("team/hello:1.0.0-local", image, run);
        var name = "firstbake-" + Guid.NewGuid().ToString("N")[..8];
        var started = ProcessRunner.Run("docker", ["run", "-d", "--name", name, "--network", "none", $"{registry}/{image}"], home);
        try
        {
            Assert.AreEqual(0, started.ExitCode, started.Output);
            var logs = "";
            for (var i = 0; i < 60 && !logs.Contains("Now listening on", StringComparison.Ordinal); i++)
            {
                Thread.Sleep(500);
                logs = ProcessRunner.Run("docker", ["logs", name], home).Output;
            }
            StringAssert.Contains(logs, "Now listening on", "the ASP.NET Core app starts in the baked image");
        }
        finally
        {
            ProcessRunner.Run("docker", ["rm", "-f", name], home);
            ProcessRunner.Run("docker", ["rmi", "-f", $"{registry}/{image}"], home);
            Directory.Delete(home, recursive: true);
        }
    }

    /// <summary>The first bash block under a README heading.</summary>
    private static string ReadmeSection(string heading)
    {
        var readme = File.ReadAllText(Path.Combine(TestPaths.RepositoryRoot, "README.md"));
        var start = readme.IndexOf("## " + heading, StringComparison.Ordinal);
        Assert.IsGreaterThanOrEqualTo(0, start, $"README has no section '{heading}'");
        var block = Regex.Match(readme[start..], "```bash\n(.*?)\n```", RegexOptions.Singleline);
        return block.Groups[1].Value;
    }
}
