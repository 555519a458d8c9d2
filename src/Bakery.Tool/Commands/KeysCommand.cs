using System.CommandLine;
using Bakery.Core.Signing;

namespace Bakery.Tool.Commands;

/// <summary>bakery keys generate --output FILE: a new signing key pair, the private key encrypted with BAKERY_SIGNING_KEY_PASSWORD.</summary>
internal static class KeysCommand
{
    public static Command Create()
    {
        var output = new Option<string>("--output") { Description = "Where the private key goes; the public key goes beside it as <file>.pub.", Required = true };
        var format = new Option<KeyFileFormat>("--format") { Description = "Pkcs8 (encrypted PKCS#8 PEM, for Bakery and OpenSSL) or Cosign (cosign's encrypted format, which skopeo and podman also sign with).", DefaultValueFactory = _ => KeyFileFormat.Pkcs8 };
        var algorithm = new Option<KeyAlgorithm>("--algorithm") { Description = "EcdsaP256 (cosign's default) or Ed25519.", DefaultValueFactory = _ => KeyAlgorithm.EcdsaP256 };
        var generate = new Command("generate", $"Write a new key pair; the private key is encrypted with the password in {SigningKeyFile.PasswordVariable}.") { output, format, algorithm };
        generate.SetAction((result, ct) => ToolContext.RunAsync(() =>
        {
            var password = Environment.GetEnvironmentVariable(SigningKeyFile.PasswordVariable);
            if (string.IsNullOrEmpty(password))
                throw new ToolException(ExitCodes.BadInput, $"set {SigningKeyFile.PasswordVariable}: the private key is always written encrypted.");
            var path = Path.GetFullPath(result.GetValue(output)!);
            if (File.Exists(path)) throw new ToolException(ExitCodes.BadInput, $"{path} exists; a key is never overwritten.");
            var pair = KeyPairs.Generate(result.GetValue(algorithm), result.GetValue(format), password);
            Oci.AtomicFile.WriteAllText(path, pair.PrivatePem);
            if (!OperatingSystem.IsWindows()) File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite);
            Oci.AtomicFile.WriteAllText(path + ".pub", pair.PublicKey.Pem);
            Console.WriteLine($"{path} ({SignaturePublicKey.AlgorithmName(pair.PublicKey.Algorithm)}, {result.GetValue(format)}), public key {path}.pub, key id {pair.PublicKey.KeyId}");
            return Task.FromResult(ExitCodes.Ok);
        }));
        var command = new Command("keys", "Manage signing keys.");
        command.Subcommands.Add(generate);
        return command;
    }
}
