using System.CommandLine;
using Bakery.Core.Signing;

namespace Bakery.Tool.Commands;

/// <summary>The key options `bakery sign`, `bakery verify --signatures` and `bakery attestations` share.</summary>
internal static class SigningOptions
{
    public static Option<string[]> TrustedKeys(string description) =>
        new("--key") { Description = description, AllowMultipleArgumentsPerToken = true };

    /// <summary>Public keys from PEM files (BAKE430 for one that cannot be used).</summary>
    public static IReadOnlyList<SignaturePublicKey> LoadPublicKeys(IEnumerable<string>? paths) =>
        (paths ?? []).Select(p => SigningSetup.LoadPublicKey(p)).ToList();

    public static string Short(string? keyId) => keyId is { Length: > 19 } && keyId.StartsWith("sha256:", StringComparison.Ordinal) ? keyId[7..19] : keyId ?? "";
}
