namespace Bakery.Core.Secrets;

/// <summary>
/// PEM and OpenSSH private keys (-----BEGIN … PRIVATE KEY-----, also inside JSON strings with \n escapes, as in a
/// Google service-account file) and armored PGP private key blocks. A header alone — a library's string constant,
/// documentation — is not a key: at least 64 base64 characters of body must follow.
/// </summary>
internal sealed class PrivateKeyRule() : SecretRule("private-key", KeyPriority, "PRIVATE KEY")
{
    private const int MaxBlock = 64 * 1024;

    public override bool PerHit => true;

    public override int Scan(ReadOnlySpan<char> text, int hit, int lineStart, int lineEnd, FindingSink sink)
    {
        var floor = Math.Max(0, hit - 48);
        var begin = text[floor..hit].LastIndexOf("-----BEGIN ", StringComparison.Ordinal);
        if (begin < 0) return hit + 1;
        begin += floor;
        var kind = text[(begin + 11)..hit];
        foreach (var c in kind)
            if (!char.IsAsciiLetterUpper(c) && c != ' ' && !char.IsAsciiDigit(c)) return hit + 1;
        var body = hit + "PRIVATE KEY".Length;
        if (text[body..].StartsWith(" BLOCK", StringComparison.Ordinal)) body += 6;
        if (!text[body..].StartsWith("-----", StringComparison.Ordinal)) return body;
        body += 5;

        var limit = Math.Min(text.Length, body + MaxBlock);
        var end = text[body..limit].IndexOf("-----END", StringComparison.Ordinal);
        var bodyEnd = end < 0 ? body + Armor(text[body..limit]) : body + end;
        var block = text[body..bodyEnd];
        if (Base64Characters(block) < 64 || block.Contains("...", StringComparison.Ordinal) || block.IndexOfAny('<', '{', '$') >= 0
            || block.Contains("xxxxxxxx", StringComparison.OrdinalIgnoreCase)) return bodyEnd;

        var rule = kind.Contains("PGP", StringComparison.Ordinal) ? "pgp-private-key"
            : text[Math.Max(0, begin - 40)..begin].Contains("\"private_key\"", StringComparison.Ordinal) ? "gcp-service-account-key" : Name;
        var trimmed = block.Trim();
        sink.Offer(text, body + (block.Length - block.TrimStart().Length), trimmed.Length, rule, Priority, checkMarkers: false);
        sink.Consume(begin, Math.Min(text.Length, bodyEnd + 8));
        return bodyEnd;
    }

    /// <summary>Without an END line, the block is as far as base64, whitespace, \n escapes and armor headers go.</summary>
    private static int Armor(ReadOnlySpan<char> text)
    {
        var i = 0;
        while (i < text.Length && (IsBase64(text[i]) || text[i] is ' ' or '\t' or '\r' or '\n' or '\\' or ':' or '-' or ',')) i++;
        return i;
    }

    private static int Base64Characters(ReadOnlySpan<char> block)
    {
        var n = 0;
        for (var i = 0; i < block.Length; i++)
        {
            if (block[i] == '\\' && i + 1 < block.Length && block[i + 1] is 'n' or 'r') { i++; continue; }
            if (IsBase64(block[i])) n++;
        }
        return n;
    }

    public static bool IsBase64(char c) => char.IsAsciiLetterOrDigit(c) || c is '+' or '/' or '=';
}

/// <summary>A PEM private key base64-encoded once more: Kubernetes secrets (tls.key) and kubeconfig client-key-data.</summary>
internal sealed class EncodedPrivateKeyRule() : SecretRule("private-key", KeyPriority, "key")
{
    private const string EncodedBegin = "LS0tLS1CRUdJTi"; // base64 of "-----BEGIN "

    public override bool PerHit => false;

    public override int Scan(ReadOnlySpan<char> text, int hit, int lineStart, int lineEnd, FindingSink sink)
    {
        var at = lineStart;
        Span<byte> header = stackalloc byte[48];
        while (at < lineEnd)
        {
            var found = text[at..lineEnd].IndexOf(EncodedBegin, StringComparison.Ordinal);
            if (found < 0) break;
            var start = at + found;
            var end = start;
            while (end < lineEnd && PrivateKeyRule.IsBase64(text[end])) end++;
            at = end;
            if (end - start < 100) continue;
            if (!Convert.TryFromBase64Chars(text.Slice(start, 64), header, out var written) || header[..written].IndexOf("PRIVATE KEY"u8) < 0) continue;
            var rule = text[lineStart..start].Contains("client-key-data", StringComparison.Ordinal) ? "kubeconfig-client-key" : Name;
            sink.Offer(text, start, end - start, rule, Priority, checkMarkers: false);
        }
        return lineEnd;
    }
}

/// <summary>PuTTY private keys (.ppk v2 and v3): the Private-Lines block, encrypted or not.</summary>
internal sealed class PuttyKeyRule() : SecretRule("putty-private-key", KeyPriority, "PuTTY-User-Key-File-")
{
    public override bool PerHit => true;

    public override int Scan(ReadOnlySpan<char> text, int hit, int lineStart, int lineEnd, FindingSink sink)
    {
        var limit = Math.Min(text.Length, hit + 32 * 1024);
        var at = text[hit..limit].IndexOf("Private-Lines:", StringComparison.Ordinal);
        if (at < 0) return hit + 1;
        at += hit;
        var newline = text[at..limit].IndexOf('\n');
        if (newline < 0) return at;
        if (!int.TryParse(text[(at + 14)..(at + newline)].Trim(), out var lines) || lines is <= 0 or > 200) return at;
        var start = at + newline + 1;
        var end = start;
        for (var n = 0; n < lines && end < limit; n++)
        {
            var next = text[end..limit].IndexOf('\n');
            end = next < 0 ? limit : end + next + 1;
        }
        var block = text[start..end].TrimEnd();
        if (block.Length < 16) return end;
        sink.Offer(text, start, block.Length, Name, Priority, checkMarkers: false);
        sink.Consume(start, end);
        return end;
    }
}
