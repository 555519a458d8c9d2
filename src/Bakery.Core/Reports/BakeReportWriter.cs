using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using System.Text.Json.Serialization.Metadata;
using Bakery.Core.Baking;

namespace Bakery.Core.Reports;

/// <summary>Writes bakery-report.json and bakery-report.md, and the few lines shown on the console.</summary>
public static class BakeReportWriter
{
    // The report's options have one home, ReportJson's attribute; the reader uses them with reflection contracts.
    private static readonly JsonSerializerOptions ReadJson = new(ReportJson.Default.Options) { TypeInfoResolver = new DefaultJsonTypeInfoResolver() };

    /// <summary>Writes NAME.json, NAME.md and the JUnit XML (bakery-junit.xml for a bake, NAME-junit.xml otherwise).</summary>
    public static (string JsonPath, string MarkdownPath) Write(BakeResult result, string directory, string name = "bakery-report")
    {
        Directory.CreateDirectory(directory);
        var jsonPath = Path.Combine(directory, name + ".json");
        var mdPath = Path.Combine(directory, name + ".md");
        Oci.AtomicFile.WriteAllText(jsonPath, ToJson(result));
        Oci.AtomicFile.WriteAllText(mdPath, ToMarkdown(result));
        Oci.AtomicFile.WriteAllText(Path.Combine(directory, name == "bakery-report" ? "bakery-junit.xml" : name + "-junit.xml"), ToJUnit(result));
        return (jsonPath, mdPath);
    }

    /// <summary>
    /// Written through source-generated contracts (no reflection-emitted serializers in every bake and rebase);
    /// reading stays on reflection, which keeps the defaults of init-only properties a report leaves out.
    /// </summary>
    public static string ToJson(BakeResult result) => JsonSerializer.Serialize(result, ReportJson.Default.BakeResult);

    public static BakeResult Read(string jsonPath) =>
        JsonSerializer.Deserialize<BakeResult>(File.ReadAllText(jsonPath), ReadJson)
        ?? throw new InvalidDataException($"{jsonPath} is empty.");

