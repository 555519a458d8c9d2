using System.Text;

namespace Bakery.Core.Secrets;

/// <summary>
/// Credentials in a URL's user-info, <c>scheme://user:password@host</c>: database URLs (postgres, mysql, mongodb,
/// redis, amqp, sqlserver, …), git credential stores, proxies (http_proxy), webhooks. The password is the secret.
/// </summary>
internal sealed class UrlCredentialsRule() : SecretRule("url-credentials", FormatPriority, "://")
{
    public override bool PerHit => true;

    private static readonly System.Buffers.SearchValues<char> AuthorityEnds = System.Buffers.SearchValues.Create("/?# \t\r\n\"'`<>\\)]};,");

    public override int Scan(ReadOnlySpan<char> text, int hit, int lineStart, int lineEnd, FindingSink sink)
    {
        var start = hit + 3;
        var rest = text[start..Math.Min(text.Length, start + 1024)];
        var length = rest.IndexOfAny(AuthorityEnds);
        var authority = length < 0 ? rest : rest[..length];
        var end = start + authority.Length;
        var at = authority.LastIndexOf('@');
        if (at <= 0) return Webhook(text, start, authority, sink) ?? end;
        var s = hit;
        while (s > 0 && hit - s < 32 && (char.IsAsciiLetterOrDigit(text[s - 1]) || text[s - 1] is '+' or '.' or '-')) s--;
        if (hit - s < 2 || !char.IsAsciiLetter(text[s])) return end;
        var userInfo = authority[..at];
        var colon = userInfo.IndexOf(':');
        if (colon < 0 || colon == userInfo.Length - 1) return end;
        var password = userInfo[(colon + 1)..];
        var user = userInfo[..colon];
        if (password.Contains(':')) return end; // not user:password (cvs://:pserver:anoncvs@host)
        if (Placeholders.IsPlaceholder(password) || IsDocumentationHost(authority[(at + 1)..])
            || password.Equals("guest", StringComparison.Ordinal) && user.Equals("guest", StringComparison.Ordinal))
        {
            sink.Ignored++;
            return end;
        }
        sink.Offer(text, start + colon + 1, password.Length, Name, Priority, checkMarkers: false);
        return end;
    }

    /// <summary>An incoming-webhook URL (Slack, Teams, Discord): the path is the credential.</summary>
    private int? Webhook(ReadOnlySpan<char> text, int start, ReadOnlySpan<char> host, FindingSink sink)
    {
        foreach (var webhook in VendorTokens.Webhooks)
        {
            var known = false;
            foreach (var name in webhook.Prefixes) known |= host.EndsWith(name, StringComparison.OrdinalIgnoreCase);
            if (!known) continue;
            var length = webhook.MatchAt(text, start);
            if (length == 0) return null;
            sink.Offer(text, start, length, webhook.Name, Priority);
            return start + length;
        }
        return null;
    }

    /// <summary>RFC 2606 names reserved for documentation: example.com/.net/.org and the .example, .test, .invalid domains.</summary>
    private static bool IsDocumentationHost(ReadOnlySpan<char> host)
    {
        var colon = host.LastIndexOf(':');
        if (colon > 0 && host[(colon + 1)..].IndexOfAnyExceptInRange('0', '9') < 0) host = host[..colon];
        foreach (var suffix in (ReadOnlySpan<string>)["example.com", "example.net", "example.org", ".example", ".test", ".invalid"])
            if (host.EndsWith(suffix, StringComparison.OrdinalIgnoreCase) && (host.Length == suffix.Length || suffix[0] == '.' || host[^(suffix.Length + 1)] == '.'))
                return true;
        return false;
    }

}

/// <summary>Authorization headers written down: <c>Authorization: Bearer …</c>, <c>Basic …</c> (in scripts, logs, HTTP files, config).</summary>
internal sealed class AuthorizationHeaderRule() : SecretRule("authorization-header", FormatPriority, "authorization")
{
    private static readonly string[] Schemes = ["Bearer", "Basic", "Token", "token", "bearer", "basic", "SSWS", "ApiKey", "Digest", "GenieKey", "Splunk", "Key"];

    public override bool PerHit => true;

