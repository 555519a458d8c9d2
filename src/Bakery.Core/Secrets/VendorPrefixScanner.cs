using System.Buffers;

namespace Bakery.Core.Secrets;

/// <summary>
/// Finds vendor tokens whose prefix has a '_' or '-' (ghp_, github_pat_, glpat-, xoxb-, sk_live_, npm_, hf_,
/// dckr_pat_, GOCSPX-, sk-proj-, …) anywhere in text: at every '_' and '-' it reads the word before it and, when
/// that word starts a vendor prefix, checks the token's whole shape.
/// </summary>
internal sealed class VendorPrefixScanner
{
    private static readonly SearchValues<char> Separators = SearchValues.Create("_-");
    private static readonly Dictionary<string, (string Prefix, VendorToken Token)[]> ByWord = Build();
    private static readonly Dictionary<string, (string Prefix, VendorToken Token)[]>.AlternateLookup<ReadOnlySpan<char>> Lookup = ByWord.GetAlternateLookup<ReadOnlySpan<char>>();
    private const int MaxWord = 8;

    private static Dictionary<string, (string, VendorToken)[]> Build() =>
        VendorTokens.All.SelectMany(t => t.Prefixes.Where(p => p.IndexOfAny(['_', '-']) > 0).Select(p => (Prefix: p, Token: t)))
            .GroupBy(p => p.Prefix[..p.Prefix.IndexOfAny(['_', '-'])], StringComparer.Ordinal)
            .ToDictionary(g => g.Key, g => g.OrderByDescending(p => p.Prefix.Length).ToArray(), StringComparer.Ordinal);

    public void Scan(ReadOnlySpan<char> text, int scanEnd, FindingSink sink)
    {
        var position = 0;
        while (position < scanEnd)
        {
            var found = text[position..scanEnd].IndexOfAny(Separators);
            if (found < 0) return;
            var at = position + found;
            position = at + 1;
            var start = at;
            while (start > 0 && at - start < MaxWord && char.IsAsciiLetterOrDigit(text[start - 1])) start--;
            if (start == at || start > 0 && char.IsAsciiLetterOrDigit(text[start - 1]) || !Lookup.TryGetValue(text[start..at], out var candidates)) continue;
            if (sink.IsConsumed(start)) continue;
            foreach (var (prefix, token) in candidates)
            {
                if (!text[start..].StartsWith(prefix, StringComparison.Ordinal)) continue;
                var length = token.MatchAt(text, start);
                if (length == 0) continue;
                sink.Offer(text, start, length, token.Name, SecretRule.FormatPriority);
                position = Math.Max(position, start + length);
                break;
            }
        }
    }
}
