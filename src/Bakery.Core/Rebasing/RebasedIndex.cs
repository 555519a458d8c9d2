using System.Text.Json.Nodes;
using Bakery.Oci.Model;
using Bakery.Oci.Registry;

namespace Bakery.Core.Rebasing;

/// <summary>
/// The index of a rebased multi-platform image: the old index with each platform's entry pointing at
/// its rebased manifest (digest, size, media type) and everything else as it was, so it is the index
/// the bake's index writer would write for those manifests.
/// </summary>
internal static class RebasedIndex
{
    public sealed record Entry(Digest From, Digest To, long Size, string MediaType);

    public static (byte[] Bytes, Digest Digest) Compose(FetchedManifest old, IReadOnlyList<Entry> rebased)
    {
        var byDigest = rebased.ToDictionary(e => e.From.ToString(), StringComparer.Ordinal);
        var parsed = old.Parse();
        // Written by Bakery's own model: compose through it, so the bytes are what a bake writes.
        if (parsed.ToBytes().AsSpan().SequenceEqual(old.Bytes))
        {
            var manifests = (parsed.Manifests ?? []).Select(m => byDigest.TryGetValue(m.Digest, out var e)
                ? m with { Digest = e.To.ToString(), Size = e.Size, MediaType = e.MediaType } : m).ToList();
            var bytes = (parsed with { Manifests = manifests }).ToBytes();
            return (bytes, Digest.Compute(bytes));
        }
        // Written by another tool: keep its fields and their order, change only the entries.
        var root = JsonNode.Parse(old.Bytes) as JsonObject ?? throw new FormatException("The index is not a JSON object.");
        foreach (var entry in (root["manifests"] as JsonArray ?? []).OfType<JsonObject>())
        {
            if ((string?)entry["digest"] is not { } digest || !byDigest.TryGetValue(digest, out var e)) continue;
            entry["digest"] = e.To.ToString();
            entry["size"] = e.Size;
            entry["mediaType"] = e.MediaType;
        }
        var edited = System.Text.Encoding.UTF8.GetBytes(root.ToJsonString());
        return (edited, Digest.Compute(edited));
    }
}
