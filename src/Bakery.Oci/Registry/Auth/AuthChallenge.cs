namespace Bakery.Oci.Registry;

/// <summary>
/// A registry's <c>WWW-Authenticate</c> challenge: Basic, or Bearer with the token service's realm,
/// service and the scopes the request needs (space-separated, as Distribution sends them), and the
/// error when a token was presented but did not grant enough (<c>insufficient_scope</c>).
/// </summary>
internal sealed record AuthChallenge(string Scheme, IReadOnlyDictionary<string, string> Parameters)
{
    public bool IsBearer => Scheme.Equals("Bearer", StringComparison.OrdinalIgnoreCase);
    public bool IsBasic => Scheme.Equals("Basic", StringComparison.OrdinalIgnoreCase);

    public string? Realm => Parameters.TryGetValue("realm", out var v) ? v : null;
    public string? Service => Parameters.TryGetValue("service", out var v) ? v : null;
    public string? Error => Parameters.TryGetValue("error", out var v) ? v : null;

    public IReadOnlyList<string> Scopes =>
        Parameters.TryGetValue("scope", out var v) ? v.Split(' ', StringSplitOptions.RemoveEmptyEntries) : [];

    /// <summary>The Bearer challenge of a 401 when there is one, else its Basic one, else null.</summary>
    public static AuthChallenge? From(HttpResponseMessage response)
    {
        AuthChallenge? basic = null;
        foreach (var header in response.Headers.WwwAuthenticate)
        {
            var challenge = new AuthChallenge(header.Scheme, ParseParameters(header.Parameter ?? ""));
            if (challenge.IsBearer) return challenge;
            if (challenge.IsBasic) basic ??= challenge;
        }
        return basic;
    }

    /// <summary>Parses <c>realm="…",service="…",scope="…"</c> (values may contain commas inside quotes, and escaped quotes).</summary>
    internal static Dictionary<string, string> ParseParameters(string text)
    {
        var result = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        var i = 0;
        while (i < text.Length)
        {
            while (i < text.Length && (text[i] == ',' || char.IsWhiteSpace(text[i]))) i++;
            var eq = text.IndexOf('=', i);
            if (eq < 0) break;
            var key = text[i..eq].Trim();
            i = eq + 1;
            while (i < text.Length && text[i] == ' ') i++;
            string value;
            if (i < text.Length && text[i] == '"')
            {
                var builder = new System.Text.StringBuilder();
                i++;
                while (i < text.Length && text[i] != '"')
                {
                    if (text[i] == '\\' && i + 1 < text.Length) i++;
                    builder.Append(text[i]);
                    i++;
                }
                value = builder.ToString();
                i++;
            }
            else
            {
                var end = text.IndexOf(',', i);
                if (end < 0) end = text.Length;
                value = text[i..end].Trim();
                i = end;
            }
            if (key.Length > 0) result[key] = value;
        }
        return result;
    }
}
