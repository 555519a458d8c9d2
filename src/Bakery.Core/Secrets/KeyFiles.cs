using System.Buffers.Binary;

namespace Bakery.Core.Secrets;

/// <summary>
/// Key material in binary files, recognised by content where the format has a signature and by name
/// where only the name tells: Java keystores (magic FEEDFEED, JCEKS CECECECE), PKCS#12 (.pfx/.p12,
/// also without the extension), strong-name key pairs (.snk PRIVATEKEYBLOB; a public-key-only .snk
/// is not a secret), OpenPGP secret-key packets, Kerberos keytabs, and SSH private keys by their
/// conventional file names. Text key formats (PEM, OpenSSH, PuTTY .ppk, armored PGP) are text rules.
/// </summary>
internal static class KeyFiles
{
    public const int HeaderBytes = 64;

    private static readonly string[] KeystoreExtensions = [".pfx", ".p12", ".jks", ".jceks", ".keystore", ".bks", ".uber"];
    private static readonly string[] SshKeyNames = ["id_rsa", "id_dsa", "id_ecdsa", "id_ed25519", "id_ecdsa_sk", "id_ed25519_sk", "identity"];

    /// <summary>The rule for a file whose header (its first bytes) or name marks it as key material, or null.</summary>
    public static string? Detect(string name, ReadOnlySpan<byte> header, long size)
    {
        if (size == 0) return null;
        if (header.Length >= 4)
        {
            var magic = BinaryPrimitives.ReadUInt32BigEndian(header);
            if (magic is 0xFEEDFEED or 0xCECECECE) return "keystore-file";
        }
        if (IsPkcs12(header)) return "keystore-file";
        if (IsStrongNameKeyPair(header)) return "strong-name-key";
        if (IsOpenPgpSecretKey(header, name)) return "pgp-private-key";
        if (header.Length >= 2 && header[0] == 0x05 && header[1] is 0x01 or 0x02 && name.EndsWith(".keytab", StringComparison.OrdinalIgnoreCase)) return "kerberos-keytab";

        foreach (var extension in KeystoreExtensions)
            if (name.EndsWith(extension, StringComparison.OrdinalIgnoreCase)) return "keystore-file";
        if (name.EndsWith(".snk", StringComparison.OrdinalIgnoreCase) && !IsStrongNamePublicKey(header)) return "strong-name-key";
        foreach (var ssh in SshKeyNames)
            if (name.Equals(ssh, StringComparison.OrdinalIgnoreCase)) return "private-key-file";
        return null;
    }

    /// <summary>
    /// A Java keystore (JKS, JCEKS) that holds only trusted certificates — a truststore such as Java's cacerts — has no
    /// secret in it. Entries are walked: tag 1 (private key) or 3 (secret key), or anything unreadable, keeps it a secret.
    /// </summary>
    public static bool IsJavaTruststore(ReadOnlySpan<byte> store)
    {
        if (store.Length < 12) return false;
        var magic = BinaryPrimitives.ReadUInt32BigEndian(store);
        if (magic is not (0xFEEDFEED or 0xCECECECE)) return false;
        var version = BinaryPrimitives.ReadUInt32BigEndian(store[4..]);
        var count = BinaryPrimitives.ReadUInt32BigEndian(store[8..]);
        var i = 12;
        for (var n = 0; n < count; n++)
        {
            if (i + 4 > store.Length || BinaryPrimitives.ReadUInt32BigEndian(store[i..]) != 2) return false;
            i += 4;
            if (!Skip16(store, ref i) || (i += 8) > store.Length) return false;   // alias, timestamp
            if (version == 2 && !Skip16(store, ref i)) return false;                // certificate type
            if (i + 4 > store.Length) return false;
            var length = BinaryPrimitives.ReadUInt32BigEndian(store[i..]);
            if (length > store.Length - i - 4) return false;
            i += 4 + (int)length;
        }
        return count > 0;
    }

    private static bool Skip16(ReadOnlySpan<byte> data, ref int i)
    {
        if (i + 2 > data.Length) return false;
        i += 2 + BinaryPrimitives.ReadUInt16BigEndian(data[i..]);
        return i <= data.Length;
    }

    /// <summary>PFX: SEQUENCE { INTEGER 3, SEQUENCE { OID pkcs7-data|signedData, … } } in DER (or BER with indefinite length).</summary>
    private static bool IsPkcs12(ReadOnlySpan<byte> h)
    {
        if (h.Length < 24 || h[0] != 0x30) return false;
        var i = 1;
        if (!SkipLength(h, ref i)) return false;
        if (i + 3 > h.Length || h[i] != 0x02 || h[i + 1] != 0x01 || h[i + 2] != 0x03) return false;
        i += 3;
        if (i >= h.Length || h[i] != 0x30) return false;
        i++;
        if (!SkipLength(h, ref i)) return false;
        ReadOnlySpan<byte> pkcs7 = [0x06, 0x09, 0x2A, 0x86, 0x48, 0x86, 0xF7, 0x0D, 0x01, 0x07];
        return i + pkcs7.Length <= h.Length && h.Slice(i, pkcs7.Length).SequenceEqual(pkcs7);
    }

    private static bool SkipLength(ReadOnlySpan<byte> h, ref int i)
    {
        if (i >= h.Length) return false;
        var first = h[i++];
        if (first < 0x80 || first == 0x80) return true;
        var count = first & 0x7F;
        if (count > 4) return false;
        i += count;
        return i < h.Length;
    }

    /// <summary>A CAPI PRIVATEKEYBLOB (bType 7, version 2, RSA "RSA2"): sn.exe -k output, the key pair that signs an assembly.</summary>
    private static bool IsStrongNameKeyPair(ReadOnlySpan<byte> h) =>
        h.Length >= 12 && h[0] == 0x07 && h[1] == 0x02 && h.Slice(8, 4).SequenceEqual("RSA2"u8);

    /// <summary>A public-key-only .snk (PUBLICKEYBLOB, or the strong-name public key header around one), used for delay signing.</summary>
    private static bool IsStrongNamePublicKey(ReadOnlySpan<byte> h) =>
        h.Length >= 12 && (h[0] == 0x06 && h.Slice(8, 4).SequenceEqual("RSA1"u8) || h.Length >= 24 && h.Slice(20, 4).SequenceEqual("RSA1"u8));

    /// <summary>An OpenPGP secret-key packet (tag 5) at the start of a .gpg/.pgp/.key/secring file: exported with gpg --export-secret-keys.</summary>
    private static bool IsOpenPgpSecretKey(ReadOnlySpan<byte> h, string name)
    {
        if (h.Length < 8 || h[0] != 0xC5 && (h[0] & 0xFC) != 0x94) return false;
        if (!(name.EndsWith(".gpg", StringComparison.OrdinalIgnoreCase) || name.EndsWith(".pgp", StringComparison.OrdinalIgnoreCase) || name.EndsWith(".key", StringComparison.OrdinalIgnoreCase)
              || name.StartsWith("secring", StringComparison.OrdinalIgnoreCase) || name.EndsWith(".sec", StringComparison.OrdinalIgnoreCase))) return false;
        int version;
        if (h[0] == 0xC5) version = h[1] < 192 ? h[2] : h[1] < 224 ? h[3] : h[6];       // new format, tag 5
        else if ((h[0] & 0xFC) == 0x94) version = (h[0] & 0x03) switch { 0 => h[2], 1 => h[3], 2 => h[5], _ => -1 }; // old format, tag 5
        else return false;
        return version is 3 or 4 or 5 or 6;
    }
}