    public static string ToMarkdown(BakeResult r)
    {
        var md = new StringBuilder();
        md.AppendLine($"# Bake report: {r.Image}");
        md.AppendLine();
        if (r.Outcome == BakeOutcome.Failed)
        {
            md.AppendLine($"**Failed, nothing was tagged.** {r.Failure}");
            md.AppendLine();
        }
        md.AppendLine("| | |");
        md.AppendLine("|---|---|");
        md.AppendLine($"| Digest | `{r.Digest}` |");
        md.AppendLine($"| Tags | {string.Join(", ", r.Tags.Select(t => $"`{t}`"))} |");
        foreach (var moved in r.MovedTags) md.AppendLine($"| Moved | `{moved.Tag}` from `{moved.From}` |");
        md.AppendLine(r.Platforms.Count > 0 ? $"| Platforms | {string.Join(", ", r.Platforms.Select(p => p.Platform))} (an image index) |" : $"| Platform | {r.Platform} |");
        md.AppendLine($"| Base image | `{r.BaseImage}@{r.BaseDigest}` |");
        md.AppendLine($"| Base package | {r.BasePackage ?? "(untrusted: none)"} |");
        md.AppendLine($"| Lifecycle | {r.Lifecycle}{(r.BaseExpiresOn is { } e ? $", expires {e.UtcDateTime:yyyy-MM-dd}" : "")} |");
        md.AppendLine($"| Build id | {r.BuildId ?? "(none)"} |");
        md.AppendLine($"| Size | {FormatBytes(r.TotalSize)} compressed |");
        if (r.Destination is { } destination)
            md.AppendLine($"| Destination | {Cell(Where(destination))} |");
        if (r.Destination is null or { Kind: "registry" })
            md.AppendLine($"| Push | {r.Push.BlobsUploaded} uploaded ({FormatBytes(r.Push.BytesUploaded)}), {r.Push.BlobsMounted} mounted, {r.Push.BlobsSkipped} already present |");
        md.AppendLine();
        if (r.Platforms.Count > 0)
        {
            md.AppendLine("## Platforms");
            md.AppendLine();
            md.AppendLine("| Platform | Digest | Base | Size | Layers | Checks |");
            md.AppendLine("|---|---|---|---|---|---|");
            foreach (var p in r.Platforms)
                md.AppendLine($"| {p.Platform}{(p.RuntimeIdentifier is null ? "" : $" ({p.RuntimeIdentifier})")} | `{p.Digest}` | `{p.BaseDigest}` | {FormatBytes(p.TotalSize)} | {p.Layers.Count(l => l.Origin == "bake")} new, {p.Layers.Count(l => l.Origin == "base")} inherited | {p.ChecksPassed} passed, {p.ChecksSkipped} skipped |");
            md.AppendLine();
        }
        md.AppendLine("## Lineage");
        md.AppendLine();
        foreach (var a in r.Lineage) md.AppendLine($"- `{a.Repository}@{a.Digest}`{(a.PackageId is null ? "" : $" ({a.PackageId} {a.PackageVersion})")}");
        md.AppendLine();
        if (r.Lineage.Count > 0)
        {
            md.Append(LineageGraph(r));
            md.AppendLine();
        }
        if (r.Checks.Count > 0)
        {
            md.AppendLine("## Verification");
            md.AppendLine();
            md.AppendLine("| File | Check | Result |");
            md.AppendLine("|---|---|---|");
            foreach (var c in r.Checks)
                md.AppendLine($"| {SuiteOf(c)} | {c.Suite}: {c.Name} | {(c.Skipped ? "skipped: " + c.Failure : c.Passed ? "passed" : "FAILED: " + c.Failure)} |");
            md.AppendLine();
        }
        var secrets = r.Secrets.Select(f => (f, "blocking")).Concat(r.AllowedSecrets.Select(f => (f, "allowed: " + f.AllowedBecause))).ToList();
        if (secrets.Count > 0)
        {
            md.AppendLine("## Secrets");
            md.AppendLine();
            md.AppendLine("| File | Line | Rule | Redacted | Verdict |");
            md.AppendLine("|---|---|---|---|---|");
            foreach (var (f, verdict) in secrets)
                md.AppendLine($"| `{Cell(f.File)}` | {(f.Line > 0 ? f.Line : "")} | {f.Rule} | {f.Redacted} | {Cell(verdict)} |");
            md.AppendLine();
        }
        var vulnerabilities = r.BlockingVulnerabilities.Select(v => (v, "blocking")).Concat(r.Vulnerabilities.Select(v => (v, "below threshold"))).ToList();
        if (vulnerabilities.Count > 0)
        {
            md.AppendLine("## Vulnerabilities");
            md.AppendLine();
            md.AppendLine("| Advisory | Severity | Package | Installed | Fixed in | Verdict |");
            md.AppendLine("|---|---|---|---|---|---|");
            foreach (var (v, verdict) in vulnerabilities)
                md.AppendLine($"| {v.AdvisoryId} | {v.Severity} | {v.Package} | {v.InstalledVersion} | {v.FixedVersion ?? "(no fix)"} | {verdict} |");
            md.AppendLine();
        }
        if (r.LayerWarnings.Count > 0)
        {
            md.AppendLine("## Layer warnings");
            md.AppendLine();
            foreach (var w in r.LayerWarnings) md.AppendLine($"- {w.Code}: {w.Message.Replace("|", "\\|", StringComparison.Ordinal)}");
            md.AppendLine();
        }
        foreach (var (title, layers) in r.Platforms.Count > 0 ? r.Platforms.Select(p => ($"Layers of {p.Platform}", p.Layers)) : [("Layers", r.Layers)])
        {
            md.AppendLine($"## {title}");
            md.AppendLine();
            md.AppendLine("| # | Layer | Digest | Size |");
            md.AppendLine("|---|---|---|---|");
            for (var i = 0; i < layers.Count; i++)
                md.AppendLine($"| {i + 1} | {layers[i].Name} | `{layers[i].Digest}` | {FormatBytes(layers[i].Size)} |");
            md.AppendLine();
        }
        return md.ToString().TrimEnd('\n') + "\n";
    }

