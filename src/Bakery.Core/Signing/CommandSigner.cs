using System.Diagnostics;
using System.Security.Cryptography;

namespace Bakery.Core.Signing;

/// <summary>
/// Signs through an external command, which is how a KMS or an HSM plugs in: the command line runs in
/// the shell (sh -c; cmd /c on Windows), gets the payload on stdin and prints the signature, base64,
/// on stdout. <c>BAKERY_SIGNING_PAYLOAD_SHA256</c> tells it what it signs, for its audit log. Its
/// public key (BakerySigningPublicKey) checks every signature before it is used (BAKE433).
/// </summary>
public sealed class CommandSigner(string command, SignaturePublicKey publicKey, TimeSpan? timeout = null) : IPayloadSigner
{
    private readonly TimeSpan _timeout = timeout ?? TimeSpan.FromMinutes(2);

    public SignaturePublicKey PublicKey { get; } = publicKey;
    public string Description => $"command '{command}'";

    public async Task<byte[]> SignAsync(byte[] payload, CancellationToken ct = default)
    {
        var start = OperatingSystem.IsWindows()
            ? new ProcessStartInfo("cmd.exe") { ArgumentList = { "/d", "/s", "/c", command } }
            : new ProcessStartInfo("/bin/sh") { ArgumentList = { "-c", command } };
        start.RedirectStandardInput = true;
        start.RedirectStandardOutput = true;
        start.RedirectStandardError = true;
        start.UseShellExecute = false;
        start.Environment["BAKERY_SIGNING_PAYLOAD_SHA256"] = Convert.ToHexStringLower(SHA256.HashData(payload));
        start.Environment.Remove(SigningKeyFile.PasswordVariable);

        Process process;
        try { process = Process.Start(start) ?? throw Messages.BAKE432(command, "it could not be started").Exception(); }
        catch (System.ComponentModel.Win32Exception e) { throw Messages.BAKE432(command, $"it could not be started ({e.Message})").Exception(e); }
        using (process)
        {
            using var timeoutSource = CancellationTokenSource.CreateLinkedTokenSource(ct);
            timeoutSource.CancelAfter(_timeout);
            var stdout = process.StandardOutput.ReadToEndAsync(timeoutSource.Token);
            var stderr = process.StandardError.ReadToEndAsync(timeoutSource.Token);
            try
            {
                try
                {
                    await process.StandardInput.BaseStream.WriteAsync(payload, timeoutSource.Token);
                    process.StandardInput.Close();
                }
                catch (IOException) { /* it stopped reading: its exit code and stderr say why */ }
                await process.WaitForExitAsync(timeoutSource.Token);
            }
            catch (OperationCanceledException) when (!ct.IsCancellationRequested)
            {
                Kill(process);
                throw Messages.BAKE432(command, $"it did not finish within {_timeout.TotalSeconds:0} s").Exception();
            }
            catch (OperationCanceledException)
            {
                Kill(process);
                throw;
            }
            var output = (await stdout).Trim();
            var errors = Last((await stderr).Trim());
            if (process.ExitCode != 0)
                throw Messages.BAKE432(command, $"it exited with code {process.ExitCode}{(errors.Length > 0 ? ": " + errors : "")}").Exception();
            if (output.Length == 0) throw Messages.BAKE432(command, "it printed no signature").Exception();
            byte[] signature;
            try { signature = DsseEnvelope.DecodeSignature(output); }
            catch (FormatException) { throw Messages.BAKE432(command, "what it printed is not a base64 signature").Exception(); }
            // A KMS may answer ECDSA as r||s (IEEE P1363); every verifier reads ASN.1 DER.
            if (PublicKey.Algorithm == KeyAlgorithm.EcdsaP256 && signature.Length == 64)
                signature = KeySigner.DerSignature(signature.AsSpan(0, 32), signature.AsSpan(32));
            return signature;
        }
    }

    private static void Kill(Process process)
    {
        try { process.Kill(entireProcessTree: true); }
        catch (InvalidOperationException) { }
    }

    private static string Last(string text) => text.Length <= 400 ? text : "…" + text[^400..];
}
