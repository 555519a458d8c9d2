using System.Text.Json;
using System.Text.Json.Nodes;
using Bakery.Core.Verification;

namespace Bakery.Core.Security;

/// <summary>One thing the image holds: a Debian package, a NuGet package, or the .NET runtime, and the layer it came from.</summary>
public sealed record SbomComponent(string Ecosystem, string Name, string Version, string? Layer, string? Source = null)
{
    public string Purl => Ecosystem switch
    {
        "Debian" => $"pkg:deb/debian/{Name}@{Uri.EscapeDataString(Version)}",
        "NuGet" => $"pkg:nuget/{Name}@{Version}",
        _ => $"pkg:generic/{Name}@{Version}",
    };
}

/// <summary>
/// Builds the inventory of an image from its merged filesystem: dpkg's status database (and
/// status.d), every *.deps.json, and the shared .NET runtimes. Written as CycloneDX 1.5 JSON:
/// a flat package inventory with purls is exactly what CycloneDX models directly, and every scanner
/// reads it.
/// </summary>
public static class Sbom
{
    public const string ArtifactType = "application/vnd.cyclonedx+json";

    private const int CachedDepsJsonLimit = 1 << 20;

    public static List<SbomComponent> Inventory(ImageFilesystem fs, IReadOnlyList<string> layerDigests)
    {
        string? LayerOf(ImageFilesystem.Node? node) => node is { Layer: >= 0 } n && n.Layer < layerDigests.Count ? layerDigests[n.Layer] : null;
        var components = new List<SbomComponent>();

        var statusFiles = new List<ImageFilesystem.Node>();
        if (fs.Resolve("var/lib/dpkg/status") is { } status) statusFiles.Add(status);
        statusFiles.AddRange(fs.ChildrenOf("var/lib/dpkg/status.d").Select(p => fs.Resolve(p)).OfType<ImageFilesystem.Node>());
        foreach (var file in statusFiles)
        {
            var text = fs.ReadFile(file) is { } bytes ? System.Text.Encoding.UTF8.GetString(bytes) : "";
            foreach (var (name, version, arch, source) in ParseDpkgStatus(text))
            {
                var list = fs.Resolve($"var/lib/dpkg/info/{name}.list") ?? fs.Resolve($"var/lib/dpkg/info/{name}:{arch}.list");
                components.Add(new SbomComponent("Debian", name, version, LayerOf(list) ?? LayerOf(file), source));
            }
        }

        foreach (var node in fs.Nodes.Where(n => n.Path.EndsWith(".deps.json", StringComparison.Ordinal) && n.Type == Oci.Layers.LayerEntryType.File).ToList())
        {
            // A usual deps.json comes from the index cache (by layer digest and entry: a base's are read from its layer once);
            // a huge one is streamed, so memory stays bounded.
            using var content = node.Size <= CachedDepsJsonLimit && fs.ReadFile(node, CachedDepsJsonLimit) is { } bytes ? new MemoryStream(bytes, writable: false) : fs.OpenFile(node);
            if (content is null) continue;
            foreach (var (name, version) in DepsJsonLibraries.Read(content))
                components.Add(new SbomComponent("NuGet", name, version, LayerOf(node), "/" + node.Path));
        }

        foreach (var framework in new[] { "Microsoft.NETCore.App", "Microsoft.AspNetCore.App" })
            foreach (var dir in fs.ChildrenOf($"usr/share/dotnet/shared/{framework}"))
                components.Add(new SbomComponent("dotnet", framework, dir[(dir.LastIndexOf('/') + 1)..], LayerOf(fs.Resolve(dir))));

        return components.DistinctBy(c => (c.Ecosystem, c.Name, c.Version)).OrderBy(c => c.Ecosystem, StringComparer.Ordinal).ThenBy(c => c.Name, StringComparer.Ordinal).ToList();
    }

