using Bakery.Core.Descriptors;
using Bakery.Core.Signing;
using Bakery.Core.Trust;
using Bakery.Oci.Registry;
using Bakery.Tool.Output;

namespace Bakery.Tool.Commands;

/// <summary>
/// `bakery verify --signatures`: with --key, every manifest of the image must be signed by one of the
/// keys; without, a base-image package (Id/Version) is checked down its chain by its own trust rules,
/// as a bake checks it. Exit code 3 when a signature is missing or does not hold.
/// </summary>
internal static class SignatureVerification
{
    public static async Task<int> RunAsync(string argument, IReadOnlyList<SignaturePublicKey> keys, bool requireProvenance, bool json, CancellationToken ct)
    {
        var (reference, descriptor) = await ToolContext.ResolveAsync(argument, ct);
        if (keys.Count == 0)
        {
            if (descriptor?.Trust is not { Rules.Count: > 0 })
                throw new ToolException(ExitCodes.BadInput, "give --key FILE (a PEM public key), or name a base-image package (Id/Version) whose trust rules say who signs it.");
            return await ByPackageRulesAsync(reference, descriptor, json, ct);
        }

        using var client = new RegistryClient(reference.Registry, ToolContext.RegistryOptions());
        var found = await ImageSignatures.ReadAsync(client, reference, keys, ct);
        var judged = ImageSignatures.Judge(found, keys, requireProvenance, "bakery verify --signatures");
        var passed = judged.All(j => j.Problem is null);
        if (json)
            ToolContext.WriteJson(new
            {
                image = reference.ToString(), passed,
                manifests = judged.Select(j => new
                {
                    digest = j.Manifest.Digest, platform = j.Manifest.Platform, passed = j.Problem is null,
                    signedBy = j.Manifest.Signatures.Where(s => s.Verified).Select(s => s.KeyId).Distinct(),
                    provenance = j.Manifest.HasProvenance, code = j.Problem?.Code, problem = j.Problem?.Message,
                }),
            });
        else
            Table.Write(["digest", "platform", "signed by", "provenance", "result"], judged.Select(j => (IReadOnlyList<string>)
            [
                j.Manifest.Digest[..19], j.Manifest.Platform ?? "",
                string.Join(", ", j.Manifest.Signatures.Where(s => s.Verified).Select(s => SigningOptions.Short(s.KeyId)).Distinct()),
                j.Manifest.HasProvenance ? "yes" : "no",
                j.Problem is null ? "verified" : $"FAILED: {j.Problem.Code}: {j.Problem.Message}",
            ]));
        return passed ? ExitCodes.Ok : ExitCodes.NotInGoodStanding;
    }

    private static async Task<int> ByPackageRulesAsync(Oci.Model.ImageReference reference, BaseImageDescriptor descriptor, bool json, CancellationToken ct)
    {
        var result = await new BaseImageTrustCheck().CheckAsync(new BaseImageSelection(reference, descriptor), ToolContext.RegistryOptions(), ct);
        if (json)
            ToolContext.WriteJson(new
            {
                image = reference.ToString(), package = $"{descriptor.Id} {descriptor.Version}", passed = !result.HasErrors, verified = result.Verified,
                problems = result.Diagnostics.Select(d => new { code = d.Code, error = d.IsError, message = d.Message }),
            });
        else
        {
            foreach (var image in result.Verified) Console.WriteLine($"verified: {image}");
            foreach (var d in result.Diagnostics) Console.WriteLine($"{(d.IsError ? "FAILED" : "warning")}: {d.Code}: {d.Message}");
        }
        return result.HasErrors ? ExitCodes.NotInGoodStanding : ExitCodes.Ok;
    }
}
