namespace Bakery.Core.Secrets;

/// <summary>
/// Runs the rules over decoded text. The pre-filter jumps from keyword to keyword (SearchValues, vectorised); only
/// there do rules run — per-hit rules at the occurrence, per-line rules once on its line — then the vendor prefix
/// pass looks behind each '_' and '-'. Text without keywords costs two vectorised passes and no allocation.
/// Positions are offsets into the window; lines are counted only for findings.
/// </summary>
internal sealed class TextScanner(SecretRules rules)
{
    private readonly VendorPrefixScanner _vendors = new();

    /// <summary>Scans keyword occurrences before <paramref name="scanEnd"/>; rules may read on to the end of <paramref name="text"/>.</summary>
    public void Scan(ReadOnlySpan<char> text, int scanEnd, FindingSink sink)
    {
        var position = 0;
        int lineStart = -1, lineEnd = -1;
        ulong lineMask = 0;
        while (position < scanEnd)
        {
            var found = text[position..scanEnd].IndexOfAny(rules.Keywords);
            if (found < 0) break;
            var at = position + found;
            var resume = at + 1;
            foreach (var (anchor, keywords) in rules.At(text, at))
            {
                if (!text[at..].StartsWith(anchor, StringComparison.OrdinalIgnoreCase)) continue;
                foreach (var (keyword, offset, keywordRules) in keywords)
                {
                    var hit = at - offset;
                    if (hit < 0 || hit < sink.SkipUntil || keyword.Length > anchor.Length && !text[hit..].StartsWith(keyword, StringComparison.OrdinalIgnoreCase)) continue;
                    foreach (var rule in keywordRules)
                    {
                        if (rule.PerHit)
                        {
                            var next = rule.Scan(text, hit, -1, -1, sink);
                            if (next > resume && offset == 0) resume = next;
                            continue;
                        }
                        if (hit >= lineEnd)
                        {
                            var from = Math.Max(lineEnd, 0);
                            var newline = text[from..hit].LastIndexOf('\n');
                            lineStart = newline < 0 ? from : from + newline + 1;
                            var end = text[hit..].IndexOf('\n');
                            lineEnd = end < 0 ? text.Length : hit + end;
                            lineMask = 0;
                        }
                        if ((lineMask & rule.LineBit) != 0) continue;
                        lineMask |= rule.LineBit;
                        rule.Scan(text, hit, lineStart, lineEnd > lineStart && text[lineEnd - 1] == '\r' ? lineEnd - 1 : lineEnd, sink);
                    }
                }
            }
            position = Math.Max(resume, sink.SkipUntil);
        }
        _vendors.Scan(text, scanEnd, sink);
    }

    /// <summary>Every vendor format on every line: for files whose name says they hold a secret (a token file, credentials.csv).</summary>
    public void ScanEveryLine(ReadOnlySpan<char> text, int scanEnd, FindingSink sink)
    {
        var start = 0;
        while (start < scanEnd)
        {
            var newline = text[start..scanEnd].IndexOf('\n');
            var end = newline < 0 ? scanEnd : start + newline;
            var line = text[start..end].TrimEnd('\r');
            foreach (var token in VendorTokens.All)
                foreach (var match in token.Pattern.EnumerateMatches(line))
                    sink.Offer(text, start + match.Index, match.Length, token.Name, SecretRule.FormatPriority);
            start = end + 1;
        }
    }
}
