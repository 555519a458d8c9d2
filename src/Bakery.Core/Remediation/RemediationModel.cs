using Bakery.Core.Descriptors;
using NuGet.Versioning;

namespace Bakery.Core.Remediation;

/// <summary>The base-image package version that carries the fix; every other image of its repository is replaced.</summary>
public sealed record FixedBase(string PackageId, NuGetVersion Version, string Repository, string Digest)
{
    public override string ToString() => $"{PackageId} {Version.ToNormalizedString()}";
}

/// <summary>A project of the source tree, as far as remediation cares: what it publishes and which base-image packages it references.</summary>
public sealed record SourceProject(string Name, string Path, string? PublishesPackage, IReadOnlyList<PackageVersionReference> References);

/// <summary>A package reference and where its version is written (null when it is nowhere we can edit).</summary>
public sealed record PackageVersionReference(string PackageId, string VersionSpec, VersionLocation? Location);

/// <summary>The literal version text in a file: a PackageReference or PackageVersion attribute, or the property it names.</summary>
public sealed record VersionLocation(string File, int Line, string Text, string Description);

/// <summary>An image in a registry with the lineage its label records (nearest ancestor first).</summary>
public sealed record RegistryImage(string Image, string Digest, IReadOnlyList<string> Tags, IReadOnlyList<LineageEntry> Lineage);

public sealed record VersionEdit(string File, int Line, string OldText, string NewText);

/// <param name="Order">1-based rebuild order.</param>
/// <param name="Depth">1 = built directly on the fixed package, 2 = on a base image of depth 1, ….</param>
/// <param name="After">The project whose new package this one waits for (depth 2 and more).</param>
public sealed record PlanStep(int Order, int Depth, string Project, string Path, string? Publishes, string? After, string Action, VersionEdit? Edit);

/// <param name="Base">The image's own base (nearest lineage entry) as repository@digest: what a rebase replaces.</param>
public sealed record RegistryDescendant(string Image, string Digest, IReadOnlyList<string> Tags, int Depth, string ReplacedDigest, string? Base = null);

public sealed record RemediationPlan(FixedBase Fixed, IReadOnlyList<PlanStep> Steps, IReadOnlyList<RegistryDescendant> RegistryImages);
