using System.IO.Compression;
using System.Text.Json;
using Bakery.Core.Descriptors;

namespace Bakery.Tests.Infrastructure;

/// <summary>Writes a base-image package (.nupkg) with the layout DESIGN.md gives: bakery/image.json and build/&lt;id&gt;.props.</summary>
internal static class BasePackageWriter
{
    private static readonly JsonSerializerOptions Json = new() { WriteIndented = true };

    public static string Write(string feed, BaseImageDescriptor descriptor, IReadOnlyDictionary<string, string>? extraFiles = null) =>
        WriteRaw(feed, descriptor.Id, descriptor.Version, JsonSerializer.Serialize(descriptor, Json), extraFiles);

    public static string WriteRaw(string feed, string id, string version, string descriptorJson, IReadOnlyDictionary<string, string>? extraFiles = null)
    {
        Directory.CreateDirectory(feed);
        var path = Path.Combine(feed, $"{id}.{version}.nupkg");
        using var zip = ZipFile.Open(path, ZipArchiveMode.Create);
        Add(zip, $"{id}.nuspec", $"""
            <?xml version="1.0" encoding="utf-8"?>
            <package xmlns="http://schemas.microsoft.com/packaging/2013/05/nuspec.xsd">
              <metadata>
                <id>{id}</id>
                <version>{version}</version>
                <authors>bakery-tests</authors>
                <description>Test base image {id} {version}</description>
                <developmentDependency>true</developmentDependency>
                <packageTypes><packageType name="BakeryBaseImage" /></packageTypes>
              </metadata>
            </package>
            """);
        Add(zip, PackageLayout.DescriptorPath, descriptorJson);
        foreach (var (name, content) in extraFiles ?? new Dictionary<string, string>()) Add(zip, name, content);
        Add(zip, PackageLayout.PropsPath(id), PackageLayout.Props(id, version));
        return path;
    }

    public static BaseImageDescriptor Descriptor(string id, string version, TestImages.PushedImage image,
        DateTimeOffset? expires = null, DateTimeOffset? deprecated = null, string? successor = null) => new()
    {
        Id = id,
        Version = version,
        Image = new DescriptorImage { Registry = image.Registry, Repository = image.Repository, Digest = image.Digest.ToString(), Platform = Bakery.Oci.Model.Platform.LinuxAmd64 },
        Lifecycle = new DescriptorLifecycle
        {
            Published = new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero),
            ExpiresOn = expires,
            DeprecatedOn = deprecated,
            Successor = successor,
        },
        Environment = new DescriptorEnvironment { User = "1654", WorkDir = "/app" },
    };

    private static void Add(ZipArchive zip, string name, string content)
    {
        var entry = zip.CreateEntry(name);
        using var writer = new StreamWriter(entry.Open());
        writer.Write(content);
    }
}
