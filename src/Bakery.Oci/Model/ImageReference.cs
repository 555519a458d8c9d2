using System.Text.RegularExpressions;

namespace Bakery.Oci.Model;

/// <summary>
/// <c>registry/repository[:tag][@digest]</c>. Unlike Docker's CLI, a registry is required:
/// Bakery never guesses Docker Hub for a trusted base image.
/// </summary>
public sealed partial record ImageReference(string Registry, string Repository, string? Tag, Digest? Digest)
{
    public string Reference => Digest?.ToString() ?? Tag ?? "latest";

    public bool IsPinned => Digest is not null;

    public override string ToString()
    {
        var text = $"{Registry}/{Repository}";
        if (Tag is not null) text += $":{Tag}";
        if (Digest is not null) text += $"@{Digest}";
        return text;
    }

    public ImageReference WithDigest(Digest digest) => this with { Digest = digest };

    public static ImageReference Parse(string value)
    {
        if (!TryParse(value, out var reference, out var error))
            throw new FormatException(error);
        return reference!;
    }

    public static bool TryParse(string? value, out ImageReference? reference, out string error)
    {
        reference = null;
        error = "";
        if (string.IsNullOrWhiteSpace(value))
        {
            error = "The image reference is empty.";
            return false;
        }
        var text = value.Trim();
        Digest? digest = null;
        var at = text.IndexOf('@');
        if (at >= 0)
        {
            if (!Model.Digest.TryParse(text[(at + 1)..], out var parsed))
            {
                error = $"'{value}' has an invalid digest after '@'.";
                return false;
            }
            digest = parsed;
            text = text[..at];
        }
        var slash = text.IndexOf('/');
        if (slash <= 0)
        {
            error = $"'{value}' has no registry: write it as registry/repository[:tag][@digest], e.g. localhost:5000/base/runtime@sha256:….";
            return false;
        }
        var registry = text[..slash];
        var rest = text[(slash + 1)..];
        string? tag = null;
        var colon = rest.LastIndexOf(':');
        if (colon >= 0)
        {
            tag = rest[(colon + 1)..];
            rest = rest[..colon];
            if (!TagPattern().IsMatch(tag))
            {
                error = $"'{value}' has an invalid tag '{tag}'.";
                return false;
            }
        }
        if (!RepositoryPattern().IsMatch(rest))
        {
            error = $"'{value}' has an invalid repository name '{rest}': use lowercase letters, digits and separators.";
            return false;
        }
        reference = new ImageReference(registry.ToLowerInvariant(), rest, tag, digest);
        return true;
    }

    public static bool IsValidTag(string tag) => TagPattern().IsMatch(tag);

    public static bool IsValidRepository(string repository) => RepositoryPattern().IsMatch(repository);

    [GeneratedRegex("^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*(?:/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)*$")]
    private static partial Regex RepositoryPattern();

    [GeneratedRegex("^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$")]
    private static partial Regex TagPattern();
}
