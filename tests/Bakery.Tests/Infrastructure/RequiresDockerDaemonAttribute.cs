namespace Bakery.Tests.Infrastructure;

/// <summary>Runs a test only when a Docker daemon answers on /var/run/docker.sock; otherwise it is skipped with the reason.</summary>
[AttributeUsage(AttributeTargets.Method | AttributeTargets.Class)]
internal sealed class RequiresDockerDaemonAttribute : ConditionBaseAttribute
{
    private static readonly Lazy<string?> Problem = new(() =>
    {
        try
        {
            using var client = RequiresDockerImageAttribute.CreateClient();
            return client.System.PingAsync().Wait(TimeSpan.FromSeconds(10)) ? null : "Skipped: the Docker daemon did not answer within 10 s.";
        }
        catch (Exception e)
        {
            return $"Skipped: no Docker daemon answers on /var/run/docker.sock ({e.GetBaseException().Message}). Run ./build.sh test, which starts one.";
        }
    });

    public RequiresDockerDaemonAttribute() : base(ConditionMode.Include) => IgnoreMessage = Problem.Value;

    public override bool IsConditionMet => Problem.Value is null;

    public override string GroupName => "DockerDaemon";
}
