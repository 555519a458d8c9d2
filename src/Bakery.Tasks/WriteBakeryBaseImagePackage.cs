using Bakery.Core.Descriptors;
using Microsoft.Build.Framework;
using Microsoft.Build.Utilities;

namespace Bakery.Tasks;

/// <summary>Writes the descriptor and props of a base-image package from the last bake's report (see <see cref="BaseImagePackageContent"/>).</summary>
public sealed class WriteBakeryBaseImagePackage : BakeryTask
{
    [Required] public string ReportPath { get; set; } = "";
    [Required] public string PackageId { get; set; } = "";
    [Required] public string PackageVersion { get; set; } = "";
    [Required] public string OutputDirectory { get; set; } = "";
    public string? Now { get; set; }
    public string? SupportDays { get; set; }
    public string? DeprecatedOn { get; set; }
    public string? ExpiresOn { get; set; }
    public string? Successor { get; set; }
    public ITaskItem[] VerifyFiles { get; set; } = [];
    public string? ParentDescriptorPath { get; set; }
    public string? Source { get; set; }
    public string? Revision { get; set; }
    public string? User { get; set; }
    public string? WorkingDirectory { get; set; }
    public ITaskItem[] Labels { get; set; } = [];
    public string? InsecureRegistries { get; set; }

    /// <summary>BakeryRequireVulnerabilityAssessment / BakeryRequireFailOnSeverity / BakeryRequireAdvisoryMaxAgeDays: demands on descendants.</summary>
    public bool RequireAssessment { get; set; }
    public ITaskItem[] RequiredLabels { get; set; } = [];
    public string? RequireFailOnSeverity { get; set; }
    public string? RequireAdvisoryMaxAgeDays { get; set; }

    /// <summary>BakeryRequireSignature: base images baked on this package must be signed; BakeryTrustedSigningKey items travel down as rules.</summary>
    public bool RequireSignature { get; set; }
    public ITaskItem[] TrustedSigningKeys { get; set; } = [];

    [Output] public ITaskItem[] PackageFiles { get; private set; } = [];

    protected override void ExecuteCore()
    {
        var (descriptor, files) = BaseImagePackageContent.CreateAsync(new BaseImagePackageInputs
        {
            ReportPath = ReportPath,
            PackageId = PackageId,
            PackageVersion = PackageVersion,
            OutputDirectory = OutputDirectory,
            Now = Now,
            SupportDays = SupportDays,
            DeprecatedOn = DeprecatedOn,
            ExpiresOn = ExpiresOn,
            Successor = Successor,
            VerifyFiles = VerifyFiles.Select(v => v.GetMetadata("FullPath")).ToList(),
            ParentDescriptorPath = ParentDescriptorPath,
            Source = Source,
            Revision = Revision,
            User = User,
            WorkingDirectory = WorkingDirectory,
            Labels = Labels.ToDictionary(l => l.ItemSpec, l => l.GetMetadata("Value")),
            InsecureRegistries = InsecureRegistries,
            RequireAssessment = RequireAssessment,
            RequiredLabels = RequiredLabels.Select(l => l.ItemSpec).ToList(),
            RequireFailOnSeverity = RequireFailOnSeverity,
            RequireAdvisoryMaxAgeDays = RequireAdvisoryMaxAgeDays,
            RequireSignature = RequireSignature,
            TrustedSigningKeys = TaskInputs.Items(TrustedSigningKeys, withFullPath: true),
        }, CancellationToken).GetAwaiter().GetResult();
        PackageFiles = files.Select(f =>
        {
            var item = new TaskItem(f.Path);
            item.SetMetadata("PackagePath", f.PackagePath);
            return (ITaskItem)item;
        }).ToArray();
        Log.LogMessage(MessageImportance.High, $"Bakery: base-image package {PackageId} {PackageVersion} pins {descriptor.PinnedReference}" +
            (descriptor.Lifecycle.ExpiresOn is { } e ? $", expires {e:yyyy-MM-dd}" : "") + $", lineage of {descriptor.Lineage.Count}.");
    }
}
