using Bakery.Core.Descriptors;
using Bakery.Core.Signing;

namespace Bakery.Core.Trust;

/// <summary>A BakeryTrustedSigningKey item: a PEM public key file, the image it is trusted for (For), and whether provenance is required (Provenance).</summary>
public sealed record TrustedSigningKeyItem(string Path, string? For, string? Provenance);

/// <summary>
/// Turns a project's BakeryTrustedSigningKey items into trust rules: the keys of all items for one
/// subject form one rule (any of them may sign, as during a key rotation). <c>For</c> defaults to the
/// base image the project bakes on (its package id, or the upstream's registry/repository);
/// <c>Provenance</c> defaults to true for a package and false for an image of another maker.
/// </summary>
public static class TrustedSigningKeys
{
    public static IReadOnlyList<TrustRule> Rules(IReadOnlyList<TrustedSigningKeyItem> items, BaseImageSelection? selection, string setBy)
    {
        var rules = new List<TrustRule>();
        foreach (var group in items.GroupBy(i => Subject(i, selection), StringComparer.OrdinalIgnoreCase))
        {
            var keys = new List<TrustedKey>();
            bool? provenance = null;
            foreach (var item in group)
            {
                SignaturePublicKey key;
                try { key = SignaturePublicKey.Parse(File.ReadAllText(item.Path)); }
                catch (Exception e) when (e is IOException or UnauthorizedAccessException)
                {
                    throw Messages.BAKE227(item.Path, e is FileNotFoundException or DirectoryNotFoundException ? "the file does not exist" : e.Message).Exception(e);
                }
                catch (FormatException e) { throw Messages.BAKE227(item.Path, e.Message).Exception(e); }
                if (keys.All(k => k.KeyId != key.KeyId)) keys.Add(TrustedKey.Of(key, System.IO.Path.GetFileName(item.Path)));
                if (!string.IsNullOrWhiteSpace(item.Provenance))
                {
                    var wanted = PropertyValues.Boolean($"BakeryTrustedSigningKey {item.Path} Provenance", item.Provenance);
                    provenance = (provenance ?? false) || wanted;
                }
            }
            var subject = group.Key;
            rules.Add(new TrustRule
            {
                Subject = subject,
                Keys = keys,
                Provenance = provenance ?? !subject.Contains('/'),
                SetBy = setBy,
            });
        }
        return rules;
    }

    private static string Subject(TrustedSigningKeyItem item, BaseImageSelection? selection)
    {
        if (!string.IsNullOrWhiteSpace(item.For)) return item.For.Trim();
        if (selection?.Descriptor is { } d) return d.Id;
        if (selection is not null) return $"{selection.Reference.Registry}/{selection.Reference.Repository}";
        throw Messages.BAKE227(item.Path, "it has no For metadata and the project bakes on no base image to default to").Exception();
    }
}
