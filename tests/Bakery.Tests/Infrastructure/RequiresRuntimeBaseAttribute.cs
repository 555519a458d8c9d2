using Docker.DotNet;

namespace Bakery.Tests.Infrastructure;

/// <summary>
/// Runs a test only when a Docker daemon answers and ./build.sh test made a runtime base image
/// (BAKERY_TEST_RUNTIME_BASE); otherwise the test is reported as skipped with the reason.
/// </summary>
[AttributeUsage(AttributeTargets.Method | AttributeTargets.Class)]
internal sealed class RequiresRuntimeBaseAttribute : ConditionBaseAttribute
{
    public RequiresRuntimeBaseAttribute() : base(ConditionMode.Include) => IgnoreMessage = Reason.Value;

    public static string? RuntimeBase => Environment.GetEnvironmentVariable("BAKERY_TEST_RUNTIME_BASE");

    private static readonly Lazy<string?> Reason = new(FindReason);

    public override bool IsConditionMet => Reason.Value is null;

    public override string GroupName => "RuntimeBase";

    public static DockerClient CreateClient() =>
        new DockerClientConfiguration(new Uri("unix:///var/run/docker.sock")).CreateClient();

    private static string? FindReason()
    {
        if (string.IsNullOrEmpty(RuntimeBase))
            return "Skipped: BAKERY_TEST_RUNTIME_BASE is not set. Run ./build.sh test, which starts dockerd and makes the runtime base image.";
        try
        {
            using var client = CreateClient();
            client.System.PingAsync().Wait(TimeSpan.FromSeconds(10));
            return null;
        }
        catch (Exception e)
        {
            return $"Skipped: no Docker daemon answers on /var/run/docker.sock ({e.GetBaseException().Message}).";
        }
    }
}
