using Bakery.Core.Baking;
using Bakery.Core.Baking.Destinations;
using Bakery.Core.Descriptors;
using Bakery.Core.Lifecycle;
using Bakery.Core.Reports;
using Bakery.Tests.Infrastructure;

namespace Bakery.Tests.Unit;

/// <summary>The Markdown bake report: where the image went, the app's layers by name, and the lineage as a Mermaid graph.</summary>
[TestClass]
public sealed class BakeReportMarkdownTests
{
    private static string Digest(char c) => "sha256:" + new string(c, 64);

    private static BakeResult Result(LifecycleState lifecycle, DestinationReport? destination) => new()
    {
        Image = "tests/web",
        Digest = Digest('a'),
        MediaType = "application/vnd.oci.image.manifest.v1+json",
        ConfigDigest = Digest('b'),
        Tags = ["1.0.0", "1.0.0-build.7"],
        BaseImage = "localhost:5000/team/base",
        BaseDigest = Digest('c'),
        BasePackage = "Contoso.Team.Base 2.0.1",
        Lineage =
        [
            new LineageEntry { Repository = "team/base", Digest = Digest('c'), PackageId = "Contoso.Team.Base", PackageVersion = "2.0.1" },
            new LineageEntry { Repository = "contoso/runtime", Digest = Digest('d'), PackageId = "Contoso.Runtime", PackageVersion = "10.0.3" },
            new LineageEntry { Repository = "upstream/debian", Digest = Digest('e') },
        ],
        Lifecycle = lifecycle,
        Layers =
        [
            new LayerReport("base", Digest('1'), 30_000_000, "base"),
            new LayerReport(AppLayers.Packages, Digest('2'), 9_000_000, "bake"),
            new LayerReport(AppLayers.Project, Digest('3'), 40_000, "bake"),
        ],
        Push = new PushStatistics(0, 0, 0, 0),
        Platform = Bakery.Oci.Model.Platform.LinuxAmd64,
        Destination = destination,
    };

    [TestMethod]
    public void The_JSON_report_is_what_the_reflection_serializer_wrote_and_reads_back()
    {
        var result = Result(LifecycleState.Deprecated, new DestinationReport("registry", "localhost:5000", ["localhost:5000/tests/web:1.0.0"])) with
        {
            Outcome = BakeOutcome.Failed,
            Failure = "BAKE306: blocked",
            Vulnerabilities = [new("DSA-1", "openssl", "Debian", "3.0.1", "3.0.2", Bakery.Core.Security.Severity.Critical, "a flaw", Digest('1'))],
        };
        var reflection = new System.Text.Json.JsonSerializerOptions
        {
            WriteIndented = true,
            PropertyNamingPolicy = System.Text.Json.JsonNamingPolicy.CamelCase,
            Converters = { new System.Text.Json.Serialization.JsonStringEnumConverter(System.Text.Json.JsonNamingPolicy.CamelCase) },
            TypeInfoResolver = new System.Text.Json.Serialization.Metadata.DefaultJsonTypeInfoResolver(),
        };
        var json = BakeReportWriter.ToJson(result);
        Assert.AreEqual(System.Text.Json.JsonSerializer.Serialize(result, reflection), json);
        StringAssert.Contains(json, "\"outcome\": \"failed\"");
        StringAssert.Contains(json, "\"lifecycle\": \"deprecated\"");
        StringAssert.Contains(json, "\"severity\": \"critical\"");

        var dir = Path.Combine(Path.GetTempPath(), "bakery-tests", "report-" + Guid.NewGuid().ToString("N"));
        try
        {
            var read = BakeReportWriter.Read(BakeReportWriter.Write(result, dir).JsonPath);
            Assert.AreEqual(BakeOutcome.Failed, read.Outcome);
            Assert.AreEqual(LifecycleState.Deprecated, read.Lifecycle);
            Assert.AreEqual(result.Vulnerabilities.Single(), read.Vulnerabilities.Single());
            Assert.AreEqual(json, BakeReportWriter.ToJson(read), "what is read back writes the same report");
        }
        finally
        {
            if (Directory.Exists(dir)) Directory.Delete(dir, recursive: true);
        }
    }

