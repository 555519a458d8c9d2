using Bakery.Core.Tags;
using Bakery.Oci.Model;

namespace Bakery.Core.Baking;

/// <summary>A tag that named another image before this bake, and which one.</summary>
public sealed record MovedTag(string Tag, string From);

/// <summary>
/// Before anything is pushed: a build tag (<c>&lt;version&gt;-build.&lt;id&gt;</c>) already naming another
/// image is BAKE407, unless BakeryAllowTagOverwrite; other tags may move, and the report says which did.
/// </summary>
internal static class TagGuard
{
    public static IReadOnlyList<MovedTag> Check(string image, Digest digest, IReadOnlyDictionary<string, Digest> existing, bool allowOverwrite, IBakeLog log)
    {
        var moved = new List<MovedTag>();
        foreach (var (tag, current) in existing.OrderBy(e => e.Key, StringComparer.Ordinal))
        {
            if (current == digest) continue;
            if (ImageTarget.IsBuildTag(tag) && !allowOverwrite) throw Messages.BAKE407(image, tag, current, digest).Exception();
            log.Info($"Tag {image}:{tag} moves from {current} to this image");
            moved.Add(new MovedTag(tag, current.ToString()));
        }
        return moved;
    }
}