    /// <summary>A check's file as reports group it: inherited ones under the package that set them, each platform's apart.</summary>
    private static string SuiteOf(Verification.CheckResult c) =>
        (c.Platform is null ? "" : $"{c.Platform} › ") + (c.InheritedFrom is null ? c.File : $"{c.InheritedFrom}/{c.File}");

    /// <summary>JUnit XML: one test suite per verification file, so CI systems list every check as a test.</summary>
    public static string ToJUnit(BakeResult r)
    {
        static string X(string? s) => System.Security.SecurityElement.Escape(s ?? "");
        var xml = new StringBuilder("<?xml version=\"1.0\" encoding=\"utf-8\"?>\n");
        // A failure that no check explains (a secret, the root user, the vulnerability gate) becomes a test of its own.
        var checks = r.Checks.Concat(r.BlockingVulnerabilities.Concat(r.Vulnerabilities).Select(v => new Verification.CheckResult(
                "vulnerabilities", v.Ecosystem, $"{v.AdvisoryId} {v.Package} {v.InstalledVersion} ({v.Severity})", !r.BlockingVulnerabilities.Contains(v),
                r.BlockingVulnerabilities.Contains(v) ? $"fixed in {v.FixedVersion ?? "(no fix)"}" : null)))
            .Concat(r.Secrets.Concat(r.AllowedSecrets).Select(f => new Verification.CheckResult(
                "secret-scan", f.Rule, $"{f.Location} ({f.Redacted})", f.AllowedBecause is not null,
                f.AllowedBecause is null ? $"{f.Rule}: a secret in {f.Location} ({f.Redacted})" : null)))
            .ToList();
        if (r.Outcome == BakeOutcome.Failed && r.Checks.All(c => c.Passed) && r.BlockingVulnerabilities.Count == 0 && r.Secrets.Count == 0)
            checks.Add(new Verification.CheckResult("bake", "bakery", "bake", false, r.Failure));
        xml.Append($"<testsuites name=\"bakery {X(r.Image)}\" tests=\"{checks.Count}\" failures=\"{checks.Count(c => !c.Passed)}\">\n");
        foreach (var file in checks.GroupBy(SuiteOf))
        {
            xml.Append($"  <testsuite name=\"{X(file.Key)}\" tests=\"{file.Count()}\" failures=\"{file.Count(c => !c.Passed)}\" skipped=\"{file.Count(c => c.Skipped)}\">\n");
            foreach (var c in file)
            {
                xml.Append($"    <testcase classname=\"{X(file.Key)}.{X(c.Suite)}\" name=\"{X(c.Name)}\"");
                if (c.Passed && !c.Skipped) { xml.Append(" />\n"); continue; }
                xml.Append(">\n");
                xml.Append(c.Skipped ? $"      <skipped message=\"{X(c.Failure)}\" />\n" : $"      <failure message=\"{X(c.Failure)}\" />\n");
                xml.Append("    </testcase>\n");
            }
            xml.Append("  </testsuite>\n");
        }
        return xml.Append("</testsuites>\n").ToString();
    }

    /// <summary>The one-screen summary printed after a bake.</summary>
    public static IEnumerable<string> Summary(BakeResult r, string reportPath)
    {
        yield return $"Baked {r.Image}@{r.Digest}";
        yield return $"  base     {r.BasePackage ?? r.BaseImage} ({r.Lifecycle})";
        if (r.Platforms.Count > 0)
            foreach (var p in r.Platforms)
                yield return $"  {p.Platform,-14} {p.Digest[..Math.Min(19, p.Digest.Length)]}  {p.Layers.Count(l => l.Origin == "bake")} new layer(s), {p.Layers.Count(l => l.Origin == "base")} inherited, {FormatBytes(p.TotalSize)}";
        else yield return $"  layers   {r.Layers.Count(l => l.Origin == "bake")} new, {r.Layers.Count(l => l.Origin == "base")} inherited, {FormatBytes(r.TotalSize)}";
        yield return $"  tags     {string.Join(", ", r.Tags)}";
        foreach (var moved in r.MovedTags) yield return $"  moved    {moved.Tag} (was {moved.From[..Math.Min(19, moved.From.Length)]})";
        if (r.Checks.Count > 0)
            yield return $"  verified {r.Checks.Count(c => c.Passed && !c.Skipped)} passed, {r.Checks.Count(c => c.Skipped)} skipped ({r.Checks.Count(c => c.InheritedFrom is not null)} inherited)";
        switch (r.Destination)
        {
            case null or { Kind: "registry" }:
                yield return $"  pushed   {r.Push.BlobsUploaded} blob(s), {FormatBytes(r.Push.BytesUploaded)}; {r.Push.BlobsMounted} mounted; {r.Push.BlobsSkipped} already there";
                break;
            case { Kind: "archive" } archive:
                yield return $"  wrote    {archive.Location} ({archive.Format})";
                break;
            case var engine:
                yield return $"  loaded   into {engine.Kind} at {engine.Location}{(engine.References.Count > 0 ? $"; run it: {engine.Kind} run --rm {engine.References[^1]}" : "")}";
                break;
        }
        yield return $"  report   {reportPath}";
    }

