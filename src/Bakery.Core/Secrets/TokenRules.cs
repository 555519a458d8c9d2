namespace Bakery.Core.Secrets;

/// <summary>A vendor format with a keyword of its own that starts the token (AKIA…, eyJ…, sig=…): matched where the keyword is.</summary>
internal sealed class AnchoredTokenRule(VendorToken token, params string[] keywords) : SecretRule(token.Name, FormatPriority, keywords)
{
    public override bool PerHit => true;

    public override int Scan(ReadOnlySpan<char> text, int hit, int lineStart, int lineEnd, FindingSink sink)
    {
        var length = token.MatchAt(text, hit);
        if (length == 0) return hit + 1;
        if (token == VendorTokens.SasSignature) sink.Offer(text, hit + 4, length - 4, Name, Priority);
        else sink.Offer(text, hit, length, Name, Priority);
        return hit + length;
    }
}

/// <summary>A vendor format without a prefix of its own, looked for on lines that have one of its keywords and its needle.</summary>
internal sealed class LineTokenRule(VendorToken token, string needle, params string[] keywords) : SecretRule(token.Name, FormatPriority, keywords)
{
    public override bool PerHit => false;

    public override int Scan(ReadOnlySpan<char> text, int hit, int lineStart, int lineEnd, FindingSink sink)
    {
        var line = text[lineStart..lineEnd];
        if (line.IndexOf(needle, StringComparison.Ordinal) < 0) return lineEnd;
        foreach (var match in token.Pattern.EnumerateMatches(line))
            sink.Offer(text, lineStart + match.Index, match.Length, Name, Priority);
        return lineEnd;
    }
}
