namespace Bakery.Core.Secrets;

/// <summary>What kind of secret a configuration key names, which decides how sure a plain value must look.</summary>
internal enum KeyFamily
{
    None,
    /// <summary>Password, passwd, pwd, pass, passphrase: any value that is not a placeholder is a secret, however short or simple.</summary>
    Password,
    /// <summary>Secret, token, API and signing keys, credentials: the value must look like a generated one (length, mixed characters).</summary>
    Secret,
}

/// <summary>
/// Classifies configuration key names as people write them: <c>Password</c>, <c>DB_PASSWORD</c>, <c>db.password</c>,
/// <c>ConnectionStrings__Db__Password</c>, <c>SMTP_PASS</c>, <c>ClientSecret</c>, <c>SigningKey</c>, <c>api-key</c>,
/// <c>aws_secret_access_key</c>, <c>_authToken</c>. Only the last segment counts (after <c>.</c>, <c>:</c>, <c>/</c>, <c>__</c>),
/// lower-cased without separators; a name must end with a secret word, so <c>PasswordLength</c>, <c>TokenEndpoint</c>
/// and <c>SecretName</c> are not secrets.
/// </summary>
internal static class SecretKeyNames
{
    private static readonly string[] PasswordEndings = ["password", "passwd", "passphrase", "passcode", "pwd", "pass", "pswd"];
    private static readonly string[] NotPasswords = ["bypass", "compass", "surpass", "overpass", "underpass", "firstpass", "secondpass", "multipass", "onepass", "nopass", "renderpass", "subpass"];
    private static readonly string[] TokenExclusions =
        ["publickeytoken", "csrftoken", "xsrftoken", "antiforgerytoken", "requestverificationtoken", "cancellationtoken", "canceltoken", "continuationtoken",
         "nexttoken", "pagetoken", "nextpagetoken", "synctoken", "deltatoken", "skiptoken", "resumetoken", "paginationtoken", "idempotencytoken",
         "lasttoken", "firsttoken", "starttoken", "endtoken", "nulltoken", "tokentoken", "eoftoken", "biastoken", "padtoken", "unktoken", "bostoken", "eostoken", "septoken", "clstoken", "masktoken"];

    /// <summary>Words that, directly before "key", make it a secret: ApiKey, SigningKey, SecretAccessKey, AccountKey, …</summary>
    private static readonly string[] SecretKeyPrefixes =
        ["api", "secret", "private", "signing", "sign", "encryption", "encrypt", "crypto", "crypt", "cipher", "symmetric", "master", "access", "account",
         "shared", "subscription", "hmac", "jwt", "aes", "client", "app", "auth", "session", "storage", "webhook", "function", "functions", "admin", "service",
         "deploy", "ssh", "gpg", "pgp", "root", "security", "token", "license", "licence", "partner", "merchant", "payment"];

    /// <summary>Parents under which a bare "Key" or "Value" is a secret (<c>Jwt:Key</c>, <c>"Jwt": { "Key": … }</c>).</summary>
    private static readonly string[] SecretParents =
        ["jwt", "jwtbearer", "jwtsettings", "jwtoptions", "jwtconfig", "jwtauth", "signing", "signingkey", "encryption", "hmac", "aes", "crypto", "token",
         "tokens", "tokensettings", "apikey", "secret", "secrets", "dataprotection", "authentication", "auth", "bearer", "cipher", "security"];

