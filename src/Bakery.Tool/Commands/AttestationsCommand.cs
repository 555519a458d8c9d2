using System.CommandLine;
using Bakery.Core.Signing;
using Bakery.Core.Trust;
using Bakery.Oci.Registry;
using Bakery.Tool.Output;

namespace Bakery.Tool.Commands;

/// <summary>bakery attestations IMAGE [--key FILE…] [--show TYPE|DIGEST]: lists the signatures and attestations attached to an image, or shows one statement.</summary>
internal static class AttestationsCommand
{
    public static Command Create()
    {
        var image = new Argument<string>("image") { Description = "registry/repository@sha256:…, registry/repository:tag, or PackageId/Version." };
        var keys = SigningOptions.TrustedKeys("Public keys (PEM) to verify with; without, attachments are listed unverified.");
        var show = new Option<string?>("--show") { Description = "Print the statement of the attestation with this predicate type (e.g. https://slsa.dev/provenance/v1), or 'provenance' / 'sbom'." };
        var json = ToolContext.JsonOption();
        var command = new Command("attestations", "List an image's signatures and attestations (provenance, SBOM), or show one.") { image, keys, show, json };
        command.SetAction((result, ct) => ToolContext.RunAsync(async () =>
        {
            var trusted = SigningOptions.LoadPublicKeys(result.GetValue(keys));
            var (reference, _) = await ToolContext.ResolveAsync(result.GetValue(image)!, ct);
            using var client = new RegistryClient(reference.Registry, ToolContext.RegistryOptions());
            var found = await ImageSignatures.ReadAsync(client, reference, trusted, ct);
            if (result.GetValue(show) is { } wanted)
            {
                var type = wanted switch { "provenance" => SlsaProvenance.PredicateType, "sbom" => BakeSigning.CycloneDxPredicateType, _ => wanted };
                var match = found.SelectMany(m => m.Attestations).Where(a => a.Statement is not null && a.PredicateType == type && (trusted.Count == 0 || a.Verified)).ToList();
                if (match.Count == 0)
                    throw new ToolException(ExitCodes.NotInGoodStanding, $"{reference} has no {(trusted.Count > 0 ? "verified " : "")}attestation of type {type}.");
                foreach (var attestation in match) Console.WriteLine(ImageSignatures.Show(attestation.Statement!, attestation.PredicateType, attestation.Statement!.Subjects));
                return ExitCodes.Ok;
            }
            if (result.GetValue(json))
            {
                ToolContext.WriteJson(found.Select(m => new
                {
                    image = m.Image, digest = m.Digest, platform = m.Platform,
                    signatures = m.Signatures.Select(s => new { source = s.Source, verified = trusted.Count == 0 ? (bool?)null : s.Verified, keyId = s.KeyId ?? s.KeyHint, identity = s.DockerReference, problem = trusted.Count == 0 ? null : s.Problem }),
                    attestations = m.Attestations.Select(a => new
                    {
                        source = a.Source, predicateType = a.PredicateType, verified = trusted.Count == 0 ? (bool?)null : a.Verified, keyId = a.KeyId ?? a.KeyHint,
                        subjects = a.Statement?.Subjects.Select(s => $"{s.Name}@{s.Digest}"), problem = trusted.Count == 0 ? null : a.Problem,
                    }),
                }));
                return ExitCodes.Ok;
            }
            Table.Write(["digest", "platform", "kind", "type", "key", trusted.Count == 0 ? "found in" : "verified"], found.SelectMany(m =>
                m.Signatures.Select(s => (IReadOnlyList<string>)[m.Digest[..19], m.Platform ?? "", "signature", s.DockerReference ?? "", SigningOptions.Short(s.KeyId ?? s.KeyHint),
                        trusted.Count == 0 ? s.Source : s.Verified ? "yes" : "no: " + s.Problem])
                    .Concat(m.Attestations.Select(a => (IReadOnlyList<string>)[m.Digest[..19], m.Platform ?? "", "attestation", a.PredicateType, SigningOptions.Short(a.KeyId ?? a.KeyHint),
                        trusted.Count == 0 ? a.Source : a.Verified ? "yes" : "no: " + a.Problem]))));
            return ExitCodes.Ok;
        }));
        return command;
    }
}
