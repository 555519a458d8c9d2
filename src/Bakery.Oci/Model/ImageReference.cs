using System.Text.RegularExpressions;

namespace Bakery.Oci.Model;

/// <summary>
/// <c>[registry/]repository[:tag][@digest]</c>, normalised as docker normalises it: the first component
/// is a registry when it has a '.' or a ':', is <c>localhost</c> or has upper-case letters; otherwise the
/// reference is on Docker Hub (<c>docker.io</c>, served by <c>registry-1.docker.io</c>), where a
/// single-name repository is an official image under <c>library/</c>. Trusted base images come from
/// descriptors, which always name their registry.
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
        string registry, rest;
        var first = slash < 0 ? text : text[..slash];
        if (slash >= 0 && (first.Contains('.') || first.Contains(':') || first == "localhost" || first.Any(char.IsUpper)))
        {
            registry = first;
            rest = text[(slash + 1)..];
        }
        else
        {
            registry = DockerHub;
            rest = text;
        }
        if (registry.Length == 0 || rest.Length == 0)
        {
            error = $"'{value}' has {(registry.Length == 0 ? "an empty registry" : "no repository")}: write it as [registry/]repository[:tag][@digest], e.g. localhost:5000/base/runtime@sha256:….";
            return false;
        }
        if (registry.Equals("index.docker.io", StringComparison.OrdinalIgnoreCase)) registry = DockerHub;
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
        if (registry.Equals(DockerHub, StringComparison.OrdinalIgnoreCase) && !rest.Contains('/')) rest = "library/" + rest;
        reference = new ImageReference(registry.ToLowerInvariant(), rest, tag, digest);
        return true;
    }

    /// <summary>The name references use for Docker Hub.</summary>
    public const string DockerHub = "docker.io";

    public static bool IsValidTag(string tag) => TagPattern().IsMatch(tag);

    public static bool IsValidRepository(string repository) => RepositoryPattern().IsMatch(repository);

    [GeneratedRegex("^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*(?:/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)*$")]
    private static partial Regex RepositoryPattern();

    [GeneratedRegex("^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$")]
    private static partial Regex TagPattern();
}
