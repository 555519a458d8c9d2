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
    private static readonly string[] NotPasswords = ["bypass", "compass", "surpass", "overpass", "underpass", "firstpass", "secondpass", "multipass", "onepass", "nopass", "renderpass", "subpass", "askpass"];
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
        Span<char> buffer = stackalloc char[64];
        return Classify(key, parent, buffer, out _);
    }

    /// <summary>Classifies <paramref name="key"/>; <paramref name="name"/> is its last segment normalized (in <paramref name="buffer"/>).</summary>
    public static KeyFamily Classify(ReadOnlySpan<char> key, ReadOnlySpan<char> parent, Span<char> buffer, out ReadOnlySpan<char> name)
    {
        name = NormalizedLastSegment(key, buffer, out var previousEnd);
        var stem = name.TrimEnd("0123456789");
        if (stem.Length < 3) return KeyFamily.None;
        // Dispatch on the last letter: most keys end in none of d, s, e, t, n, y, l.
        switch (stem[^1])
        {
            case 'd':
                if (stem.EndsWith("password", StringComparison.Ordinal) || stem.EndsWith("passwd", StringComparison.Ordinal)
                    || stem.EndsWith("pwd", StringComparison.Ordinal) || stem.EndsWith("pswd", StringComparison.Ordinal)) return KeyFamily.Password;
                return stem.EndsWith("secretid", StringComparison.Ordinal) ? KeyFamily.Secret : KeyFamily.None;
            case 's':
                if (stem.EndsWith("pass", StringComparison.Ordinal)) return IsPass(stem, LastSegment(key, out _)) ? KeyFamily.Password : KeyFamily.None;
                return stem.EndsWith("credentials", StringComparison.Ordinal) || stem.EndsWith("creds", StringComparison.Ordinal) ? KeyFamily.Secret : KeyFamily.None;
            case 'e':
                return stem.EndsWith("passphrase", StringComparison.Ordinal) || stem.EndsWith("passcode", StringComparison.Ordinal) ? KeyFamily.Password : KeyFamily.None;
            case 't':
                return stem.EndsWith("secret", StringComparison.Ordinal) ? KeyFamily.Secret : KeyFamily.None;
            case 'l':
                return stem.EndsWith("credential", StringComparison.Ordinal) ? KeyFamily.Secret : KeyFamily.None;
            case 'n':
                if (!stem.EndsWith("token", StringComparison.Ordinal)) return KeyFamily.None;
                foreach (var not in TokenExclusions)
                    if (stem.EndsWith(not, StringComparison.Ordinal)) return KeyFamily.None;
                return KeyFamily.Secret;
            case 'y':
                if (!stem.EndsWith("key", StringComparison.Ordinal)) return KeyFamily.None;
                var before = stem[..^3];
                if (before.IsEmpty)
                {
                    if (previousEnd > 0) parent = key[..previousEnd];
                    return IsSecretParent(parent) ? KeyFamily.Secret : KeyFamily.None;
                }
                if (before.EndsWith("public", StringComparison.Ordinal) || before.EndsWith("publishable", StringComparison.Ordinal)) return KeyFamily.None;
                foreach (var prefix in SecretKeyPrefixes)
                    if (before.EndsWith(prefix, StringComparison.Ordinal)) return KeyFamily.Secret;
                return KeyFamily.None;
            default:
                return KeyFamily.None;
        }
    }

    /// <summary>
    /// The last segment of a hierarchical key (after <c>.</c>, <c>:</c>, <c>/</c>, <c>__</c>) lower-cased without separators, in one
    /// backward pass; <paramref name="previousEnd"/> is where the segments before it end (0 when there are none).
    /// </summary>
    public static ReadOnlySpan<char> NormalizedLastSegment(ReadOnlySpan<char> key, Span<char> buffer, out int previousEnd)
    {
        previousEnd = 0;
        var write = buffer.Length;
        for (var i = key.Length - 1; i >= 0; i--)
        {
            var c = key[i];
            if (char.IsAsciiLetterLower(c) || char.IsAsciiDigit(c)) { if (write == 0) break; buffer[--write] = c; }
            else if (char.IsAsciiLetterUpper(c)) { if (write == 0) break; buffer[--write] = (char)(c | 0x20); }
            else if (c is '.' or ':' or '/' || c == '_' && i > 0 && key[i - 1] == '_' && write < buffer.Length)
            {
                previousEnd = c == '_' ? i - 1 : i;
                break;
            }
        }
        return buffer[write..];
    }

    /// <summary>"pass" alone ends many words: it counts as the whole name, or written as its own word (DB_PASS, SmtpPass, keypass/storepass).</summary>
    private static bool IsPass(ReadOnlySpan<char> name, ReadOnlySpan<char> segment)
    {
        foreach (var not in NotPasswords)
            if (name.EndsWith(not, StringComparison.Ordinal)) return false;
        return name.Length == 4 || EndsWithPassSegment(segment);
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
