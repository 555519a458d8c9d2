using System.Buffers;

namespace Bakery.Core.Secrets;

/// <summary>
/// Every rule, and the keyword index of the scanner's pre-filter. The pre-filter is one <see cref="SearchValues{T}"/>
/// pass, and it is fast only with few, distinct keywords; so a rule keyword that contains one of the few
/// <see cref="Anchors"/> ("PRIVATE KEY" holds "key") is found through that anchor and checked where it occurs,
/// and only the rest (AKIA, eyJ, …) become keywords of their own.
/// </summary>
internal sealed class SecretRules
{
    /// <summary>Bumped whenever rules change what they find: verdicts cached for an unchanged image are then made again.</summary>
    public const string Version = "2";

    private static readonly string[] Anchors = ["pass", "pwd", "secret", "token", "key", "://", "auth"];

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
        new AnchoredTokenRule(VendorTokens.AwsAccessKey, "AKIA"),
        new LineTokenRule(VendorTokens.AwsAccessKey, "ASIA", "key", "token"),
        new AnchoredTokenRule(VendorTokens.JsonWebToken, "eyJ"),
        new AnchoredTokenRule(VendorTokens.SasSignature, "sig="),
        new LineTokenRule(VendorTokens.GoogleKey, "AIza", "key"),
        new LineTokenRule(VendorTokens.AzureAdSecret, "Q~", "secret"),
        new LineTokenRule(VendorTokens.TwilioApiKey, "SK", "key"),
    ]);

    /// <summary>For an anchor's first character (either case): the anchors, each with the rule keywords it stands for.</summary>
    private readonly (string Anchor, (string Keyword, int Offset, SecretRule[] Rules)[] Keywords)[]?[] _byFirstChar = new (string, (string, int, SecretRule[])[])[]?[128];

    public SecretRules(IReadOnlyList<SecretRule> rules)
    {
        Rules = rules;
        var keywords = rules.SelectMany(r => r.Keywords.Select(k => (Keyword: k, Rule: r)))
            .GroupBy(k => k.Keyword, StringComparer.OrdinalIgnoreCase)
            .Select(g => (Keyword: g.Key, Rules: g.Select(k => k.Rule).Distinct().ToArray()))
            .ToList();
        var byAnchor = new Dictionary<string, List<(string, int, SecretRule[])>>(StringComparer.OrdinalIgnoreCase);
        foreach (var (keyword, keywordRules) in keywords)
        {
            if (keyword.Length < 2 || !keyword.All(char.IsAscii))
                throw new InvalidOperationException($"Secret rule keyword '{keyword}' must be at least 2 ASCII characters.");
            var anchor = Anchors.FirstOrDefault(a => keyword.Contains(a, StringComparison.OrdinalIgnoreCase)) ?? keyword;
            if (anchor.Length < 3) throw new InvalidOperationException($"Secret rule keyword '{keyword}' holds no anchor and is too short to be one.");
            if (!byAnchor.TryGetValue(anchor, out var list)) byAnchor[anchor] = list = [];
            list.Add((keyword, keyword.IndexOf(anchor, StringComparison.OrdinalIgnoreCase), keywordRules));
        }
        if (rules.Count(r => !r.PerHit) > 64) throw new InvalidOperationException("At most 64 per-line secret rules.");
        Keywords = SearchValues.Create(byAnchor.Keys.ToArray(), StringComparison.OrdinalIgnoreCase);
        KeywordCount = byAnchor.Count;
        foreach (var group in byAnchor.GroupBy(a => char.ToLowerInvariant(a.Key[0])))
        {
            var entries = group.Select(a => (a.Key, a.Value.ToArray())).ToArray();
            _byFirstChar[group.Key] = entries;
            _byFirstChar[char.ToUpperInvariant(group.Key)] = entries;
        }
        var bit = 0;
        foreach (var rule in rules.Where(r => !r.PerHit)) rule.LineBit = 1UL << bit++;
    }

    public IReadOnlyList<SecretRule> Rules { get; }

    public SearchValues<string> Keywords { get; }

    public int KeywordCount { get; }

    /// <summary>The anchors that may occur at <paramref name="position"/> (the pre-filter only says that one does).</summary>
    public ReadOnlySpan<(string Anchor, (string Keyword, int Offset, SecretRule[] Rules)[] Keywords)> At(ReadOnlySpan<char> text, int position)
    {
        var c = text[position];
        return c < 128 && _byFirstChar[c] is { } entries ? entries : [];
    }
}