    /// <summary>Installed packages from a dpkg status file: stanzas with Status "install ok installed".</summary>
    public static IEnumerable<(string Name, string Version, string? Arch, string? Source)> ParseDpkgStatus(string text)
    {
        foreach (var stanza in text.Replace("\r\n", "\n").Split("\n\n", StringSplitOptions.RemoveEmptyEntries))
        {
            var fields = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
            foreach (var line in stanza.Split('\n'))
            {
                if (line.Length == 0 || char.IsWhiteSpace(line[0])) continue;
                var colon = line.IndexOf(':');
                if (colon > 0) fields[line[..colon]] = line[(colon + 1)..].Trim();
            }
            if (!fields.TryGetValue("Package", out var name) || !fields.TryGetValue("Version", out var version)) continue;
            if (fields.TryGetValue("Status", out var state) && !state.EndsWith("installed", StringComparison.Ordinal)) continue;
            if (state is not null && state.Contains("not-installed", StringComparison.Ordinal)) continue;
            yield return (name, version, fields.GetValueOrDefault("Architecture"), fields.GetValueOrDefault("Source")?.Split(' ')[0]);
        }
    }

    public static string ToCycloneDx(IReadOnlyList<SbomComponent> components, string image, string digest, DateTimeOffset created) =>
        new JsonObject
        {
            ["bomFormat"] = "CycloneDX",
            ["specVersion"] = "1.5",
            ["serialNumber"] = $"urn:uuid:{DeterministicGuid(digest)}",
            ["version"] = 1,
            ["metadata"] = new JsonObject
            {
                ["timestamp"] = created.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", System.Globalization.CultureInfo.InvariantCulture),
                ["tools"] = new JsonObject { ["components"] = new JsonArray(new JsonObject { ["type"] = "application", ["name"] = "Bakery.Sdk" }) },
                ["component"] = new JsonObject { ["type"] = "container", ["name"] = image, ["version"] = digest },
            },
            ["components"] = new JsonArray(components.Select(c => (JsonNode)new JsonObject
            {
                ["type"] = c.Ecosystem == "dotnet" ? "framework" : "library",
                ["name"] = c.Name,
                ["version"] = c.Version,
                ["purl"] = c.Purl,
                ["properties"] = new JsonArray(new[] { ("bakery:layer", c.Layer), ("bakery:source", c.Source) }
                    .Where(p => p.Item2 is not null).Select(p => (JsonNode)new JsonObject { ["name"] = p.Item1, ["value"] = p.Item2 }).ToArray()),
            }).ToArray()),
        }.ToJsonString(new JsonSerializerOptions { WriteIndented = true });

    /// <summary>
    /// The SBOM of an image index: the index as the described component, and one container component
    /// per platform image holding that image's inventory (from its own SBOM), so a scanner of the index
    /// sees every platform and which one each package is in.
    /// </summary>
    public static string IndexCycloneDx(string image, string indexDigest, DateTimeOffset created,
        IReadOnlyList<(Oci.Model.Platform Platform, string Digest, string CycloneDx)> platforms) =>
        new JsonObject
        {
            ["bomFormat"] = "CycloneDX",
            ["specVersion"] = "1.5",
            ["serialNumber"] = $"urn:uuid:{DeterministicGuid(indexDigest)}",
            ["version"] = 1,
            ["metadata"] = new JsonObject
            {
                ["timestamp"] = created.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", System.Globalization.CultureInfo.InvariantCulture),
                ["tools"] = new JsonObject { ["components"] = new JsonArray(new JsonObject { ["type"] = "application", ["name"] = "Bakery.Sdk" }) },
                ["component"] = new JsonObject { ["type"] = "container", ["name"] = image, ["version"] = indexDigest },
            },
            ["components"] = new JsonArray(platforms.Select(p => (JsonNode)new JsonObject
            {
                ["type"] = "container",
                ["bom-ref"] = p.Digest,
                ["name"] = image,
                ["version"] = p.Digest,
                ["properties"] = new JsonArray(new JsonObject { ["name"] = "bakery:platform", ["value"] = p.Platform.ToString() }),
                ["components"] = JsonNode.Parse(p.CycloneDx)?["components"]?.DeepClone() ?? new JsonArray(),
            }).ToArray()),
        }.ToJsonString(new JsonSerializerOptions { WriteIndented = true });

    private static Guid DeterministicGuid(string text)
    {
        var hash = System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(text));
        hash[6] = (byte)((hash[6] & 0x0F) | 0x50);
        hash[8] = (byte)((hash[8] & 0x3F) | 0x80);
        return new Guid(hash.AsSpan(0, 16));
    }
}