    [TestMethod]
    public void The_lineage_is_a_Mermaid_graph_from_the_upstream_to_this_image_the_base_coloured_by_its_state()
    {
        var md = BakeReportWriter.ToMarkdown(Result(LifecycleState.ExpiringSoon, null));
        var start = md.IndexOf("```mermaid\nflowchart LR\n", StringComparison.Ordinal);
        Assert.IsGreaterThanOrEqualTo(0, start, md);
        var graph = md[start..(md.IndexOf("```\n", start + 10, StringComparison.Ordinal) + 4)];
        StringAssert.Contains(graph, "n0[\"upstream/debian<br/>sha256:eeeeeeeeeeee\"]:::unknown", "an ancestor's own state is not known to the bake");
        StringAssert.Contains(graph, "n1[\"Contoso.Runtime 10.0.3<br/>sha256:dddddddddddd\"]:::unknown");
        StringAssert.Contains(graph, "n2[\"Contoso.Team.Base 2.0.1<br/>sha256:cccccccccccc\"]:::expiring", "the base has the state the bake judged");
        StringAssert.Contains(graph, "n3[\"tests/web<br/>sha256:aaaaaaaaaaaa\"]:::unknown");
        foreach (var edge in new[] { "n0 --> n1", "n1 --> n2", "n2 --> n3" }) StringAssert.Contains(graph, edge);
        Assert.AreEqual(graph, MermaidLineage.Write(
            [
                new LineageNode(Digest('e'), "upstream/debian\nsha256:eeeeeeeeeeee", null),
                new LineageNode(Digest('d'), "Contoso.Runtime 10.0.3\nsha256:dddddddddddd", null),
                new LineageNode(Digest('c'), "Contoso.Team.Base 2.0.1\nsha256:cccccccccccc", LifecycleState.ExpiringSoon),
                new LineageNode("this image", "tests/web\nsha256:aaaaaaaaaaaa", null),
            ],
            [new LineageEdge(Digest('e'), Digest('d')), new LineageEdge(Digest('d'), Digest('c')), new LineageEdge(Digest('c'), "this image")]),
            "the bake report draws with the same writer as bakery outdated --markdown");

        var supported = BakeReportWriter.ToMarkdown(Result(LifecycleState.Supported, null));
        StringAssert.Contains(supported, "n0[\"upstream/debian<br/>sha256:eeeeeeeeeeee\"]:::supported", "a supported base vouches for its ancestors: the lifecycle check covers them all");
    }

    [TestMethod]
    public void The_report_says_where_the_image_went_and_names_the_app_layers()
    {
        var archive = BakeReportWriter.ToMarkdown(Result(LifecycleState.Supported,
            new DestinationReport("archive", "/out/web.tar.gz", ["tests/web:1.0.0", "tests/web:1.0.0-build.7"], null, "oci-layout")));
        StringAssert.Contains(archive, "| Destination | archive /out/web.tar.gz (oci-layout) as tests/web:1.0.0, tests/web:1.0.0-build.7 |");
        Assert.DoesNotContain("| Push |", archive, "an archive was not pushed");
        StringAssert.Contains(archive, $"| 2 | {AppLayers.Packages} | `{Digest('2')}` |");
        StringAssert.Contains(archive, $"| 3 | {AppLayers.Project} | `{Digest('3')}` |");

        var engine = BakeReportWriter.ToMarkdown(Result(LifecycleState.Supported,
            new DestinationReport("docker", "unix:///var/run/docker.sock", ["tests/web:1.0.0"], Digest('b'))));
        StringAssert.Contains(engine, $"| Destination | docker at unix:///var/run/docker.sock as tests/web:1.0.0 (image {Digest('b')}) |");

        var pushed = BakeReportWriter.ToMarkdown(Result(LifecycleState.Supported, new DestinationReport("registry", "localhost:5000", ["localhost:5000/tests/web:1.0.0"])));
        StringAssert.Contains(pushed, "| Destination | registry localhost:5000 as localhost:5000/tests/web:1.0.0 |");
        StringAssert.Contains(pushed, "| Push | 0 uploaded");
    }

    [TestMethod]
    public async Task A_base_image_loaded_into_the_local_engine_is_not_packed_BAKE406_says_to_bake_with_ContainerRegistry()
    {
        var directory = TestPaths.NewTempDirectory("pack-local");
        try
        {
            var (json, _) = BakeReportWriter.Write(Result(LifecycleState.Supported, new DestinationReport("docker", "unix:///var/run/docker.sock", ["tests/web:1.0.0"])), directory);
            var inputs = new BaseImagePackageInputs { ReportPath = json, PackageId = "Contoso.Team.Base", PackageVersion = "2.0.2", OutputDirectory = Path.Combine(directory, "package") };
            var error = await Assert.ThrowsExactlyAsync<Bakery.Core.BakeryException>(() => BaseImagePackageContent.CreateAsync(inputs, default));
            Assert.AreEqual("BAKE406", error.Code);
            StringAssert.Contains(error.Message, "put the image in docker");
            StringAssert.Contains(error.Message, "ContainerRegistry");
            Assert.IsFalse(Directory.Exists(inputs.OutputDirectory), "nothing is written for the package");
        }
        finally { Directory.Delete(directory, recursive: true); }
    }
}
