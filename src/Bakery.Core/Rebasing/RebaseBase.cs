using Bakery.Core.Descriptors;
using Bakery.Oci.Model;
using Bakery.Oci.Registry;
using NuGet.Versioning;

namespace Bakery.Core.Rebasing;

/// <summary>
/// The base a rebase moves an image onto: a base-image package (its descriptor pins the image; its
/// verification files and security requirements bind the rebased image as they bind a bake), or an
/// image by digest (a package that pins that digest is used when a feed has one).
/// </summary>
public sealed record RebaseBase(BaseImageSelection Selection, LocatedPackage? Package)
{
    public string Display => Package is { } p ? $"{p.Descriptor.Id} {p.Descriptor.Version}" : Selection.Reference.ToString();

    /// <summary>
    /// <c>Id/Version</c> (folder feeds, then the package folder), <c>Id</c> alone (its newest version in the
    /// folder feeds), or <c>registry/repository@sha256:…</c> (a tag is resolved to its digest). BAKE609 when none fits.
    /// </summary>
    public static async Task<RebaseBase> ResolveAsync(string onto, PackageLocator packages, RegistryClientOptions options, CancellationToken ct)
    {
        var text = onto.Trim();
        var slash = text.LastIndexOf('/');
        var feeds = packages.Feeds.Count == 0 ? "no folder feed is configured" : $"folder feeds: {string.Join(", ", packages.Feeds)}";
        if (!text.Contains('@') && !text.Contains(':') && slash > 0 && NuGetVersion.TryParse(text[(slash + 1)..], out var version))
        {
            var id = text[..slash];
            var found = packages.Find(id, version)
                ?? throw Messages.BAKE609(onto, $"no base-image package {id} {version.ToNormalizedString()} was found ({feeds}; package folder {PackageLocator.DefaultPackagesFolder()})").Exception();
            return FromPackage(found);
        }
        if (!text.Contains('/') && !text.Contains('@') && !text.Contains(':') && text.Length > 0)
        {
            var newest = packages.Newest(text)
                ?? throw Messages.BAKE609(onto, $"no version of {text} is in the folder feeds ({feeds})").Exception();
            return FromPackage(newest);
        }
        if (!ImageReference.TryParse(text, out var reference, out var error))
            throw Messages.BAKE609(onto, $"it is neither Id/Version nor an image reference ({error})").Exception();
        if (reference!.Digest is null)
        {
            try
            {
                using var client = new RegistryClient(reference.Registry, options);
                var manifest = await client.GetManifestAsync(reference.Repository, reference.Reference, ct);
                reference = reference with { Tag = null, Digest = manifest.Digest };
            }
            catch (RegistryException e)
            {
                throw Messages.BAKE609(onto, $"its tag cannot be resolved to a digest ({e.Message})").Exception(e);
            }
        }
        var pinning = packages.FindPinning(reference.Digest!.Value.ToString())
            .Where(p => string.Equals($"{p.Descriptor.Image.Registry}/{p.Descriptor.Image.Repository}", $"{reference.Registry}/{reference.Repository}", StringComparison.OrdinalIgnoreCase))
            .ToList();
        // The package a bake referenced is written into the image (its base package label): with several pinning one image, which one is the user's to say.
        if (pinning.Select(p => p.ToString()).Distinct().Count() > 1)
            throw Messages.BAKE609(onto, $"that image is pinned by several base-image packages ({string.Join(", ", pinning.Select(p => p.ToString()).Distinct())}), and a rebuild records which one it referenced; name it as Id/Version").Exception();
        return pinning.Count > 0 ? FromPackage(pinning[0]) : new RebaseBase(new BaseImageSelection(reference, null), null);
    }

    public static RebaseBase FromPackage(LocatedPackage package) => new(BaseImageSelector.FromDescriptor(package.Descriptor), package);
}
