namespace Bakery.Core.Secrets;

/// <summary>
/// An ASP.NET Core Data Protection key ring file (key-*.xml) with an unencrypted master key: the
/// &lt;value&gt; inside &lt;masterKey&gt;. Keys protected at rest (&lt;encryptedSecret&gt;) carry no plaintext.
/// </summary>
internal sealed class DataProtectionKeyRule() : SecretRule("dataprotection-key", KeyPriority, "<masterKey")
{
    public override bool PerHit => true;

    public override int Scan(ReadOnlySpan<char> text, int hit, int lineStart, int lineEnd, FindingSink sink)
    {
        var limit = Math.Min(text.Length, hit + 8192);
        var region = text[hit..limit];
        var close = region.IndexOf("</masterKey>", StringComparison.Ordinal);
        if (close < 0) return hit + 1;
        region = region[..close];
        var open = region.IndexOf("<value>", StringComparison.Ordinal);
        if (open < 0) return hit + close;
        var valueEnd = region[(open + 7)..].IndexOf("</value>", StringComparison.Ordinal);
        if (valueEnd < 0) return hit + close;
        var raw = region.Slice(open + 7, valueEnd);
        var value = raw.Trim();
        if (value.Length >= 16)
            sink.Offer(text, hit + open + 7 + (raw.Length - raw.TrimStart().Length), value.Length, Name, Priority);
        return hit + close;
    }
}

/// <summary>ASP.NET &lt;machineKey validationKey="…" decryptionKey="…"&gt; with explicit hex keys (not AutoGenerate).</summary>
internal sealed class MachineKeyRule() : SecretRule("aspnet-machine-key", KeyPriority, "<machineKey")
{
    public override bool PerHit => true;

    public override int Scan(ReadOnlySpan<char> text, int hit, int lineStart, int lineEnd, FindingSink sink)
    {
        var limit = Math.Min(text.Length, hit + 2048);
        var tagEnd = text[hit..limit].IndexOf('>');
        var tag = text[hit..(tagEnd < 0 ? limit : hit + tagEnd)];
        foreach (var attribute in (ReadOnlySpan<string>)["validationKey", "decryptionKey"])
        {
            var at = tag.IndexOf(attribute, StringComparison.OrdinalIgnoreCase);
            if (at < 0) continue;
            var rest = tag[(at + attribute.Length)..].TrimStart();
            if (!rest.StartsWith('=')) continue;
            rest = rest[1..].TrimStart();
            if (rest.IsEmpty || rest[0] is not ('"' or '\'')) continue;
            var close = rest[1..].IndexOf(rest[0]);
            if (close < 32) continue;
            var value = rest.Slice(1, close);
            if (value.IndexOfAnyExcept("0123456789abcdefABCDEF") >= 0) continue;
            var start = hit + (tag.Length - rest.Length) + 1;
            sink.Offer(text, start, close, Name, Priority);
        }
        return hit + tag.Length;
    }
}
