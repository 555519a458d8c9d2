using Bakery.Core.Baking;
using Bakery.Oci.Model;
using Bakery.Oci.Registry;

namespace Bakery.Core.Descriptors;

/// <summary>A base-image project's properties for its package, as the pack passes them (raw property text).</summary>
public sealed record BaseImagePackageInputs
{
    public required string ReportPath { get; init; }
    public required string PackageId { get; init; }
    public required string PackageVersion { get; init; }
    public required string OutputDirectory { get; init; }
    public string? Now { get; init; }
    public string? SupportDays { get; init; }
    public string? DeprecatedOn { get; init; }
    public string? ExpiresOn { get; init; }
    public string? Successor { get; init; }
    /// <summary>This project's BakeryVerify files (full paths).</summary>
    public IReadOnlyList<string> VerifyFiles { get; init; } = [];
    /// <summary>The descriptor of the base-image package this one is built on (null on an upstream).</summary>
    public string? ParentDescriptorPath { get; init; }
    public string? Source { get; init; }
    public string? Revision { get; init; }
    public string? User { get; init; }
    public string? WorkingDirectory { get; init; }
    public IReadOnlyDictionary<string, string> Labels { get; init; } = new Dictionary<string, string>();
    public string? InsecureRegistries { get; init; }
    public bool RequireAssessment { get; init; }
    public IReadOnlyList<string> RequiredLabels { get; init; } = [];
    public string? RequireFailOnSeverity { get; init; }
    public string? RequireAdvisoryMaxAgeDays { get; init; }
    public bool RequireSignature { get; init; }
    public IReadOnlyList<BakeItem> TrustedSigningKeys { get; init; } = [];
}

/// <summary>A file that goes into the package, and where.</summary>
public sealed record PackageFile(string Path, string PackagePath);

/// <summary>
/// What `dotnet pack` puts into a base-image package: the descriptor pinning the image the last bake
/// pushed (after checking the registry really holds it), the props, and this project's and every
/// ancestor's verification files. Any problem is BAKE406 naming the package.
/// </summary>
public static class BaseImagePackageContent
{
    public static async Task<(BaseImageDescriptor Descriptor, IReadOnlyList<PackageFile> Files)> CreateAsync(BaseImagePackageInputs inputs, CancellationToken ct)
    {
        var package = $"{inputs.PackageId} {inputs.PackageVersion}";
        if (!File.Exists(inputs.ReportPath))
            throw Messages.BAKE406(package, $"no baked image was found ({inputs.ReportPath} is missing). Run 'dotnet publish -p:BakeImage=true' before 'dotnet pack'.").Exception();
        var bake = Reports.BakeReportWriter.Read(inputs.ReportPath);
        await EnsurePushedAsync(bake, package, inputs.InsecureRegistries, ct);

        var parent = string.IsNullOrEmpty(inputs.ParentDescriptorPath) ? null : DescriptorReader.Load(inputs.ParentDescriptorPath, inputs.ParentDescriptorPath);
        var verify = VerifyFiles(inputs, parent, package);
        var own = new Security.SecurityRequirements
        {
            RequireAssessment = inputs.RequireAssessment,
            FailOnSeverity = string.IsNullOrWhiteSpace(inputs.RequireFailOnSeverity) ? null : Security.VulnerabilityGate.ParseThreshold(inputs.RequireFailOnSeverity),
            AdvisoryMaxAgeDays = string.IsNullOrWhiteSpace(inputs.RequireAdvisoryMaxAgeDays) ? null : PropertyValues.WholeNumber("BakeryRequireAdvisoryMaxAgeDays", inputs.RequireAdvisoryMaxAgeDays, "days"),
            SetBy = inputs.PackageId,
        };
        var now = PropertyValues.Now(inputs.Now, DateTimeOffset.UtcNow);
        var descriptor = BaseImagePackage.CreateDescriptor(new BaseImagePackageRequest
        {
            PackageId = inputs.PackageId,
            PackageVersion = inputs.PackageVersion,
            Bake = bake,
            Published = new DateTimeOffset(now.UtcDateTime.Date, TimeSpan.Zero),
            SupportDays = string.IsNullOrWhiteSpace(inputs.SupportDays) ? null : PropertyValues.WholeNumber("BakerySupportDays", inputs.SupportDays, "days"),
            DeprecatedOn = OptionalDate("BakeryDeprecatedOn", inputs.DeprecatedOn),
            ExpiresOn = OptionalDate("BakeryExpiresOn", inputs.ExpiresOn),
            Successor = inputs.Successor,
            VerifyFiles = verify.Select(v => v.PackagePath).ToList(),
            Source = inputs.Source,
            Revision = inputs.Revision,
            Labels = inputs.Labels,
            User = inputs.User,
            WorkDir = inputs.WorkingDirectory,
            Security = Security.SecurityRequirements.Strictest(own, parent?.Security),
            RequiredLabels = Verification.BuiltInPolicies.Merge(inputs.RequiredLabels, inputs.PackageId, parent?.RequiredLabels ?? []),
            Trust = Trust.TrustPolicy.Merge(OwnTrust(inputs, bake, parent, package), parent?.Trust),
        });
        var (descriptorPath, propsPath) = BaseImagePackage.Write(descriptor, inputs.OutputDirectory);
        return (descriptor, [new(descriptorPath, PackageLayout.DescriptorPath), new(propsPath, PackageLayout.PropsPath(inputs.PackageId)), .. verify]);
    }

