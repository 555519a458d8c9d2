using System.IO.Compression;
using System.Xml.Linq;
using Bakery.Core.Baking;
using Bakery.Core.Descriptors;

namespace Bakery.Core.Rebasing;

/// <summary>
/// The base-image package of a rebased base image: the old package with the new image, version and
/// lineage, as `dotnet pack` of a rebuild on the new base would make it. Its own verification files,
/// labels, environment, origin and support period are the old package's; its ancestors' verification
/// files, required labels and security requirements come from the new base's package (strictest wins,
/// as at pack time). Published today; neither deprecated nor with a successor.
/// </summary>
internal static class SuccessorPackage
{
    public static string Write(LocatedPackage old, string version, BakeResult rebased, LocatedPackage? parent, DateTimeOffset now, string outputFolder)
    {
        var d = old.Descriptor;
        var file = EnsureWritable(old, version, outputFolder, rebased.Image + "@" + rebased.Digest);

        var published = new DateTimeOffset(now.UtcDateTime.Date, TimeSpan.Zero);
        var supportDays = d.Lifecycle is { Published: { } was, ExpiresOn: { } expires } ? (int?)Math.Max(1, (int)Math.Round((expires - was).TotalDays)) : null;
        var ownVerify = d.Verify.Where(v => string.Equals(PackageLayout.VerifyOwner(v), d.Id, StringComparison.Ordinal)).ToList();
        var inheritedVerify = parent?.Descriptor.Verify.Where(v => !ownVerify.Contains(v)).ToList() ?? [];
        var ownSecurity = d.Security is { SetBy: { } setBy } security && setBy.Split(", ").Contains(d.Id) ? security with { SetBy = d.Id } : null;
        var descriptor = BaseImagePackage.CreateDescriptor(new BaseImagePackageRequest
        {
            PackageId = d.Id,
            PackageVersion = version,
            Bake = rebased,
            Published = published,
            SupportDays = supportDays,
            VerifyFiles = [.. ownVerify, .. inheritedVerify],
            Source = d.Origin.Source,
            Revision = d.Origin.Revision,
            Labels = d.Labels,
            User = d.Environment.User,
            WorkDir = d.Environment.WorkDir,
            Security = Security.SecurityRequirements.Strictest(ownSecurity, parent?.Descriptor.Security),
            RequiredLabels = Verification.BuiltInPolicies.Merge(d.RequiredLabels.Where(l => l.SetBy == d.Id).Select(l => l.Name), d.Id, parent?.Descriptor.RequiredLabels ?? []),
        });

        Directory.CreateDirectory(outputFolder);
        var staging = file + ".tmp-" + Guid.NewGuid().ToString("N")[..8];
        try
        {
            using (var source = ZipFile.OpenRead(old.Nupkg))
            using (var target = ZipFile.Open(staging, ZipArchiveMode.Create))
            {
                foreach (var entry in source.Entries)
                {
                    var name = entry.FullName.Replace('\\', '/');
                    if (name.EndsWith(".nuspec", StringComparison.OrdinalIgnoreCase) && !name.Contains('/'))
                        Add(target, name, Nuspec(entry, version));
                    else if (ownVerify.Contains(name, StringComparer.Ordinal))
                        Copy(entry, target, name);
                    else if (!Replaced(name, d.Id))
                        Copy(entry, target, name);
                }
                Add(target, PackageLayout.DescriptorPath, PackageLayout.Serialize(descriptor));
                Add(target, PackageLayout.PropsPath(d.Id), PackageLayout.Props(descriptor));
                foreach (var relative in inheritedVerify)
                {
                    var path = PackageLayout.FileIn(parent!.DescriptorPath, relative);
                    if (!File.Exists(path))
                        throw Messages.BAKE612(rebased.Image + "@" + rebased.Digest, $"the inherited verification file '{relative}' of {parent} is missing from its package",
                            "restore or re-download that package and rebase again.").Exception();
                    target.CreateEntryFromFile(path, relative);
                }
            }
            File.Move(staging, file);
        }
        finally
        {
            if (File.Exists(staging)) File.Delete(staging);
        }
        return file;
    }

    /// <summary>
    /// The package file the successor goes to, checked before the rebased image is pushed: a version
    /// already in the feed, or an old package without its .nupkg, is BAKE612 while nothing is tagged yet.
    /// </summary>
    public static string EnsureWritable(LocatedPackage old, string version, string outputFolder, string image)
    {
        var file = Path.Combine(outputFolder, $"{old.Descriptor.Id}.{version}.nupkg");
        if (File.Exists(file))
            throw Messages.BAKE612(image, $"{Path.GetFileName(file)} is already in {outputFolder}",
                "rebase with a new --build-id (the package version gets it as a fourth part).").Exception();
        if (!File.Exists(old.Nupkg))
            throw Messages.BAKE612(image, $"the package it replaces, {old}, has no .nupkg at hand to take its own files from",
                "put the package into a folder feed (or pass --source) and rebase again.").Exception();
        return file;
    }

    /// <summary>Entries written anew (descriptor, props, verification files, NuGet's signature and package metadata, which name the old version).</summary>
    private static bool Replaced(string name, string id) =>
        name.StartsWith("bakery/", StringComparison.Ordinal) || name.Equals(PackageLayout.PropsPath(id), StringComparison.OrdinalIgnoreCase)
        || name.StartsWith("package/", StringComparison.Ordinal) || name.StartsWith("_rels/", StringComparison.Ordinal)
        || name.Equals(".signature.p7s", StringComparison.OrdinalIgnoreCase) || name.EndsWith('/');

    private static string Nuspec(ZipArchiveEntry entry, string version)
    {
        using var stream = entry.Open();
        var document = XDocument.Load(stream);
        var metadata = document.Root?.Elements().FirstOrDefault(e => e.Name.LocalName == "metadata");
        var element = metadata?.Elements().FirstOrDefault(e => e.Name.LocalName == "version")
            ?? throw new InvalidDataException($"{entry.FullName} has no <version>.");
        element.Value = version;
        return document.Declaration + Environment.NewLine + document.ToString();
    }

    private static void Copy(ZipArchiveEntry entry, ZipArchive target, string name)
    {
        using var from = entry.Open();
        using var to = target.CreateEntry(name).Open();
        from.CopyTo(to);
    }

    private static void Add(ZipArchive zip, string name, string content)
    {
        using var writer = new StreamWriter(zip.CreateEntry(name).Open());
        writer.Write(content);
    }
}
