namespace Bakery.Core.Signing;

/// <summary>
/// Who ran a bake, for SLSA provenance: the builder's id (the CI platform, or BakeryBuilderId) and the
/// invocation (the CI run), read from the CI's own variables so the same run always says the same.
/// </summary>
public sealed record BuilderIdentity(string Id, string? InvocationId)
{
    public const string Local = "urn:bakery:builder:local";

    public static BuilderIdentity From(string? builderId, string? buildId, Func<string, string?> environment)
    {
        string? Get(string name) => environment(name) is { Length: > 0 } value ? value : null;
        string id;
        string? invocation;
        if (Get("GITHUB_ACTIONS") == "true")
        {
            var server = Get("GITHUB_SERVER_URL") ?? "https://github.com";
            id = $"https://github.com/actions/runner/{Get("RUNNER_ENVIRONMENT") ?? "github-hosted"}";
            invocation = Get("GITHUB_RUN_ID") is { } run ? $"{server}/{Get("GITHUB_REPOSITORY")}/actions/runs/{run}/attempts/{Get("GITHUB_RUN_ATTEMPT") ?? "1"}" : null;
        }
        else if (Get("TF_BUILD") is not null)
        {
            id = $"{Get("SYSTEM_COLLECTIONURI") ?? "https://dev.azure.com/"}_apis/distributedtask/agent";
            invocation = Get("BUILD_BUILDID") is { } run ? $"{Get("SYSTEM_COLLECTIONURI")}{Get("SYSTEM_TEAMPROJECT")}/_build/results?buildId={run}" : null;
        }
        else if (Get("GITLAB_CI") is not null)
        {
            id = $"{Get("CI_SERVER_URL") ?? "https://gitlab.com"}/gitlab-runner";
            invocation = Get("CI_JOB_URL");
        }
        else
        {
            id = Local;
            invocation = null;
        }
        return new BuilderIdentity(string.IsNullOrWhiteSpace(builderId) ? id : builderId.Trim(), invocation ?? buildId);
    }
}