    public static KeyFamily Classify(ReadOnlySpan<char> key, ReadOnlySpan<char> parent = default)
    {
        var segment = LastSegment(key, out var previous);
        if (segment.Length is 0 or > 64) return KeyFamily.None;
        Span<char> buffer = stackalloc char[64];
        var name = Placeholders.Normalize(segment, buffer).TrimEnd("0123456789");
        if (name.Length < 3) return KeyFamily.None;

        foreach (var ending in PasswordEndings)
            if (name.EndsWith(ending, StringComparison.Ordinal))
            {
                foreach (var not in NotPasswords)
                    if (name.EndsWith(not, StringComparison.Ordinal)) return KeyFamily.None;
                // "pass" alone ends many words; it counts only as the whole name or after a separator-free prefix people use (DB_PASS, SMTP_PASS, keypass).
                if (ending == "pass" && name.Length > 4 && !EndsWithPassSegment(segment)) return KeyFamily.None;
                return KeyFamily.Password;
            }
        if (name.EndsWith("secret", StringComparison.Ordinal) || name.EndsWith("secretid", StringComparison.Ordinal)
            || name.EndsWith("credential", StringComparison.Ordinal) || name.EndsWith("credentials", StringComparison.Ordinal))
            return KeyFamily.Secret;
        if (name.EndsWith("token", StringComparison.Ordinal))
        {
            foreach (var not in TokenExclusions)
                if (name.EndsWith(not, StringComparison.Ordinal)) return KeyFamily.None;
            return KeyFamily.Secret;
        }
        if (name.EndsWith("key", StringComparison.Ordinal))
        {
            var before = name[..^3];
            if (before.IsEmpty) return IsSecretParent(previous.IsEmpty ? parent : previous) ? KeyFamily.Secret : KeyFamily.None;
            if (before.EndsWith("public", StringComparison.Ordinal) || before.EndsWith("publishable", StringComparison.Ordinal)) return KeyFamily.None;
            foreach (var prefix in SecretKeyPrefixes)
                if (before.EndsWith(prefix, StringComparison.Ordinal)) return KeyFamily.Secret;
        }
        return KeyFamily.None;
    }

    /// <summary>The rule a generic finding is reported under; kept stable so allowlist entries keep matching.</summary>
    public static string RuleFor(ReadOnlySpan<char> key, KeyFamily family, bool inConnectionString)
    {
        var segment = LastSegment(key, out _);
        Span<char> buffer = stackalloc char[64];
        var name = Placeholders.Normalize(segment.Length > 64 ? segment[^64..] : segment, buffer);
        if (key.Equals("_authToken", StringComparison.OrdinalIgnoreCase)) return "npm-auth-token";
        if (key.Equals("_password", StringComparison.OrdinalIgnoreCase)) return "npm-password";
        if (name.SequenceEqual("cleartextpassword")) return "nuget-cleartext-password";
        if (name.EndsWith("secretaccesskey", StringComparison.Ordinal)) return "aws-secret-access-key";
        if (name.EndsWith("sessiontoken", StringComparison.Ordinal) && key.Contains("aws", StringComparison.OrdinalIgnoreCase)) return "aws-session-token";
        if (name.EndsWith("accountkey", StringComparison.Ordinal)) return "azure-storage-key";
        if (name.EndsWith("sharedaccesskey", StringComparison.Ordinal)) return "azure-shared-access-key";
        if (family == KeyFamily.Password && inConnectionString) return "connection-string-password";
        return "config-secret";
    }

    public static bool IsSecretParent(ReadOnlySpan<char> parent)
    {
        if (parent.IsEmpty || parent.Length > 64) return false;
        Span<char> buffer = stackalloc char[64];
        var name = Placeholders.Normalize(LastSegment(parent, out _), buffer);
        foreach (var p in SecretParents)
            if (name.SequenceEqual(p)) return true;
        return false;
    }

    /// <summary>The last segment of a hierarchical key, and the one before it.</summary>
    public static ReadOnlySpan<char> LastSegment(ReadOnlySpan<char> key, out ReadOnlySpan<char> previous)
    {
        key = key.Trim("-$@");
        previous = default;
        var cut = -1;
        var width = 0;
        for (var i = key.Length - 1; i > 0; i--)
        {
            if (key[i] is '.' or ':' or '/') { cut = i; width = 1; break; }
            if (key[i] == '_' && key[i - 1] == '_' && i < key.Length - 1) { cut = i - 1; width = 2; break; }
        }
        if (cut < 0) return key.TrimStart('_');
        var head = key[..cut];
        var start = head.LastIndexOfAny('.', ':', '/');
        var dunder = head.LastIndexOf("__", StringComparison.Ordinal);
        previous = head[(Math.Max(start + 1, dunder < 0 ? 0 : dunder + 2))..];
        return key[(cut + width)..].TrimStart('_');
    }

    private static bool EndsWithPassSegment(ReadOnlySpan<char> segment)
    {
        // DB_PASS, smtp-pass, SmtpPass, keypass/storepass (keytool's own option names)
        if (segment.Length < 4) return false;
        var before = segment.Length > 4 ? segment[^5] : '\0';
        var p = segment[^4];
        return before is '_' or '-' || char.IsUpper(p) && char.IsLower(segment[^3]) || char.IsUpper(p) && char.IsUpper(before)
            || segment.EndsWith("keypass", StringComparison.OrdinalIgnoreCase) || segment.EndsWith("storepass", StringComparison.OrdinalIgnoreCase);
    }
}
