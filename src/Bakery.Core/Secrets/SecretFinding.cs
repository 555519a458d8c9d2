using System.Text.Json.Serialization;

namespace Bakery.Core.Secrets;

/// <summary>
/// A secret found in a layer or the image configuration. <see cref="File"/> names where it is: an image
/// path (<c>/app/appsettings.json</c>), a member of an archive in it (<c>/app/lib.zip!conf/app.ini</c>) or a
/// configuration field (<c>config:Env[DB_PASSWORD]</c>); <see cref="Line"/> is 0 when the place has no lines.
/// Nothing of the secret itself is kept: <see cref="Redacted"/> is its length and a short hash, so two
/// findings can be told apart.
/// </summary>
public sealed record SecretFinding(string File, int Line, string Rule, string Redacted, int Length, string Hash, string? AllowedBecause = null)
{
    /// <summary>Where, as people write it: <c>file:line</c>, or just the file when there is no line.</summary>
    [JsonIgnore] public string Location => Line > 0 ? $"{File}:{Line}" : File;

    public override string ToString() => $"{Location} ({Rule}: {Redacted})";
}
