using System.Text.Json;
using System.Xml.Linq;
using Bakery.Core;
using Bakery.Core.Baking;
using Bakery.Core.Reports;
using Bakery.Core.Secrets;
using Bakery.Tests.Unit.Secrets;

namespace Bakery.Tests.Unit;

/// <summary>A bake stopped by secrets reports every finding: JSON, Markdown and JUnit, not the first ten.</summary>
[TestClass]
public sealed class SecretReportTests
{
    private static List<SecretFinding> Findings(int count)
    {
        var r = new CorpusRandom(12);
        var text = string.Join("\n", Enumerable.Range(0, count).Select(i => $"SERVICE{i}_PASSWORD={r.Password()}"));
        return new SecretScanner(SecretAllowlist.Empty).ScanText("/app/.env", text);
    }

    private static BakeResult Failed(IReadOnlyList<SecretFinding> secrets) => new()
    {
        Outcome = BakeOutcome.Failed,
        Failure = "BAKE302: secrets",
        Image = "localhost:5000/app",
        Digest = "sha256:" + new string('a', 64),
        MediaType = "application/vnd.oci.image.manifest.v1+json",
        ConfigDigest = "sha256:" + new string('b', 64),
        Tags = [],
        BaseImage = "localhost:5000/base",
        BaseDigest = "sha256:" + new string('c', 64),
        Layers = [],
        Push = new PushStatistics(0, 0, 0, 0),
        Platform = Bakery.Oci.Model.Platform.LinuxAmd64,
        Secrets = secrets,
    };

    [TestMethod]
    public void The_failed_report_lists_every_finding_in_json_markdown_and_junit()
    {
        var secrets = Findings(14);
        Assert.HasCount(14, secrets);
        var result = Failed(secrets);

        using var json = JsonDocument.Parse(BakeReportWriter.ToJson(result));
        var array = json.RootElement.GetProperty("secrets");
        Assert.AreEqual(14, array.GetArrayLength());
        foreach (var entry in array.EnumerateArray())
        {
            Assert.AreEqual("/app/.env", entry.GetProperty("file").GetString());
            Assert.IsGreaterThan(0, entry.GetProperty("line").GetInt32());
            Assert.AreEqual("config-secret", entry.GetProperty("rule").GetString());
            StringAssert.StartsWith(entry.GetProperty("redacted").GetString(), entry.GetProperty("length").GetInt32() + " chars, sha256 ");
        }

        var markdown = BakeReportWriter.ToMarkdown(result);
        StringAssert.Contains(markdown, "## Secrets");
        Assert.AreEqual(14, markdown.Split('\n').Count(l => l.StartsWith("| `/app/.env`", StringComparison.Ordinal)));

        var junit = XDocument.Parse(BakeReportWriter.ToJUnit(result));
        var failed = junit.Descendants("testcase").Where(t => t.Element("failure") is not null).ToList();
        Assert.HasCount(14, failed);
        Assert.IsTrue(failed.All(t => t.Attribute("classname")!.Value.StartsWith("secret-scan.", StringComparison.Ordinal)));
        Assert.AreEqual(14, junit.Descendants("testcase").Count(), "no extra bake test when the secrets explain the failure");

        var dir = Directory.CreateTempSubdirectory("bakery-report-").FullName;
        try { Assert.HasCount(14, BakeReportWriter.Read(BakeReportWriter.Write(result, dir).JsonPath).Secrets); }
        finally { Directory.Delete(dir, recursive: true); }
    }

    [TestMethod]
    public void BAKE302_names_the_first_ten_and_points_to_the_report_for_the_rest()
    {
        var secrets = Findings(12);
        var error = Assert.ThrowsExactly<BakeryException>(() => BakeGates.ThrowOnSecrets(secrets, "registry/app@sha256:x"));
        Assert.AreEqual("BAKE302", error.Code);
        StringAssert.Contains(error.Message, "12 secret(s)");
        StringAssert.Contains(error.Message, "2 more in the report");
        Assert.AreEqual(10, secrets.Take(10).Count(f => error.Message.Contains(f.ToString(), StringComparison.Ordinal)));
        BakeGates.ThrowOnSecrets(secrets.Select(f => f with { AllowedBecause = "fixture" }).ToList(), "registry/app@sha256:x");
    }
}
