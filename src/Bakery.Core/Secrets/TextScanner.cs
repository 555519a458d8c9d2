namespace Bakery.Core.Secrets;

/// <summary>
/// Runs the rules over decoded text. The pre-filter jumps from keyword to keyword (SearchValues, vectorised); only
/// there do rules run — per-hit rules at the occurrence, per-line rules once on its line — so text without keywords
/// costs one pass and no allocation. Positions are offsets into the window; lines are counted only for findings.
/// </summary>
internal sealed class TextScanner(SecretRules rules)
{
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
            var hit = position + found;
            if (hit < sink.SkipUntil)
            {
                position = sink.SkipUntil;
                continue;
            }
            var resume = hit + 1;
            foreach (var (keyword, keywordRules) in rules.At(text, hit))
            {
                if (!text[hit..].StartsWith(keyword, StringComparison.OrdinalIgnoreCase)) continue;
                foreach (var rule in keywordRules)
                {
                    int next;
                    if (rule.PerHit) next = rule.Scan(text, hit, -1, -1, sink);
                    else
                    {
                        if (hit >= lineEnd)
                        {
                            var from = Math.Max(lineEnd, 0);
                            var newline = text[from..hit].LastIndexOf('\n');
                            lineStart = newline < 0 ? from : from + newline + 1;
                            var end = text[hit..].IndexOf('\n');
                            lineEnd = end < 0 ? text.Length : hit + end;
                            lineMask = 0;
                        }
                        var bit = rule.LineBit;
                        if ((lineMask & bit) != 0) continue;
                        lineMask |= bit;
                        var contentEnd = lineEnd > lineStart && text[lineEnd - 1] == '\r' ? lineEnd - 1 : lineEnd;
                        rule.Scan(text, hit, lineStart, contentEnd, sink);
                        next = hit + 1;
                    }
                    if (next > resume) resume = next;
                }
            }
            position = Math.Max(resume, sink.SkipUntil);
        }
    }
}
