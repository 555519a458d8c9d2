namespace Bakery.Core.Signing;

/// <summary>
/// Something that signs payloads: a private key file, or an external command (a KMS or HSM). Every
/// signature it makes is checked against <see cref="PublicKey"/> before it is stored anywhere.
/// </summary>
public interface IPayloadSigner
{
    /// <summary>The key that verifies this signer's signatures; descendants' trust policies name it.</summary>
    SignaturePublicKey PublicKey { get; }

    /// <summary>For messages and reports: "key /path/bakery.key" or "command 'kms-sign …'".</summary>
    string Description { get; }

    /// <summary>The signature of <paramref name="payload"/> (ASN.1 DER for ECDSA).</summary>
    Task<byte[]> SignAsync(byte[] payload, CancellationToken ct = default);
}
