namespace Bakery.Core.Signing;

/// <summary>Whether signatures and attestations are also pushed as OCI 1.1 referrers of the image.</summary>
public enum ReferrerMode
{
    /// <summary>When the registry answers the referrers API (the cosign tag schema is always written).</summary>
    Auto,

    /// <summary>Always, through the <c>sha256-&lt;hex&gt;</c> fallback index on registries without the API.</summary>
    Always,

    /// <summary>Only the cosign tag schema.</summary>
    Never,
}

/// <summary>
/// How a bake signs: the signer (BakerySigningKey with BAKERY_SIGNING_KEY_PASSWORD, or
/// BakerySigningCommand with BakerySigningPublicKey) and the builder identity its provenance names.
/// Read before the bake starts, so a missing password fails before anything is built.
/// </summary>
public sealed record SigningSetup(IPayloadSigner Signer, BuilderIdentity Builder)
{
    public ReferrerMode Referrers { get; init; } = ReferrerMode.Auto;

    /// <summary>The setup the properties ask for, or null when the bake does not sign.</summary>
    public static SigningSetup? FromProperties(string? key, string? command, string? publicKey, string? builderId, string? buildId, Func<string, string?> environment)
    {
        var hasKey = !string.IsNullOrWhiteSpace(key);
        var hasCommand = !string.IsNullOrWhiteSpace(command);
        if (!hasKey && !hasCommand)
        {
            if (!string.IsNullOrWhiteSpace(publicKey))
                throw Messages.BAKE434("BakerySigningPublicKey is set without BakerySigningKey or BakerySigningCommand; it names the public key of the key that signs").Exception();
            return null;
        }
        if (hasKey && hasCommand)
            throw Messages.BAKE434("both BakerySigningKey and BakerySigningCommand are set; a bake signs with one of them").Exception();
        var expected = string.IsNullOrWhiteSpace(publicKey) ? null : LoadPublicKey(publicKey.Trim());
        IPayloadSigner signer;
        if (hasKey)
        {
            var loaded = SigningKeyFile.Load(Path.GetFullPath(key!.Trim()), environment(SigningKeyFile.PasswordVariable));
            if (expected is not null && !expected.Equals(loaded.PublicKey))
                throw Messages.BAKE434($"BakerySigningPublicKey ({expected.Describe()}) is not the public key of BakerySigningKey ({loaded.PublicKey.Describe()})").Exception();
            signer = loaded;
        }
        else
        {
            if (expected is null)
                throw Messages.BAKE434("BakerySigningCommand needs BakerySigningPublicKey, the PEM public key of the key the command signs with: every signature is checked against it, and descendants trust it").Exception();
            signer = new CommandSigner(command!.Trim(), expected);
        }
        return new SigningSetup(signer, BuilderIdentity.From(builderId, buildId, environment));
    }

    /// <summary>A PEM public key file for signing (BAKE430 when it cannot be used).</summary>
    public static SignaturePublicKey LoadPublicKey(string path)
    {
        var full = Path.GetFullPath(path);
        try { return SignaturePublicKey.Parse(File.ReadAllText(full)); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw Messages.BAKE430(full, e is FileNotFoundException or DirectoryNotFoundException ? "the file does not exist" : e.Message).Exception(e);
        }
        catch (FormatException e) { throw Messages.BAKE430(full, e.Message).Exception(e); }
    }
}
