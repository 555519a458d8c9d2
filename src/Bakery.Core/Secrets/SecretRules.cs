using System.Buffers;

namespace Bakery.Core.Secrets;

/// <summary>
/// Every rule, and the keyword index the scanner's pre-filter uses: one <see cref="SearchValues{T}"/> of all keywords
/// (found in one vectorised pass over the text), and for each keyword the rules it starts.
/// </summary>
internal sealed class SecretRules
{
    /// <summary>Bumped whenever rules change what they find: verdicts cached for an unchanged image are then made again.</summary>
    public const string Version = "2";

    public static readonly SecretRules Default = new(
    [
        new AssignmentRule(),
        new PrivateKeyRule(),
        new EncodedPrivateKeyRule(),
        new PuttyKeyRule(),
        new DataProtectionKeyRule(),
        new MachineKeyRule(),
        new UrlCredentialsRule(),
        new AuthorizationHeaderRule(),
        new DockerAuthRule(),
        new NpmAuthRule(),
        new JwkPrivateKeyRule(),
        new CurlUserRule(),
        .. TokenRules.All(),
    ]);

    private readonly (string Keyword, SecretRule[] Rules)[][] _byFirstChar = new (string, SecretRule[])[128][];

    public SecretRules(IReadOnlyList<SecretRule> rules)
    {
        Rules = rules;
        var keywords = rules.SelectMany(r => r.Keywords.Select(k => (Keyword: k, Rule: r)))
            .GroupBy(k => k.Keyword, StringComparer.OrdinalIgnoreCase)
            .Select(g => (g.Key, g.Select(k => k.Rule).Distinct().ToArray()))
            .ToList();
        foreach (var (keyword, _) in keywords)
            if (keyword.Length < 3 || !keyword.All(char.IsAscii))
                throw new InvalidOperationException($"Secret rule keyword '{keyword}' must be at least 3 ASCII characters.");
        if (rules.Count(r => !r.PerHit) > 64) throw new InvalidOperationException("At most 64 per-line secret rules.");
        Keywords = SearchValues.Create(keywords.Select(k => k.Key).ToArray(), StringComparison.OrdinalIgnoreCase);
        foreach (var group in keywords.GroupBy(k => char.ToLowerInvariant(k.Key[0])))
        {
            var entries = group.ToArray();
            _byFirstChar[group.Key] = entries;
            if (char.IsAsciiLetterLower(group.Key)) _byFirstChar[char.ToUpperInvariant(group.Key)] = entries;
        }
        var bit = 0;
        foreach (var rule in rules.Where(r => !r.PerHit)) rule.LineBit = 1UL << bit++;
    }

    public IReadOnlyList<SecretRule> Rules { get; }

    public SearchValues<string> Keywords { get; }

    /// <summary>The keywords that occur at <paramref name="position"/> (the pre-filter only says that one does).</summary>
    public ReadOnlySpan<(string Keyword, SecretRule[] Rules)> At(ReadOnlySpan<char> text, int position)
    {
        var c = text[position];
        return c < 128 && _byFirstChar[c] is { } entries ? entries : [];
    }
}
