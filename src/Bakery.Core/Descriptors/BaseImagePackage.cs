using Bakery.Core.Baking;

namespace Bakery.Core.Descriptors;

/// <summary>What a base-image package says about itself besides the bake: identity, dates, policies.</summary>
public sealed record BaseImagePackageRequest
{
    public required string PackageId { get; init; }
    public required string PackageVersion { get; init; }
    public required BakeResult Bake { get; init; }
    public required DateTimeOffset Published { get; init; }
    public Security.SecurityRequirements? Security { get; init; }
    public Trust.TrustPolicy? Trust { get; init; }
    public IReadOnlyList<Verification.RequiredLabel> RequiredLabels { get; init; } = [];
    public int? SupportDays { get; init; }
    public DateTimeOffset? DeprecatedOn { get; init; }
    public DateTimeOffset? ExpiresOn { get; init; }
    public string? Successor { get; init; }
    /// <summary>Package paths (bakery/verify/&lt;package id&gt;/&lt;file&gt;) of this image's and its ancestors' verification files.</summary>
    public IReadOnlyList<string> VerifyFiles { get; init; } = [];
    public string? Source { get; init; }
    public string? Revision { get; init; }
    public IReadOnlyDictionary<string, string> Labels { get; init; } = new Dictionary<string, string>();
    public string? User { get; init; }
    public string? WorkDir { get; init; }
}

/// <summary>Builds and writes the descriptor (bakery/image.json) and build/&lt;id&gt;.props of a base-image package.</summary>
public static class BaseImagePackage
{
    public static BaseImageDescriptor CreateDescriptor(BaseImagePackageRequest r)
    {
        var slash = r.Bake.Image.IndexOf('/');
        var expires = r.ExpiresOn ?? (r.SupportDays is { } days ? r.Published.AddDays(days) : null);
        var descriptor = new BaseImageDescriptor
        {
            Id = r.PackageId,
            Version = r.PackageVersion,
            Image = new DescriptorImage
            {
                Registry = r.Bake.Image[..slash],
                Repository = r.Bake.Image[(slash + 1)..],
                Digest = r.Bake.Digest,
                MediaType = r.Bake.MediaType,
                Platform = r.Bake.Platform,
                Size = r.Bake.Platforms.Count > 0 ? null : r.Bake.TotalSize,
                Platforms = r.Bake.Platforms.Count == 0 ? null : r.Bake.Platforms.Select(p => new DescriptorPlatformImage
                {
                    Platform = p.Platform,
                    Digest = p.Digest,
                    MediaType = p.MediaType,
                    Size = p.TotalSize,
                    Lineage = p.Lineage,
                    Sbom = p.SbomDigest,
                }).ToList(),
            },
            Lifecycle = new DescriptorLifecycle
            {
                Published = r.Published,
                DeprecatedOn = r.DeprecatedOn,
                ExpiresOn = expires,
                Successor = string.IsNullOrWhiteSpace(r.Successor) ? null : r.Successor,
            },
            Lineage = r.Bake.Lineage,
            Origin = new DescriptorOrigin { Source = r.Source, Revision = r.Revision, BuildId = r.Bake.BuildId },
            Labels = r.Labels,
            Verify = r.VerifyFiles,
            Environment = new DescriptorEnvironment { User = r.User, WorkDir = r.WorkDir },
            Sbom = r.Bake.SbomDigest,
            Security = r.Security,
            Trust = r.Trust,
            RequiredLabels = r.RequiredLabels,
        };
        var problem = DescriptorReader.Validate(descriptor);
        if (problem is not null) throw Messages.BAKE406($"{r.PackageId} {r.PackageVersion}", $"the descriptor would be invalid: {problem}.").Exception();
        return descriptor;
    }

    /// <summary>Writes image.json and &lt;id&gt;.props into <paramref name="directory"/>; returns their paths.</summary>
    public static (string Descriptor, string Props) Write(BaseImageDescriptor descriptor, string directory)
    {
        var descriptorPath = Path.Combine(directory, Path.GetFileName(PackageLayout.DescriptorPath));
        var propsPath = Path.Combine(directory, Path.GetFileName(PackageLayout.PropsPath(descriptor.Id)));
        Oci.AtomicFile.WriteAllText(descriptorPath, PackageLayout.Serialize(descriptor));
        Oci.AtomicFile.WriteAllText(propsPath, PackageLayout.Props(descriptor));
        return (descriptorPath, propsPath);
    }
}
