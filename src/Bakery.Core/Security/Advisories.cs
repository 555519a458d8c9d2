using System.IO.Compression;
using System.Text.Json;
using System.Text.Json.Nodes;
using NuGet.Versioning;

namespace Bakery.Core.Security;

public enum Severity { Unknown, Low, Medium, High, Critical }

/// <summary>An OSV advisory, reduced to what matching needs.</summary>
public sealed record Advisory(string Id, string Summary, Severity Severity, bool Withdrawn, IReadOnlyList<AffectedPackage> Affected);

public sealed record AffectedPackage(string Ecosystem, string Name, IReadOnlyList<IReadOnlyList<(string Kind, string Version)>> Ranges, IReadOnlyList<string> Versions);

public sealed record VulnerabilityFinding(string AdvisoryId, string Package, string Ecosystem, string InstalledVersion, string? FixedVersion, Severity Severity, string Summary, string? Layer);

/// <summary>
/// An offline advisory database of OSV JSON files (a folder or a zip), matched against an SBOM with
/// each ecosystem's own version order: dpkg's for Debian (epochs, '~'), NuGet.Versioning for NuGet.
/// </summary>
public sealed class AdvisoryDatabase
{
    private readonly Dictionary<(string Ecosystem, string Name), List<(Advisory Advisory, AffectedPackage Affected)>> _index = new();

    public int Count { get; private set; }
    public DateTimeOffset? NewestModified { get; private set; }

    public static AdvisoryDatabase Load(string path)
    {
        var db = new AdvisoryDatabase();
        if (Directory.Exists(path))
            foreach (var file in Directory.EnumerateFiles(path, "*.json", SearchOption.AllDirectories)) db.Add(File.ReadAllBytes(file), file);
        else if (File.Exists(path) && path.EndsWith(".zip", StringComparison.OrdinalIgnoreCase))
        {
            using var zip = ZipFile.OpenRead(path);
            foreach (var entry in zip.Entries.Where(e => e.FullName.EndsWith(".json", StringComparison.OrdinalIgnoreCase)))
            {
                using var stream = entry.Open();
                using var buffer = new MemoryStream();
                stream.CopyTo(buffer);
                db.Add(buffer.ToArray(), $"{path}!{entry.FullName}");
            }
        }
        else throw Messages.BAKE502("BakeryAdvisoryDatabase", path, "it is neither a folder nor a .zip of OSV JSON files").Exception();
        return db;
    }

    private void Add(byte[] json, string source)
    {
        JsonNode? node;
        try { node = JsonNode.Parse(json); }
        catch (JsonException e) { throw Messages.BAKE502("BakeryAdvisoryDatabase", source, $"not JSON: {e.Message}").Exception(); }
        if (node?["id"] is null) return;
        var advisory = ParseAdvisory(node);
        Count++;
        if (DateTimeOffset.TryParse((string?)node["modified"], out var modified) && (NewestModified is null || modified > NewestModified)) NewestModified = modified;
        foreach (var affected in advisory.Affected)
        {
            var key = (EcosystemFamily(affected.Ecosystem), affected.Name.ToLowerInvariant());
            if (!_index.TryGetValue(key, out var list)) _index[key] = list = [];
            list.Add((advisory, affected));
        }
    }

    internal static Advisory ParseAdvisory(JsonNode node)
    {
        var affected = (node["affected"] as JsonArray ?? []).OfType<JsonObject>().Select(a => new AffectedPackage(
            (string?)a["package"]?["ecosystem"] ?? "",
            (string?)a["package"]?["name"] ?? "",
            (a["ranges"] as JsonArray ?? []).OfType<JsonObject>().Where(r => (string?)r["type"] is "ECOSYSTEM" or "SEMVER")
                .Select(r => (IReadOnlyList<(string, string)>)(r["events"] as JsonArray ?? []).OfType<JsonObject>()
                    .SelectMany(e => e.Select(p => (p.Key, (string?)p.Value ?? ""))).ToList()).ToList(),
            (a["versions"] as JsonArray ?? []).Select(v => (string?)v ?? "").ToList())).ToList();
        var severityText = (string?)node["database_specific"]?["severity"]
            ?? (node["affected"] as JsonArray)?.OfType<JsonObject>().Select(a => (string?)a["ecosystem_specific"]?["severity"]).FirstOrDefault(s => s is not null);
        var severity = Enum.TryParse<Severity>(severityText, ignoreCase: true, out var parsed) ? parsed
            : severityText?.ToUpperInvariant() == "MODERATE" ? Severity.Medium : Severity.Unknown;
        return new Advisory((string)node["id"]!, (string?)node["summary"] ?? "", severity, node["withdrawn"] is not null, affected);
    }

    /// <summary>"Debian:12" and "Debian" match Debian packages; "NuGet" NuGet packages.</summary>
    private static string EcosystemFamily(string ecosystem) => ecosystem.Split(':')[0];

    public IEnumerable<VulnerabilityFinding> Match(IEnumerable<SbomComponent> components)
    {
        foreach (var component in components)
        {
            if (!_index.TryGetValue((component.Ecosystem, component.Name.ToLowerInvariant()), out var candidates)
                && !(component.Source is { } source && component.Ecosystem == "Debian" && _index.TryGetValue(("Debian", source.ToLowerInvariant()), out candidates)))
                continue;
            foreach (var (advisory, affected) in candidates)
            {
                if (advisory.Withdrawn || !IsAffected(component.Ecosystem, component.Version, affected, out var fixedVersion)) continue;
                yield return new VulnerabilityFinding(advisory.Id, component.Name, component.Ecosystem, component.Version, fixedVersion, advisory.Severity, advisory.Summary, component.Layer);
            }
        }
    }

    public static bool IsAffected(string ecosystem, string version, AffectedPackage affected, out string? fixedVersion)
    {
        fixedVersion = null;
        Func<string, string, int>? compare = ecosystem switch
        {
            "Debian" => (a, b) => DpkgVersion.Parse(a).CompareTo(DpkgVersion.Parse(b)),
            "NuGet" => (a, b) => NuGetVersion.Parse(a).CompareTo(NuGetVersion.Parse(b)),
            _ => null,
        };
        if (compare is null) return false;
        if (affected.Versions.Any(v => v == version)) return true;
        foreach (var events in affected.Ranges)
        {
            // OSV: events are ordered; the version is affected between an "introduced" and the next "fixed" (exclusive) or "last_affected" (inclusive).
            var inRange = false;
            foreach (var (kind, bound) in events)
            {
                switch (kind)
                {
                    case "introduced" when bound == "0" || compare(version, bound) >= 0:
                        inRange = true;
                        break;
                    case "fixed" when inRange:
                        if (compare(version, bound) < 0) { fixedVersion = bound; return true; }
                        inRange = false;
                        break;
                    case "last_affected" when inRange:
                        if (compare(version, bound) <= 0) return true;
                        inRange = false;
                        break;
                }
            }
            if (inRange) return true; // introduced and never fixed

        }
        return false;
    }
}