    /// <summary>
    /// This package's part of the trust policy: a signed image is to be verified by descendants with the
    /// key that signed it (with its provenance); the project's BakeryTrustedSigningKey rules; whether base
    /// images on it must be signed; and the signature and provenance of the image, for offline checks.
    /// </summary>
    private static Trust.TrustPolicy? OwnTrust(BaseImagePackageInputs inputs, BakeResult bake, BaseImageDescriptor? parent, string package)
    {
        if (inputs.RequireSignature && bake.Signing is null)
            throw Messages.BAKE406(package, "BakeryRequireSignature=true, but the baked image was not signed. Set BakerySigningKey (or BakerySigningCommand) and bake it again.").Exception();
        var rules = new List<Trust.TrustRule>();
        var evidence = new List<Trust.TrustEvidence>();
        if (bake.Signing is { } signing)
        {
            var key = Signing.SignaturePublicKey.Parse(signing.PublicKey);
            rules.Add(new Trust.TrustRule { Subject = inputs.PackageId, Keys = [Trust.TrustedKey.Of(key, signing.Signer)], Provenance = true, SetBy = inputs.PackageId });
            foreach (var signed in signing.Manifests.Where(m => m.Digest == bake.Digest))
                evidence.Add(new Trust.TrustEvidence { Image = bake.Image, Digest = signed.Digest, Payload = signed.Payload, Signature = signed.Signature, Provenance = signed.Provenance });
        }
        var selection = parent is null ? null : new BaseImageSelection(ImageReference.Parse(parent.PinnedReference), parent);
        if (inputs.TrustedSigningKeys.Count > 0)
        {
            if (selection is null && inputs.TrustedSigningKeys.Any(k => string.IsNullOrWhiteSpace(k.Get("For"))))
                selection = new BaseImageSelection(ImageReference.Parse(bake.Lineage.FirstOrDefault() is { } upstream ? $"{upstream.Repository}@{upstream.Digest}" : bake.BaseImage + "@" + bake.BaseDigest), null, IsUpstream: true);
            rules.AddRange(BakeRequestFactory.TrustedKeyRules(inputs.TrustedSigningKeys, selection, inputs.PackageId));
        }
        return Trust.TrustPolicy.Merge(new Trust.TrustPolicy { RequireSigning = inputs.RequireSignature, Rules = rules, Evidence = evidence }, null);
    }

    /// <summary>This project's files, then every ancestor's, each under its own package id: descendants cannot drop them.</summary>
    private static List<PackageFile> VerifyFiles(BaseImagePackageInputs inputs, BaseImageDescriptor? parent, string package)
    {
        var files = new List<PackageFile>();
        foreach (var path in inputs.VerifyFiles)
        {
            if (!File.Exists(path)) throw Messages.BAKE406(package, $"the verification file '{path}' does not exist.").Exception();
            files.Add(new PackageFile(path, PackageLayout.VerifyPath(inputs.PackageId, Path.GetFileName(path))));
        }
        if (parent is null) return files;
        foreach (var relative in parent.Verify)
        {
            var path = PackageLayout.FileIn(inputs.ParentDescriptorPath!, relative);
            if (!File.Exists(path))
                throw Messages.BAKE406(package, $"the inherited verification file '{relative}' of {parent.Id} {parent.Version} is missing from its package.").Exception();
            if (files.All(f => f.PackagePath != relative)) files.Add(new PackageFile(path, relative));
        }
        return files;
    }

    private static async Task EnsurePushedAsync(BakeResult bake, string package, string? insecureRegistries, CancellationToken ct)
    {
        if (bake.Destination is { Kind: not "registry" } elsewhere)
            throw Messages.BAKE406(package, $"its last bake put the image in {elsewhere.Kind} ({elsewhere.Location}), not in a registry, and a base-image package pins an image in a registry. Bake it with ContainerRegistry set ('dotnet publish -p:BakeImage=true -p:ContainerRegistry=…'), then pack.").Exception();
        var reference = ImageReference.Parse($"{bake.Image}@{bake.Digest}");
        var options = new RegistryClientOptions
        {
            InsecureRegistries = RegistryClientOptions.ParseList(insecureRegistries),
            Retry = new RetryPolicy { MaxAttempts = 2 },
        };
        using var client = new RegistryClient(reference.Registry, options);
        // An index is only usable with every platform's image.
        foreach (var (digest, what) in bake.Platforms.Select(p => (p.Digest, $"{reference.Registry}/{reference.Repository}@{p.Digest} ({p.Platform})")).Prepend((bake.Digest, reference.ToString())))
        {
            bool exists;
            try { exists = await client.ManifestExistsAsync(reference.Repository, digest, ct); }
            catch (RegistryException e) { throw Messages.BAKE406(package, $"the registry holding {what} cannot confirm it: {e.Message}").Exception(); }
            if (!exists)
                throw Messages.BAKE406(package, $"{what} is not in its registry. Bake and push it again with 'dotnet publish -p:BakeImage=true'.").Exception();
        }
    }

    private static DateTimeOffset? OptionalDate(string property, string? value) =>
        string.IsNullOrWhiteSpace(value) ? null : PropertyValues.Date(property, value);
}
