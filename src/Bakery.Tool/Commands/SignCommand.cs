using System.CommandLine;
using Bakery.Core.Signing;
using Bakery.Oci.Registry;
using Bakery.Tool.Output;

namespace Bakery.Tool.Commands;

/// <summary>bakery sign IMAGE --key FILE | --command CMD --public-key FILE: signs an image already in a registry, as a bake would.</summary>
internal static class SignCommand
{
    public static Command Create()
    {
        var image = new Argument<string>("image") { Description = "registry/repository@sha256:…, registry/repository:tag, or PackageId/Version." };
        var key = new Option<string?>("--key") { Description = $"The private key (PEM: PKCS#8, SEC1 or cosign's); its password in {SigningKeyFile.PasswordVariable}." };
        var command = new Option<string?>("--command") { Description = "A signing command instead (a KMS or HSM): the payload on stdin, the signature (base64) on stdout." };
        var publicKey = new Option<string?>("--public-key") { Description = "The PEM public key of the key the command signs with (required with --command)." };
        var sbom = new Option<string?>("--sbom") { Description = "A CycloneDX SBOM of the image to attach as a signed attestation." };
        var referrers = new Option<ReferrerMode>("--referrers") { Description = "Also push referrer artifacts: Auto (when the registry has the referrers API), Always, Never.", DefaultValueFactory = _ => ReferrerMode.Auto };
        var json = ToolContext.JsonOption();
        var sign = new Command("sign", "Sign an image in a registry (and each platform of an index) in the cosign format, e.g. after 'bakery push'.") { image, key, command, publicKey, sbom, referrers, json };
        sign.SetAction((result, ct) => ToolContext.RunAsync(async () =>
        {
            if (result.GetValue(key) is null && result.GetValue(command) is null)
                throw new ToolException(ExitCodes.BadInput, "give --key FILE, or --command CMD with --public-key FILE.");
            var setup = SigningSetup.FromProperties(result.GetValue(key), result.GetValue(command), result.GetValue(publicKey), null, null, Environment.GetEnvironmentVariable)!
                with { Referrers = result.GetValue(referrers) };
            var (reference, _) = await ToolContext.ResolveAsync(result.GetValue(image)!, ct);
            using var client = new RegistryClient(reference.Registry, ToolContext.RegistryOptions() with { Role = RegistryRole.Push });
            var sbomPath = result.GetValue(sbom) is { } path ? Path.GetFullPath(path) : null;
            var signed = await ExistingImageSigning.SignAsync(client, reference, setup, sbomPath, ct);
            if (result.GetValue(json))
                ToolContext.WriteJson(new { image = $"{reference.Registry}/{reference.Repository}", keyId = setup.Signer.PublicKey.KeyId, signer = setup.Signer.Description, manifests = signed });
            else
            {
                Console.WriteLine($"{reference.Registry}/{reference.Repository} signed with {setup.Signer.PublicKey.Describe()} ({setup.Signer.PublicKey.KeyId})");
                Table.Write(["digest", "signature", "attestations", "written"], signed.Select(s => (IReadOnlyList<string>)
                [
                    s.Digest, s.SignatureTag, s.Attestations.Count == 0 ? "" : string.Join(", ", s.Attestations.Select(a => a.PredicateType)),
                    s.SignatureWritten || s.Attestations.Any(a => a.Written) ? "yes" : "already there",
                ]));
            }
            return ExitCodes.Ok;
        }));
        return sign;
    }
}
