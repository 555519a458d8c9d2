namespace Bakery.Oci.Registry;

/// <summary>
/// What the transport handlers need to know about a request, carried in its options: the repository
/// and token scope it needs, a description for messages, and whether the retry handler may resend it.
/// </summary>
internal static class RegistryRequest
{
    public static readonly HttpRequestOptionsKey<string> Repository = new("bakery.repository");

    /// <summary>The token scopes the request needs, space-separated (<c>repository:team/app:pull,push</c>).</summary>
    public static readonly HttpRequestOptionsKey<string> Scope = new("bakery.scope");

    /// <summary>What the request does, for messages: "read manifest 1.0 of team/app".</summary>
    public static readonly HttpRequestOptionsKey<string> Action = new("bakery.action");

    /// <summary>Set on upload-session requests: a resend could apply twice, so the uploader resumes the session instead.</summary>
    public static readonly HttpRequestOptionsKey<bool> NotRetried = new("bakery.not-retried");

    /// <summary>Set on documents (manifests, configs, token answers): the body is read within the attempt, at most this many bytes.</summary>
    public static readonly HttpRequestOptionsKey<long> BufferUpTo = new("bakery.buffer");

    public static HttpRequestMessage Create(HttpMethod method, Uri uri, string repository, string scope, string action)
    {
        var request = new HttpRequestMessage(method, uri);
        request.Options.Set(Repository, repository);
        request.Options.Set(Scope, scope);
        request.Options.Set(Action, action);
        return request;
    }

    public static string RepositoryOf(HttpRequestMessage request) => request.Options.TryGetValue(Repository, out var r) ? r : "";

    public static string? ScopeOf(HttpRequestMessage request) => request.Options.TryGetValue(Scope, out var s) ? s : null;

    public static string ActionOf(HttpRequestMessage request) =>
        request.Options.TryGetValue(Action, out var a) ? a : $"answer {request.Method} {request.RequestUri?.AbsolutePath}";

    /// <summary>The retry and auth handlers may send it again: not an upload session step, and its body can be read again.</summary>
    public static bool CanResend(HttpRequestMessage request) =>
        request.Content is not IOneShotContent { IsOneShot: true } && !(request.Options.TryGetValue(NotRetried, out var no) && no);

    public static bool CanReplayBody(HttpRequestMessage request) => request.Content is not IOneShotContent { IsOneShot: true };
}

/// <summary>Content that may be readable only once (a blob streamed from another registry cannot be rewound).</summary>
internal interface IOneShotContent
{
    bool IsOneShot { get; }
}

/// <summary>Content that says when bytes move, so a slow but moving upload is not taken for a stalled one.</summary>
internal interface IActivityContent
{
    Action? Activity { get; set; }
}
