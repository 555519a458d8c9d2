using System.Collections.Concurrent;
using System.IO.Compression;
using NuGet.Versioning;

namespace Bakery.Core.Descriptors;

/// <summary>A base-image package found on this machine: its descriptor, where it lies unpacked (for its verification files), and its .nupkg.</summary>
public sealed record LocatedPackage(BaseImageDescriptor Descriptor, string DescriptorPath, string Nupkg)
{
    public string Id => Descriptor.Id;
    public NuGetVersion Version => NuGetVersion.Parse(Descriptor.Version);
    public override string ToString() => $"{Descriptor.Id} {Descriptor.Version}";
}

/// <summary>
/// Finds base-image packages without restoring anything: in folder feeds (flat or id/version/
/// layouts; the tool's --source folders and those a nuget.config names) and in the package folder
/// (NUGET_PACKAGES, or ~/.nuget/packages). A package from a feed is unpacked (its bakery/ folder
/// only) under <c>unpackTo</c>, so its descriptor and verification files are read as a restored
/// package's are. HTTP feeds are not queried, as a bake does not query them.
/// </summary>
public sealed class PackageLocator
{
    private readonly IReadOnlyList<string> _feeds;
    private readonly string _packagesFolder;
    private readonly string _unpackTo;
    private readonly ConcurrentDictionary<string, Lazy<LocatedPackage?>> _unpacked = new(StringComparer.Ordinal);

    public PackageLocator(IReadOnlyList<string> feeds, string packagesFolder, string unpackTo) =>
        (_feeds, _packagesFolder, _unpackTo) = (feeds.Select(Path.GetFullPath).Distinct().ToList(), packagesFolder, unpackTo);

    /// <summary>The --source folders first, then the folder feeds the nuget.config files above <paramref name="directory"/> name.</summary>
    public static PackageLocator For(string directory, IEnumerable<string> sources, string unpackTo) =>
        new([.. sources.Where(Directory.Exists), .. PackageFeeds.FolderSources(directory)], DefaultPackagesFolder(), unpackTo);

    public static string DefaultPackagesFolder() =>
        Environment.GetEnvironmentVariable("NUGET_PACKAGES") is { Length: > 0 } p
            ? p : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".nuget", "packages");

    public IReadOnlyList<string> Feeds => _feeds;

    /// <summary>The package of this id and version: from a folder feed, else restored in the package folder; null when neither holds it.</summary>
    public LocatedPackage? Find(string id, NuGetVersion version)
    {
        if (PackageFeeds.Find(_feeds, id, version) is { } nupkg) return Unpack(nupkg, id);
        var normalized = version.ToNormalizedString();
        var descriptor = PackageLayout.RestoredDescriptor(_packagesFolder, id, normalized);
        if (!File.Exists(descriptor)) return null;
        var root = PackageLayout.PackageRoot(descriptor);
        var restored = Directory.EnumerateFiles(root, "*.nupkg").FirstOrDefault() ?? "";
        return new LocatedPackage(DescriptorReader.Load(descriptor, $"{id} {normalized}"), descriptor, restored);
    }

    /// <summary>The newest version of the package in the folder feeds.</summary>
    public LocatedPackage? Newest(string id) =>
        PackageFeeds.NewestVersion(_feeds, id) is { } version ? Find(id, version) : null;

    /// <summary>The packages in the folder feeds that pin <paramref name="digest"/> (a base image is packed once per version, so usually one).</summary>
    public IReadOnlyList<LocatedPackage> FindPinning(string digest)
    {
        var found = new List<LocatedPackage>();
        foreach (var nupkg in _feeds.Where(Directory.Exists).SelectMany(f => Directory.EnumerateFiles(f, "*.nupkg", SearchOption.AllDirectories)).Distinct())
        {
            BaseImageDescriptor? descriptor;
            try { descriptor = PackageLayout.ReadFromNupkg(nupkg, Path.GetFileName(nupkg)); }
            catch (Exception e) when (e is InvalidDataException or IOException or BakeryException) { continue; }
            if (descriptor?.Image.Digest == digest && Unpack(nupkg, descriptor.Id) is { } located) found.Add(located);
        }
        return found.OrderByDescending(p => p.Version).ToList();
    }

    /// <summary>A .nupkg file as a located package (unpacked); null when it is not a base-image package.</summary>
    public LocatedPackage? Open(string nupkg) => Unpack(nupkg, Path.GetFileNameWithoutExtension(nupkg));

    /// <summary>Unpacks the package's bakery/ folder (once per process and file) so its descriptor and verification files are files.</summary>
    private LocatedPackage? Unpack(string nupkg, string displayId) =>
        _unpacked.GetOrAdd(Path.GetFullPath(nupkg), path => new Lazy<LocatedPackage?>(() => UnpackNow(path, displayId))).Value;

    private LocatedPackage? UnpackNow(string nupkg, string displayId)
    {
        var target = Path.Combine(_unpackTo, Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(nupkg)))[..16]);
        var staging = target + ".tmp-" + Guid.NewGuid().ToString("N")[..8];
        using (var zip = ZipFile.OpenRead(nupkg))
        {
            if (zip.GetEntry(PackageLayout.DescriptorPath) is null) return null;
            foreach (var entry in zip.Entries)
            {
                var name = entry.FullName.Replace('\\', '/');
                if (!name.StartsWith("bakery/", StringComparison.Ordinal) || name.EndsWith('/')) continue;
                if (name.Split('/').Any(part => part is "" or "." or ".."))
                    throw Messages.BAKE609(nupkg, $"its entry '{Oci.Layers.LayerNames.Escape(name)}' leaves the package folder").Exception();
                var file = Path.Combine(staging, name);
                Directory.CreateDirectory(Path.GetDirectoryName(file)!);
                entry.ExtractToFile(file);
            }
        }
        if (Directory.Exists(target)) Directory.Delete(target, recursive: true);
        Directory.Move(staging, target);
        var descriptorPath = Path.Combine(target, PackageLayout.DescriptorPath);
        return new LocatedPackage(DescriptorReader.Load(descriptorPath, $"{displayId} ({Path.GetFileName(nupkg)})"), descriptorPath, nupkg);
    }
}