    /// <summary>Where the image went, in words: "registry localhost:5000 as …", "docker at unix:///… as …", "archive /x/app.tar (oci-layout) as …".</summary>
    public static string Where(Baking.Destinations.DestinationReport d) => d.Kind switch
    {
        "archive" => $"archive {d.Location} ({d.Format}) as {string.Join(", ", d.References)}",
        "registry" => $"registry {d.Location} as {string.Join(", ", d.References)}",
        _ => $"{d.Kind} at {d.Location} as {string.Join(", ", d.References)}{(d.ImageId is null ? "" : $" (image {d.ImageId})")}",
    };

    /// <summary>
    /// The lineage as a Mermaid graph (upstream → global → team bases → this image), drawn as `bakery
    /// outdated --markdown` draws it: the base coloured by the lifecycle state the bake judged (its
    /// ancestors' states are folded into it, so they are coloured only when all are known to be supported).
    /// </summary>
    private static string LineageGraph(BakeResult r)
    {
        var chain = r.Lineage.Reverse().ToList();
        var nodes = chain.Select((a, i) => new LineageNode(a.Digest, Label(a.PackageId is null ? a.Repository : $"{a.PackageId} {a.PackageVersion}", a.Digest),
            i == chain.Count - 1 || r.Lifecycle == Lifecycle.LifecycleState.Supported ? r.Lifecycle : null)).ToList();
        nodes.Add(new LineageNode("this image", Label(r.Image, r.Digest), null));
        var edges = nodes.Zip(nodes.Skip(1), (from, to) => new LineageEdge(from.Key, to.Key)).ToList();
        return MermaidLineage.Write(nodes, edges);
    }

    private static string Label(string name, string digest) => digest.Length > 19 ? $"{name}\n{digest[..19]}" : name;

    /// <summary>Text for a Markdown table cell: a pipe or line break in a file name must not break (or forge) the table.</summary>
    private static string Cell(string? text) =>
        (text ?? "").Replace("|", "\\|", StringComparison.Ordinal).Replace("`", "'", StringComparison.Ordinal).Replace('\n', ' ').Replace('\r', ' ');

    public static string FormatBytes(long bytes) => bytes switch
    {
        < 1024 => $"{bytes} B",
        < 1024 * 1024 => (bytes / 1024.0).ToString("0.0", CultureInfo.InvariantCulture) + " KiB",
        _ => (bytes / 1024.0 / 1024.0).ToString("0.0", CultureInfo.InvariantCulture) + " MiB",
    };
}

/// <summary>Source-generated contracts of the report, for writing it, and the options of writing and reading it.</summary>
[JsonSourceGenerationOptions(WriteIndented = true, PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase,
    Converters = [typeof(CamelCaseEnumConverter<BakeOutcome>), typeof(CamelCaseEnumConverter<Lifecycle.LifecycleState>), typeof(CamelCaseEnumConverter<Security.Severity>)])]
[JsonSerializable(typeof(BakeResult))]
internal sealed partial class ReportJson : JsonSerializerContext;

/// <summary>An enum as a camel-case string, as the report has always written them (every enum in the report has one: SourceGeneratedJsonTests).</summary>
internal sealed class CamelCaseEnumConverter<TEnum>() : JsonStringEnumConverter<TEnum>(JsonNamingPolicy.CamelCase) where TEnum : struct, Enum;