    public override int Scan(ReadOnlySpan<char> text, int hit, int lineStart, int lineEnd, FindingSink sink)
    {
        var i = hit + "authorization".Length;
        var limit = Math.Min(text.Length, i + 4096);
        if (i < limit && text[i] is '"' or '\'') i++;
        while (i < limit && text[i] is ' ' or '\t') i++;
        if (i >= limit || text[i] is not (':' or '=')) return i;
        i++;
        while (i < limit && text[i] is ' ' or '\t' or '"' or '\'') i++;
        var basic = false;
        foreach (var scheme in Schemes)
            if (text[i..limit].StartsWith(scheme, StringComparison.Ordinal) && i + scheme.Length < limit && text[i + scheme.Length] == ' ')
            {
                basic = scheme is "Basic" or "basic";
                i += scheme.Length;
                while (i < limit && text[i] == ' ') i++;
                break;
            }
        var start = i;
        while (i < limit && (char.IsAsciiLetterOrDigit(text[i]) || text[i] is '.' or '_' or '~' or '+' or '/' or '=' or '-' or ':')) i++;
        var token = text[start..i];
        if (token.Length < 8 || i < limit && text[i] is '$' or '{' or '<' or '%' or '(' or '[') return i;
        // A header value is generated: a plain word ("BasicHeader", "Bearer") is a name in code or prose.
        if (token.Length < 20 && token.IndexOfAnyExceptInRange('A', 'z') < 0) return i;
        if (Placeholders.IsPlaceholder(token) || basic && IsPlaceholderCredentials(token)) { sink.Ignored++; return i; }
        sink.Offer(text, start, token.Length, Name, Priority);
        return i;
    }

    /// <summary>Basic credentials whose password part is a placeholder (user:password, admin:changeme).</summary>
    public static bool IsPlaceholderCredentials(ReadOnlySpan<char> base64)
    {
        Span<byte> bytes = stackalloc byte[Math.Min(1024, base64.Length)];
        if (base64.Length > 1360 || !Convert.TryFromBase64Chars(base64, bytes, out var written)) return false;
        var decoded = Encoding.UTF8.GetString(bytes[..written]);
        var colon = decoded.IndexOf(':');
        return colon >= 0 && Placeholders.IsPlaceholder(decoded.AsSpan(colon + 1));
    }
}

/// <summary>Docker/Podman registry credentials in config.json / auth.json: "auth": base64(user:password).</summary>
internal sealed class DockerAuthRule() : SecretRule("docker-config-auth", FormatPriority, "\"auth\"")
{
    public override bool PerHit => true;

    public override int Scan(ReadOnlySpan<char> text, int hit, int lineStart, int lineEnd, FindingSink sink)
    {
        var i = hit + 6;
        var limit = Math.Min(text.Length, i + 4096);
        while (i < limit && text[i] is ' ' or '\t') i++;
        if (i >= limit || text[i] != ':') return i;
        i++;
        while (i < limit && text[i] is ' ' or '\t') i++;
        if (i >= limit || text[i] != '"') return i;
        var start = ++i;
        while (i < limit && PrivateKeyRule.IsBase64(text[i])) i++;
        if (i >= limit || text[i] != '"' || i - start < 8) return i;
        var value = text[start..i];
        Span<byte> bytes = stackalloc byte[Math.Min(3072, value.Length)];
        if (value.Length > 4000 || !Convert.TryFromBase64Chars(value, bytes, out var written) || bytes[..written].IndexOf((byte)':') < 1) return i;
        if (AuthorizationHeaderRule.IsPlaceholderCredentials(value)) { sink.Ignored++; return i; }
        sink.Offer(text, start, value.Length, Name, Priority, checkMarkers: false);
        return i;
    }
}

/// <summary>.npmrc <c>_auth=base64(user:password)</c> (legacy basic auth; <c>_authToken</c> and <c>_password</c> are the generic rule's).</summary>
internal sealed class NpmAuthRule() : SecretRule("npm-auth", FormatPriority, "_auth")
{
    public override bool PerHit => true;

