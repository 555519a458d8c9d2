using System.IO.Compression;
using System.Security;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace Bakery.Core.Descriptors;

/// <summary>
/// Where things live in a base-image package: the descriptor <c>bakery/image.json</c>, the props
/// <c>build/&lt;id&gt;.props</c> that adds the <c>BakeryBaseImage</c> item, and verification files
/// <c>bakery/verify/&lt;package id&gt;/&lt;file&gt;</c> (this package's and every ancestor's).
/// Written by the pack, read by bakes, the tool and the tests: the one place that knows the layout.
/// </summary>
public static class PackageLayout
{
    public const string DescriptorPath = "bakery/image.json";
    public const string PackageType = "BakeryBaseImage";
    private const string VerifyFolder = "bakery/verify/";

    private static readonly JsonSerializerOptions Json = new()
    {
        WriteIndented = true,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    };

    public static string PropsPath(string packageId) => $"build/{packageId}.props";

    public static string VerifyPath(string packageId, string fileName) => $"{VerifyFolder}{packageId}/{fileName}";

    /// <summary>The package a verification file belongs to, from its package path; null when the path is not one.</summary>
    public static string? VerifyOwner(string packagePath) =>
        packagePath.StartsWith(VerifyFolder, StringComparison.Ordinal) && packagePath[VerifyFolder.Length..].Split('/') is [{ Length: > 0 } owner, { Length: > 0 }]
            ? owner : null;

    /// <summary>The folder a restored package was extracted to, from the path of its descriptor.</summary>
    public static string PackageRoot(string descriptorFile) =>
        Path.GetFullPath(Path.Combine(Path.GetDirectoryName(descriptorFile)!, ".."));

    /// <summary>A file of a restored package, from its package path.</summary>
    public static string FileIn(string descriptorFile, string packagePath) => Path.Combine(PackageRoot(descriptorFile), packagePath);

    /// <summary>The descriptor of a restored package: NUGET_PACKAGES/id/version/bakery/image.json.</summary>
    public static string RestoredDescriptor(string packagesFolder, string packageId, string normalizedVersion) =>
        Path.Combine(packagesFolder, packageId.ToLowerInvariant(), normalizedVersion.ToLowerInvariant(), "bakery", "image.json");

    public static string Serialize(BaseImageDescriptor descriptor) => JsonSerializer.Serialize(descriptor, Json);

    /// <summary>The props a package's consumers import: it adds the one BakeryBaseImage item.</summary>
    public static string Props(BaseImageDescriptor descriptor) => Props(descriptor.Id, descriptor.Version, descriptor.PinnedReference);

    public static string Props(string packageId, string version, string? pinnedReference = null) => $"""
        <Project>
          <!-- Added by base-image package {SecurityElement.Escape(packageId)} {SecurityElement.Escape(version)}{(pinnedReference is null ? "" : $": the image it pins is {SecurityElement.Escape(pinnedReference)}")}. -->
          <ItemGroup>
            <BakeryBaseImage Include="{SecurityElement.Escape(packageId)}" Version="{SecurityElement.Escape(version)}" Descriptor="$(MSBuildThisFileDirectory)../{DescriptorPath}" />
          </ItemGroup>
        </Project>
        """;

    /// <summary>The descriptor inside a .nupkg; null when the package is not a base-image package.</summary>
    public static BaseImageDescriptor? ReadFromNupkg(string nupkg, string displayName)
    {
        using var zip = ZipFile.OpenRead(nupkg);
        var entry = zip.GetEntry(DescriptorPath);
        if (entry is null) return null;
        using var reader = new StreamReader(entry.Open());
        return DescriptorReader.Parse(reader.ReadToEnd(), $"{nupkg}!{DescriptorPath}", displayName);
    }
}
