using Bakery.Core.Tags;
using Microsoft.Build.Framework;

namespace Bakery.Tasks;

/// <summary>
/// Checks before anything compiles what the bake would refuse at the end: the target repository
/// (when the project names it) and the tags (BAKE401, BAKE404, BAKE405). Warnings are left to the bake.
/// </summary>
public sealed class ValidateBakeryTarget : BakeryTask
{
    public string? TargetRegistry { get; set; }
    public string? ArchiveOutputPath { get; set; }
    /// <summary>ContainerRepository as the project sets it; empty until the SDK's container targets default it, and then not checked here.</summary>
    public string? Repository { get; set; }
    [Required] public string Version { get; set; } = "";
    public string? BuildId { get; set; }
    public string? ExtraTags { get; set; }
    public bool AllowLatestTag { get; set; }

    protected override void ExecuteCore() =>
        ImageTarget.Decide(TargetRegistry, string.IsNullOrWhiteSpace(Repository) ? "unnamed" : Repository, Version, BuildId,
            ExtraTags, AllowLatestTag, Environment.GetEnvironmentVariable, ArchiveOutputPath);
}
