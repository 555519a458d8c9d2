using System.Text.RegularExpressions;

namespace Bakery.Core.Secrets;

/// <summary>A vendor token format: a case-sensitive prefix and the shape of the whole token.</summary>
internal sealed class VendorToken(string name, Regex pattern, params string[] prefixes)
{
    public string Name { get; } = name;
    public Regex Pattern { get; } = pattern;
    public IReadOnlyList<string> Prefixes { get; } = prefixes;

    /// <summary>The length of the token starting exactly at <paramref name="start"/> (the pattern checks the boundary before it), or 0.</summary>
    public int MatchAt(ReadOnlySpan<char> text, int start)
    {
        var from = Math.Max(0, start - 1);
        foreach (var match in Pattern.EnumerateMatches(text[from..Math.Min(text.Length, start + 1024)]))
        {
            if (from + match.Index == start) return match.Length;
            if (from + match.Index > start) break;
        }
        return 0;
    }
}

/// <summary>
/// The vendor token formats a .NET image plausibly holds, after gitleaks' and trufflehog's rule sets: cloud (AWS, Azure,
/// Google), source hosting and CI (GitHub, GitLab, npm, NuGet, PyPI, Docker Hub, JFrog, Octopus), messaging and SaaS
/// (Slack, SendGrid, Twilio, Stripe, Shopify, Telegram), observability (Sentry, New Relic, Grafana), AI APIs (OpenAI,
/// Anthropic, Hugging Face), secret stores (Vault, age). They are found three ways, so none needs a keyword of its own
/// in the pre-filter (which stays fast only with few keywords): where a prefix has a '_' or '-' (ghp_, sk_live_,
/// glpat-, xoxb-, …) the <see cref="VendorPrefixScanner"/> looks behind every such character; AWS key ids and JWTs have
/// keywords; and any value a generic rule judges a secret is named after the format it has.
/// </summary>
internal static partial class VendorTokens
{
    public static readonly VendorToken AwsAccessKey = new("aws-access-key-id", AwsAccessKeyId(), "AKIA", "ASIA", "ABIA", "ACCA");
    public static readonly VendorToken JsonWebToken = new("jwt", Jwt(), "eyJ");
    public static readonly VendorToken GoogleKey = new("google-api-key", GoogleApiKey(), "AIza");
    public static readonly VendorToken SasSignature = new("azure-sas-signature", AzureSasSignature(), "sig=");
    public static readonly VendorToken AzureAdSecret = new("azure-ad-client-secret", AzureAdClientSecret());
    public static readonly VendorToken TwilioApiKey = new("twilio-api-key", TwilioKey(), "SK");

    /// <summary>Incoming-webhook URLs (the URL is the credential), matched from the host on by the URL rule.</summary>
    public static readonly VendorToken[] Webhooks =
    [
        new("slack-webhook", SlackWebhook(), "hooks.slack.com"),
        new("teams-webhook", TeamsWebhook(), ".webhook.office.com"),
        new("discord-webhook", DiscordWebhook(), "discord.com", "discordapp.com"),
    ];

    public static readonly VendorToken[] All =
    [
        AwsAccessKey,
        new("aws-session-token", AwsSessionToken(), "FwoGZXIvYXdz", "IQoJb3JpZ2lu"),
        new("github-token", GitHubToken(), "ghp_", "gho_", "ghu_", "ghs_", "ghr_", "github_pat_"),
        new("gitlab-token", GitLabToken(), "glpat-", "gldt-", "glrt-", "glptt-", "glcbt-", "glsoat-", "glffct-", "glimt-"),
        new("slack-token", SlackToken(), "xoxb-", "xoxp-", "xoxa-", "xoxr-", "xoxs-", "xoxe-", "xoxo-", "xapp-"),
        GoogleKey,
        new("google-oauth-client-secret", GoogleClientSecret(), "GOCSPX-"),
        new("stripe-live-key", StripeLiveKey(), "sk_live_", "rk_live_"),
        new("stripe-test-key", StripeTestKey(), "sk_test_", "rk_test_"),
        new("stripe-webhook-secret", StripeWebhookSecret(), "whsec_"),
        new("sendgrid-api-key", SendGridKey(), "SG."),
        TwilioApiKey,
        new("npm-access-token", NpmToken(), "npm_"),
        new("nuget-api-key", NuGetApiKey(), "oy2"),
        SasSignature,
        AzureAdSecret,
        JsonWebToken,
        new("openai-api-key", OpenAiKey(), "sk-proj-", "sk-svcacct-", "sk-admin-", "sk-"),
        new("anthropic-api-key", AnthropicKey(), "sk-ant-"),
        new("huggingface-token", HuggingFaceToken(), "hf_"),
        new("hashicorp-vault-token", VaultToken(), "hvs.", "hvb."),
        new("age-secret-key", AgeSecretKey(), "AGE-SECRET-KEY-1"),
        new("dockerhub-token", DockerHubToken(), "dckr_pat_", "dckr_oat_"),
        new("pypi-token", PyPiToken(), "pypi-AgEIcHlwaS5vcmc"),
        new("shopify-token", ShopifyToken(), "shpat_", "shpss_", "shpca_", "shppa_"),
        new("sentry-token", SentryToken(), "sntrys_", "sntryu_"),
        new("newrelic-api-key", NewRelicKey(), "NRAK-", "NRII-"),
        new("grafana-token", GrafanaToken(), "glsa_", "glc_"),
        new("postman-api-key", PostmanKey(), "PMAK-"),
        new("telegram-bot-token", TelegramBotToken()),
        new("digitalocean-token", DigitalOceanToken(), "dop_v1_", "doo_v1_", "dor_v1_"),
        new("octopus-api-key", OctopusKey(), "API-"),
        new("databricks-token", DatabricksToken(), "dapi"),
        new("jfrog-token", JFrogToken(), "AKCp", "cmVmdGtu"),
        new("atlassian-api-token", AtlassianToken(), "ATATT3"),
        new("linear-api-key", LinearKey(), "lin_api_"),
    ];

