using Bakery.Core.Tags;
using Microsoft.Build.Framework;

namespace Bakery.Tasks;

/// <summary>The version a base-image package is packed with: the CI build id (found as the bake finds it) as a fourth part.</summary>
public sealed class GetBakeryPackageVersion : BakeryTask
{
    [Required] public string Version { get; set; } = "";
    [Required] public string PackageVersion { get; set; } = "";
    public string? BuildId { get; set; }

    [Output] public string Result { get; private set; } = "";

    protected override void ExecuteCore()
    {
        var (id, _) = BuildIdResolver.Resolve(BuildId, Environment.GetEnvironmentVariable);
        Result = BuildIdResolver.PackageVersion(Version, PackageVersion, id);
    }
}