    public override int Scan(ReadOnlySpan<char> text, int hit, int lineStart, int lineEnd, FindingSink sink)
    {
        if (hit > 0 && (char.IsAsciiLetterOrDigit(text[hit - 1]) || text[hit - 1] == '_')) return hit + 1;
        var i = hit + 5;
        var limit = Math.Min(text.Length, i + 4096);
        while (i < limit && text[i] is ' ' or '\t') i++;
        if (i >= limit || text[i] != '=') return i;
        i++;
        while (i < limit && text[i] is ' ' or '\t' or '"' or '\'') i++;
        var start = i;
        while (i < limit && PrivateKeyRule.IsBase64(text[i])) i++;
        var value = text[start..i];
        if (value.Length < 8) return i;
        if (Placeholders.IsPlaceholder(value) || AuthorizationHeaderRule.IsPlaceholderCredentials(value)) { sink.Ignored++; return i; }
        sink.Offer(text, start, value.Length, Name, Priority);
        return i;
    }
}

/// <summary>Private parts of a JSON Web Key: "d" (RSA, EC, OKP private exponent or scalar) or "k" (symmetric key) in the object of a "kty".</summary>
internal sealed class JwkPrivateKeyRule() : SecretRule("jwk-private-key", KeyPriority, "\"kty\"")
{
    public override bool PerHit => true;

    public override int Scan(ReadOnlySpan<char> text, int hit, int lineStart, int lineEnd, FindingSink sink)
    {
        var from = Math.Max(0, hit - 4096);
        var region = text[from..Math.Min(text.Length, hit + 8192)];
        // The object holding this "kty": from the '{' before it to the matching '}' after it (keys hold no nested objects).
        var open = region[..(hit - from)].LastIndexOf('{');
        var close = region[(hit - from)..].IndexOf('}');
        if (open < 0 || close < 0) return hit + 5;
        var objectStart = from + open;
        var obj = text[objectStart..(hit + close)];
        foreach (var field in (ReadOnlySpan<string>)["\"d\"", "\"k\""])
        {
            var at = obj.IndexOf(field, StringComparison.Ordinal);
            if (at < 0) continue;
            var i = at + 3;
            while (i < obj.Length && obj[i] is ' ' or '\t' or '\r' or '\n') i++;
            if (i >= obj.Length || obj[i] != ':') continue;
            i++;
            while (i < obj.Length && obj[i] is ' ' or '\t' or '\r' or '\n') i++;
            if (i >= obj.Length || obj[i] != '"') continue;
            var start = ++i;
            while (i < obj.Length && (char.IsAsciiLetterOrDigit(obj[i]) || obj[i] is '-' or '_')) i++;
            if (i >= obj.Length || obj[i] != '"' || i - start < 16) continue;
            sink.Offer(text, objectStart + start, i - start, Name, Priority);
        }
        return hit + 5;
    }
}

/// <summary>curl -u user:password / --user user:password on a command line.</summary>
internal sealed class CurlUserRule() : SecretRule("curl-credentials", FormatPriority, "://")
{
    public override bool PerHit => false;

    public override int Scan(ReadOnlySpan<char> text, int hit, int lineStart, int lineEnd, FindingSink sink)
    {
        var line = text[lineStart..lineEnd];
        if (line.IndexOf("curl", StringComparison.Ordinal) < 0) return lineEnd;
        foreach (var flag in (ReadOnlySpan<string>)[" -u ", " -u'", " -u\"", " --user ", " --user="])
        {
            var at = line.IndexOf(flag, StringComparison.Ordinal);
            if (at < 0) continue;
            var i = at + flag.Length;
            while (i < line.Length && line[i] is ' ' or '"' or '\'') i++;
            var start = i;
            while (i < line.Length && line[i] is not (' ' or '"' or '\'' or '\t' or '\r')) i++;
            var credentials = line[start..i];
            var colon = credentials.IndexOf(':');
            if (colon <= 0 || colon == credentials.Length - 1) continue;
            var password = credentials[(colon + 1)..];
            if (Placeholders.IsPlaceholder(password)) { sink.Ignored++; continue; }
            sink.Offer(text, lineStart + start + colon + 1, password.Length, Name, Priority, checkMarkers: false);
        }
        return lineEnd;
    }
}