    /// <summary>The format a whole value has (the value is exactly one token of it), or null.</summary>
    public static VendorToken? Identify(ReadOnlySpan<char> value)
    {
        foreach (var token in All)
        {
            var prefixed = token.Prefixes.Count == 0;
            foreach (var prefix in token.Prefixes)
                if (value.StartsWith(prefix, StringComparison.Ordinal)) { prefixed = true; break; }
            if (prefixed && token.MatchAt(value, 0) == value.Length) return token;
        }
        return null;
    }

    private const RegexOptions Options = RegexOptions.CultureInvariant;

    [GeneratedRegex(@"(?<![A-Za-z0-9])(?:AKIA|ASIA|ABIA|ACCA)[A-Z2-7]{16}(?![A-Za-z0-9])", Options)] private static partial Regex AwsAccessKeyId();
    [GeneratedRegex(@"(?:FwoGZXIvYXdz|IQoJb3JpZ2lu)[A-Za-z0-9/+=]{100,}", Options)] private static partial Regex AwsSessionToken();
    [GeneratedRegex(@"(?<![A-Za-z0-9_])(?:gh[pousr]_[A-Za-z0-9]{36,255}|github_pat_[A-Za-z0-9]{22}_[A-Za-z0-9]{59})(?![A-Za-z0-9])", Options)] private static partial Regex GitHubToken();
    [GeneratedRegex(@"(?<![A-Za-z0-9])gl(?:pat|dt|rt|ptt|cbt|soat|ffct|imt)-[A-Za-z0-9_-]{20,64}(?![A-Za-z0-9_-])", Options)] private static partial Regex GitLabToken();
    [GeneratedRegex(@"(?<![A-Za-z0-9])(?:xox[abeoprs]-[0-9A-Za-z]{6,}-[0-9A-Za-z-]{6,250}|xapp-\d-[A-Z0-9]{9,}-\d{9,}-[a-z0-9]{32,})", Options)] private static partial Regex SlackToken();
    [GeneratedRegex(@"hooks\.slack\.com/(?:services|workflows|triggers)/[A-Za-z0-9]{8,}/[A-Za-z0-9]{8,}/[A-Za-z0-9]{16,}", Options)] private static partial Regex SlackWebhook();
    [GeneratedRegex(@"[a-z0-9-]+\.webhook\.office\.com/webhookb2/[A-Za-z0-9-]{36}@[A-Za-z0-9-]{36}/IncomingWebhook/[A-Za-z0-9]{32}/[A-Za-z0-9-]{36}(?:/[A-Za-z0-9_-]{20,})?", Options)] private static partial Regex TeamsWebhook();
    [GeneratedRegex(@"discord(?:app)?\.com/api/webhooks/[0-9]{15,25}/[A-Za-z0-9_-]{60,80}", Options)] private static partial Regex DiscordWebhook();
    [GeneratedRegex(@"(?<![A-Za-z0-9_-])AIza[0-9A-Za-z_-]{35}(?![A-Za-z0-9_-])", Options)] private static partial Regex GoogleApiKey();
    [GeneratedRegex(@"GOCSPX-[A-Za-z0-9_-]{28}(?![A-Za-z0-9_-])", Options)] private static partial Regex GoogleClientSecret();
    [GeneratedRegex(@"(?<![A-Za-z0-9])[sr]k_live_[0-9A-Za-z]{10,247}(?![A-Za-z0-9])", Options)] private static partial Regex StripeLiveKey();
    [GeneratedRegex(@"(?<![A-Za-z0-9])[sr]k_test_[0-9A-Za-z]{10,247}(?![A-Za-z0-9])", Options)] private static partial Regex StripeTestKey();
    [GeneratedRegex(@"(?<![A-Za-z0-9])whsec_[A-Za-z0-9+/=]{32,}(?![A-Za-z0-9])", Options)] private static partial Regex StripeWebhookSecret();
    [GeneratedRegex(@"(?<![A-Za-z0-9])SG\.[A-Za-z0-9_-]{22}\.[A-Za-z0-9_-]{43}(?![A-Za-z0-9_-])", Options)] private static partial Regex SendGridKey();
    [GeneratedRegex(@"(?<![A-Za-z0-9])SK[0-9a-fA-F]{32}(?![A-Za-z0-9])", Options)] private static partial Regex TwilioKey();
    [GeneratedRegex(@"(?<![A-Za-z0-9_])npm_[A-Za-z0-9]{36}(?![A-Za-z0-9])", Options)] private static partial Regex NpmToken();
    [GeneratedRegex(@"(?<![a-z0-9])oy2[a-z0-9]{43}(?![a-z0-9])", Options)] private static partial Regex NuGetApiKey();
    [GeneratedRegex(@"(?<![A-Za-z0-9])sig=[A-Za-z0-9%+/]{30,}(?:=|%3[Dd]){0,2}", Options)] private static partial Regex AzureSasSignature();
    [GeneratedRegex(@"(?<![A-Za-z0-9_~.-])[A-Za-z0-9_~.]{3}[0-9]Q~[A-Za-z0-9_~.-]{31,34}(?![A-Za-z0-9_~.-])", Options)] private static partial Regex AzureAdClientSecret();
    [GeneratedRegex(@"(?<![A-Za-z0-9_-])eyJ[A-Za-z0-9_-]{10,}\.eyJ[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{16,}", Options)] private static partial Regex Jwt();
    [GeneratedRegex(@"(?<![A-Za-z0-9_-])sk-(?:(?:proj|svcacct|admin)-[A-Za-z0-9_-]{40,200}|[A-Za-z0-9]{20}T3BlbkFJ[A-Za-z0-9]{20})(?![A-Za-z0-9_-])", Options)] private static partial Regex OpenAiKey();
    [GeneratedRegex(@"(?<![A-Za-z0-9_-])sk-ant-(?:api|admin)[0-9]{2}-[A-Za-z0-9_-]{80,120}(?![A-Za-z0-9_-])", Options)] private static partial Regex AnthropicKey();
    [GeneratedRegex(@"(?<![A-Za-z0-9_])hf_[A-Za-z]{34}(?![A-Za-z0-9])", Options)] private static partial Regex HuggingFaceToken();
    [GeneratedRegex(@"(?<![A-Za-z0-9])hv[sb]\.[A-Za-z0-9_-]{24,}", Options)] private static partial Regex VaultToken();
    [GeneratedRegex(@"AGE-SECRET-KEY-1[QPZRY9X8GF2TVDW0S3JN54KHCE6MUA7L]{58}", Options)] private static partial Regex AgeSecretKey();
    [GeneratedRegex(@"dckr_(?:pat|oat)_[A-Za-z0-9_-]{27,}", Options)] private static partial Regex DockerHubToken();
    [GeneratedRegex(@"pypi-AgEIcHlwaS5vcmc[A-Za-z0-9_-]{50,}", Options)] private static partial Regex PyPiToken();
    [GeneratedRegex(@"shp(?:at|ss|ca|pa)_[a-fA-F0-9]{32}", Options)] private static partial Regex ShopifyToken();
    [GeneratedRegex(@"sntry[su]_[A-Za-z0-9_=+/-]{40,}", Options)] private static partial Regex SentryToken();
    [GeneratedRegex(@"NR(?:AK|II)-[A-Z0-9]{27,32}", Options)] private static partial Regex NewRelicKey();
    [GeneratedRegex(@"(?:glsa_[A-Za-z0-9]{32}_[A-Fa-f0-9]{8}|glc_[A-Za-z0-9+/]{32,400}={0,2})", Options)] private static partial Regex GrafanaToken();
    [GeneratedRegex(@"PMAK-[a-f0-9]{24}-[a-f0-9]{34}", Options)] private static partial Regex PostmanKey();
    [GeneratedRegex(@"(?<![0-9])[0-9]{8,10}:AA[0-9A-Za-z_-]{33}(?![A-Za-z0-9_-])", Options)] private static partial Regex TelegramBotToken();
    [GeneratedRegex(@"do[por]_v1_[a-f0-9]{64}", Options)] private static partial Regex DigitalOceanToken();
    [GeneratedRegex(@"(?<![A-Za-z0-9])API-[A-Z0-9]{26,32}(?![A-Za-z0-9])", Options)] private static partial Regex OctopusKey();
    [GeneratedRegex(@"(?<![A-Za-z0-9])dapi[a-f0-9]{32}(?:-[0-9])?(?![A-Za-z0-9])", Options)] private static partial Regex DatabricksToken();
    [GeneratedRegex(@"(?<![A-Za-z0-9])(?:AKCp[A-Za-z0-9]{69}|cmVmdGtu[A-Za-z0-9]{56})(?![A-Za-z0-9])", Options)] private static partial Regex JFrogToken();
    [GeneratedRegex(@"ATATT3[A-Za-z0-9_=-]{180,200}", Options)] private static partial Regex AtlassianToken();
    [GeneratedRegex(@"lin_api_[A-Za-z0-9]{40}", Options)] private static partial Regex LinearKey();
}
