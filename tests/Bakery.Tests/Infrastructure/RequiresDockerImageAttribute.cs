using Docker.DotNet;

namespace Bakery.Tests.Infrastructure;

/// <summary>
/// Runs a test only when a Docker daemon answers and ./build.sh test made the image named by
/// the variable (BAKERY_TEST_UPSTREAM, BAKERY_TEST_RUNTIME_BASE); otherwise the test is
/// reported as skipped with the reason.
/// </summary>
[AttributeUsage(AttributeTargets.Method | AttributeTargets.Class)]
internal sealed class RequiresDockerImageAttribute : ConditionBaseAttribute
{
    public const string Upstream = "BAKERY_TEST_UPSTREAM";
    public const string RuntimeBase = "BAKERY_TEST_RUNTIME_BASE";

    private static readonly Lazy<string?> DaemonProblem = new(FindDaemonProblem);
    private readonly string? _reason;

    public RequiresDockerImageAttribute(string variable) : base(ConditionMode.Include)
    {
        _reason = string.IsNullOrEmpty(Environment.GetEnvironmentVariable(variable))
            ? $"Skipped: {variable} is not set. Run ./build.sh test, which starts dockerd and makes the images these tests run."
            : DaemonProblem.Value;
        IgnoreMessage = _reason;
    }

    public override bool IsConditionMet => _reason is null;

    public override string GroupName => "DockerImages";

    public static string Image(string variable) =>
        Environment.GetEnvironmentVariable(variable) ?? throw new InvalidOperationException($"{variable} is not set.");

    public static DockerClient CreateClient() =>
        new DockerClientBuilder().WithEndpoint(new Uri("unix:///var/run/docker.sock")).Build();

    /// <summary>A hung daemon is a reason too: the ping has a time limit, and running out of it skips.</summary>
    private static string? FindDaemonProblem()
    {
        using var runtime = Core.Containers.ContainerRuntimes.Connect(new Core.Containers.ContainerEndpoint(
            new Uri("unix:///var/run/docker.sock"), Core.Containers.ContainerEngineKind.Docker, "the default socket"));
        return runtime.UnavailableReasonAsync(CancellationToken.None).GetAwaiter().GetResult() is { } reason
            ? $"Skipped: no Docker daemon answers on /var/run/docker.sock ({reason})."
            : null;
    }
}
