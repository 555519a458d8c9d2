using Bakery.Core.Descriptors;
using Bakery.Oci.Model;
using Bakery.Tests.Infrastructure;
using Docker.DotNet.Models;

namespace Bakery.Tests.Integration;

/// <summary>A baked image, pushed to a real registry, pulled and run by a real dockerd (network none).</summary>
[TestClass]
[TestCategory("Integration")]
[TestCategory("Docker")]
public sealed class DockerRunTests
{
    [TestMethod]
    [RequiresDockerImage(RequiresDockerImageAttribute.RuntimeBase)]
    public async Task Baked_app_runs_in_dockerd_on_the_runtime_base_image()
    {
        using var registry = RegistryProcess.Start();
        using var workspace = new BakeryWorkspace("docker");
        var runtime = ImageReference.Parse(RequiresDockerImageAttribute.Image(RequiresDockerImageAttribute.RuntimeBase));
        workspace.AddBasePackage(new BaseImageDescriptor
        {
            Id = "Tests.BaseImages.DotnetRuntime",
            Version = "10.0.0",
            Image = new DescriptorImage { Registry = runtime.Registry, Repository = runtime.Repository, Digest = runtime.Digest?.ToString() ?? throw new InvalidOperationException("BAKERY_TEST_RUNTIME_BASE must be pinned by digest.") },
            Lifecycle = new DescriptorLifecycle { ExpiresOn = DateTimeOffset.UtcNow.AddYears(1) },
        });
        var dir = workspace.CreateProject("runme", BakeryWorkspace.BaseReference("Tests.BaseImages.DotnetRuntime", "10.0.0") + """
              <ItemGroup>
                <BakeryLayer Include="greeting.txt" Destination="/etc/runme/" />
              </ItemGroup>
            """, """
            System.Console.WriteLine($"hello from runme as {System.Environment.UserName}: {System.IO.File.ReadAllText("/etc/runme/greeting.txt").Trim()}");
            """);
        File.WriteAllText(Path.Combine(dir, "greeting.txt"), "baked and verified");

        var bake = workspace.Bake(dir, "BakeryBuildId=3", $"ContainerRegistry={registry.Address}");
        Assert.AreEqual(0, bake.ExitCode, bake.Output);

        using var docker = RequiresDockerImageAttribute.CreateClient();
        var image = $"{registry.Address}/tests/runme";
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(3));
        await docker.Images.CreateImageAsync(new ImagesCreateParameters { FromImage = image, Tag = "1.0.0-build.3" }, null, new Progress<JSONMessage>(), timeout.Token);
        var container = await docker.Containers.CreateContainerAsync(new CreateContainerParameters
        {
            Image = $"{image}:1.0.0-build.3",
            HostConfig = new HostConfig { NetworkMode = "none" },
        }, timeout.Token);
        try
        {
            await docker.Containers.StartContainerAsync(container.ID, new ContainerStartParameters(), timeout.Token);
            var exit = await docker.Containers.WaitContainerAsync(container.ID, timeout.Token);
            using var logs = await docker.Containers.GetContainerLogsAsync(container.ID,
                new ContainerLogsParameters { ShowStdout = true, ShowStderr = true }, timeout.Token);
            var (stdout, stderr) = await logs.ReadOutputToEndAsync(timeout.Token);

            Assert.AreEqual(0L, exit.StatusCode, stdout + stderr);
            StringAssert.Contains(stdout, "hello from runme as app: baked and verified");
        }
        finally
        {
            await docker.Containers.RemoveContainerAsync(container.ID, new ContainerRemoveParameters { Force = true });
            await docker.Images.DeleteImageAsync($"{image}:1.0.0-build.3", new ImageDeleteParameters { Force = true });
        }
    }
}
