using Bakery.Core;
using Bakery.Core.Descriptors;
using Bakery.Core.Lifecycle;
using Bakery.Core.Reports;
using Bakery.Core.Security;
using Bakery.Oci.Model;
using Bakery.Oci.Registry;
using Microsoft.Build.Framework;
using Microsoft.Build.Utilities;

namespace Bakery.Tasks;

/// <summary>
/// Writes the descriptor and props of a base-image package from the last bake's report, after
/// checking that the baked image really is in its registry.
/// </summary>
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

    [Output] public ITaskItem[] PackageFiles { get; private set; } = [];

    protected override void ExecuteCore()
    {
        var package = $"{PackageId} {PackageVersion}";
        if (!File.Exists(ReportPath))
            throw BakeryException.Create("BAKE406", package, $"no baked image was found ({ReportPath} is missing). Run 'dotnet publish -p:BakeImage=true' before 'dotnet pack'.");
        var bake = BakeReportWriter.Read(ReportPath);
        EnsurePushed(bake, package);

        var now = PropertyValues.Now(Now, DateTimeOffset.UtcNow);
        var verify = CollectVerifyFiles(package);
        var own = new SecurityRequirements
        {
            RequireAssessment = RequireAssessment,
            FailOnSeverity = string.IsNullOrWhiteSpace(RequireFailOnSeverity) ? null : VulnerabilityGate.ParseThreshold(RequireFailOnSeverity),
            AdvisoryMaxAgeDays = string.IsNullOrWhiteSpace(RequireAdvisoryMaxAgeDays) ? null : ParseInt("BakeryRequireAdvisoryMaxAgeDays", RequireAdvisoryMaxAgeDays, 0),
            SetBy = PackageId,
        };
        var parent = string.IsNullOrEmpty(ParentDescriptorPath) ? null : DescriptorReader.Load(ParentDescriptorPath, ParentDescriptorPath);
        var descriptor = BaseImagePackage.CreateDescriptor(new BaseImagePackageRequest
        {
            PackageId = PackageId,
            PackageVersion = PackageVersion,
            Bake = bake,
            Published = new DateTimeOffset(now.UtcDateTime.Date, TimeSpan.Zero),
            SupportDays = string.IsNullOrWhiteSpace(SupportDays) ? null : ParseInt("BakerySupportDays", SupportDays, 0),
            DeprecatedOn = ParseDate("BakeryDeprecatedOn", DeprecatedOn),
            ExpiresOn = ParseDate("BakeryExpiresOn", ExpiresOn),
            Successor = Successor,
            VerifyFiles = verify.Select(v => v.PackagePath).ToList(),
            Source = Source,
            Revision = Revision,
            Labels = Labels.ToDictionary(l => l.ItemSpec, l => l.GetMetadata("Value")),
            User = User,
            WorkDir = WorkingDirectory,
            Security = SecurityRequirements.Strictest(own, parent?.Security),
            RequiredLabels = Core.Verification.BuiltInPolicies.Merge(RequiredLabels.Select(l => l.ItemSpec), PackageId, parent?.RequiredLabels ?? []),
        });
        var (descriptorPath, propsPath) = BaseImagePackage.Write(descriptor, OutputDirectory);

        var files = new List<ITaskItem>
        {
            Item(descriptorPath, "bakery/image.json"),
            Item(propsPath, $"build/{PackageId}.props"),
        };
        files.AddRange(verify.Select(v => Item(v.Path, v.PackagePath)));
        PackageFiles = files.ToArray();
        Log.LogMessage(MessageImportance.High, $"Bakery: base-image package {package} pins {descriptor.PinnedReference}" +
            (descriptor.Lifecycle.ExpiresOn is { } e ? $", expires {e:yyyy-MM-dd}" : "") + $", lineage of {descriptor.Lineage.Count}.");
    }

    private void EnsurePushed(Core.Baking.BakeResult bake, string package)
    {
        var reference = ImageReference.Parse($"{bake.Image}@{bake.Digest}");
        var options = new RegistryClientOptions
        {
            InsecureRegistries = RegistryClientOptions.ParseList(InsecureRegistries),
            Retry = new RetryPolicy { MaxAttempts = 2 },
        };
        using var client = new RegistryClient(reference.Registry, options);
        bool exists;
        try { exists = client.ManifestExistsAsync(reference.Repository, bake.Digest, CancellationToken).GetAwaiter().GetResult(); }
        catch (RegistryException e) { throw BakeryException.Create("BAKE406", package, $"the registry holding {reference} cannot confirm it: {e.Message}"); }
        if (!exists)
            throw BakeryException.Create("BAKE406", package, $"{reference} is not in its registry. Bake and push it again with 'dotnet publish -p:BakeImage=true'.");
    }

    /// <summary>This project's BakeryVerify files, then every ancestor's, each under its own package id: descendants cannot drop them.</summary>
    private List<(string PackagePath, string Path)> CollectVerifyFiles(string package)
    {
        var files = new List<(string PackagePath, string Path)>();
        foreach (var item in VerifyFiles)
        {
            var path = item.GetMetadata("FullPath");
            if (!File.Exists(path)) throw BakeryException.Create("BAKE406", package, $"the verification file '{item.ItemSpec}' does not exist.");
            files.Add(($"bakery/verify/{PackageId}/{Path.GetFileName(path)}", path));
        }
        if (!string.IsNullOrEmpty(ParentDescriptorPath))
        {
            var parent = DescriptorReader.Load(ParentDescriptorPath, ParentDescriptorPath);
            var packageRoot = Path.GetFullPath(Path.Combine(Path.GetDirectoryName(ParentDescriptorPath)!, ".."));
            foreach (var relative in parent.Verify)
            {
                var path = Path.Combine(packageRoot, relative);
                if (!File.Exists(path))
                    throw BakeryException.Create("BAKE406", package, $"the inherited verification file '{relative}' of {parent.Id} {parent.Version} is missing from its package.");
                if (files.All(f => f.PackagePath != relative)) files.Add((relative, path));
            }
        }
        return files;
    }

    private static DateTimeOffset? ParseDate(string property, string? value) =>
        string.IsNullOrWhiteSpace(value) ? null : PropertyValues.Date(property, value.Trim());

    private static TaskItem Item(string path, string packagePath)
    {
        var item = new TaskItem(path);
        item.SetMetadata("PackagePath", packagePath);
        return item;
    }
}
