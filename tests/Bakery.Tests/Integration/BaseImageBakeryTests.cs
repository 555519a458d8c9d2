using System.IO.Compression;
using System.Text.Json.Nodes;
using Bakery.Core.Descriptors;
using Bakery.Core.Security;
using Bakery.Core.Verification;
using Bakery.Oci.Model;
using Bakery.Oci.Registry;
using Bakery.Tests.Infrastructure;

namespace Bakery.Tests.Integration;

/// <summary>
/// Global and local bakeries: base-image projects baked from a pinned upstream or a base-image
/// package, packed into base-image packages, and consumed by the next level, against a real registry.
/// </summary>
[TestClass]
[TestCategory("Integration")]
public sealed class BaseImageBakeryTests
{
    private static RegistryProcess s_registry = null!;
    private static BakeryWorkspace s_workspace = null!;
    private static TestImages.PushedImage s_upstream = null!;

    [ClassInitialize]
    public static async Task Initialize(TestContext _)
    {
        s_registry = SharedRegistry.Instance;
        s_workspace = new BakeryWorkspace("bakeries", pushTo: s_registry.Address);
        s_upstream = await TestImages.PushBaseAsync(s_registry.Address, "upstream/os", "upstream");
    }

    [ClassCleanup]
    public static void Cleanup()
    {
        s_workspace?.Dispose();
    }

    private static string BaseProject(string name, string packageId, string version, string baseXml, string extra = "")
    {
        var dir = s_workspace.CreateProject(name, $"""
              <PropertyGroup>
                <BakeryImageKind>BaseImage</BakeryImageKind>
                <PackageId>{packageId}</PackageId>
                <Version>{version}</Version>
                <BakeryOwner>{name}-team</BakeryOwner>
                <BakerySupportDays>100</BakerySupportDays>
              </PropertyGroup>
              <ItemGroup>
                {baseXml}
                <BakeryLayer Include="files/" Destination="/opt/{name}/" Layer="{name}" />
                <BakeryVerify Include="{name}.yaml" />
                <ContainerEnvironmentVariable Include="{name.ToUpperInvariant()}_LEVEL" Value="yes" />
              </ItemGroup>
            {extra}
            """);
        File.Delete(Path.Combine(dir, "Program.cs"));
        Directory.CreateDirectory(Path.Combine(dir, "files"));
        File.WriteAllText(Path.Combine(dir, "files", "marker.txt"), name);
        File.WriteAllText(Path.Combine(dir, $"{name}.yaml"), $"schemaVersion: 2.0.0\nfileExistenceTests:\n  - name: {name}\n    path: /opt/{name}/marker.txt\n    shouldExist: true\n");
        return dir;
    }

    private static void Succeeds(ProcessResult result) => Assert.AreEqual(0, result.ExitCode, result.Output);

    private static ProcessResult Pack(string dir, params string[] properties) =>
        s_workspace.Dotnet("pack", dir, [$"PackageOutputPath={s_workspace.Feed}/", .. properties]);

    private static (List<string> Files, BaseImageDescriptor Descriptor, string Nuspec) ReadPackage(string id, string version)
    {
        using var zip = ZipFile.OpenRead(Path.Combine(s_workspace.Feed, $"{id}.{version}.nupkg"));
        var files = zip.Entries.Select(e => e.FullName).Where(n => !n.StartsWith("_rels/") && !n.StartsWith("package/") && n != "[Content_Types].xml").Order(StringComparer.Ordinal).ToList();
        using var json = new StreamReader(zip.GetEntry("bakery/image.json")!.Open());
        using var nuspec = new StreamReader(zip.GetEntry($"{id}.nuspec")!.Open());
        return (files, DescriptorReader.Parse(json.ReadToEnd(), "image.json", id), nuspec.ReadToEnd());
    }

    [TestMethod]
    public async Task Global_then_local_then_app_chain_with_lineage_packages_and_inherited_policies()
    {
        var global = BaseProject("global", "Tests.Chain.Global", "1.0.0", $"""<BakeryUpstream Include="{s_upstream.Reference}" />""",
            """<ItemGroup><BakeryRequiredLabel Include="dev.bakery.owner" /></ItemGroup>""");
        Succeeds(s_workspace.Bake(global, "BakeryBuildId=7"));
        Succeeds(Pack(global, "BakeryBuildId=7", "BakeryRequireFailOnSeverity=High", "BakeryRequireAdvisoryMaxAgeDays=30"));

        var (files, descriptor, nuspec) = ReadPackage("Tests.Chain.Global", "1.0.0.7");
        CollectionAssert.AreEqual(new[] { "Tests.Chain.Global.nuspec", "bakery/image.json", "bakery/verify/Tests.Chain.Global/global.yaml", "build/Tests.Chain.Global.props" }, files,
            "no assembly: only the descriptor, the props and the policies");
        StringAssert.Contains(nuspec, "<packageType name=\"BakeryBaseImage\" />");
        StringAssert.Contains(nuspec, "<developmentDependency>true</developmentDependency>");
        using var client = new RegistryClient(s_registry.Address);
        var pushed = await client.GetManifestAsync("tests/global", "1.0.0-build.7");
        Assert.AreEqual(pushed.Digest.ToString(), descriptor.Image.Digest);
        Assert.AreEqual($"{s_registry.Address}", descriptor.Image.Registry);
        Assert.AreEqual("linux/amd64", descriptor.Image.Platform?.ToString());
        Assert.AreEqual("7", descriptor.Origin.BuildId);
        Assert.IsNotNull(descriptor.Sbom, "the package records the digest of the image's SBOM");
        Assert.AreEqual(new RequiredLabel("dev.bakery.owner", "Tests.Chain.Global"), descriptor.RequiredLabels.Single());
        Assert.AreEqual(Severity.High, descriptor.Security!.FailOnSeverity);
        Assert.AreEqual(30, descriptor.Security.AdvisoryMaxAgeDays);
        Assert.IsFalse(descriptor.Security.RequireAssessment);
        Assert.AreEqual(100, (descriptor.Lifecycle.ExpiresOn!.Value - descriptor.Lifecycle.Published!.Value).TotalDays);
        Assert.AreEqual($"{s_upstream.Registry}/{s_upstream.Repository}", descriptor.Lineage.Single().Repository);
        Assert.AreEqual(s_upstream.Digest.ToString(), descriptor.Lineage.Single().Digest);
        Assert.IsNull(descriptor.Lineage.Single().PackageId, "the upstream has no package");
        var globalConfig = ImageConfig.Parse(await client.GetBlobAsync("tests/global", pushed.Parse().Config!.ParsedDigest));
        Assert.AreEqual("global-team", globalConfig.Labels["dev.bakery.owner"]);
        Assert.AreEqual($"{s_upstream.Registry}/{s_upstream.Repository}@{s_upstream.Digest}", globalConfig.Labels["dev.bakery.origin.upstream"]);

        var local = BaseProject("local", "Tests.Chain.Local", "2.0.0", "", BakeryWorkspace.BaseReference("Tests.Chain.Global", "1.0.0.7"));
        Succeeds(s_workspace.Bake(local, "BakeryBuildId=8"));
        Succeeds(Pack(local, "BakeryBuildId=8", "BakeryRequireAdvisoryMaxAgeDays=10", "BakeryRequireFailOnSeverity=Critical"));
        var (localFiles, localDescriptor, _) = ReadPackage("Tests.Chain.Local", "2.0.0.8");
        CollectionAssert.Contains(localFiles, "bakery/verify/Tests.Chain.Global/global.yaml", "the global policy is inherited and cannot be dropped");
        CollectionAssert.Contains(localFiles, "bakery/verify/Tests.Chain.Local/local.yaml");
        CollectionAssert.AreEqual(new[] { "Tests.Chain.Global", null }, localDescriptor.Lineage.Select(l => l.PackageId).ToArray());
        Assert.AreEqual(descriptor.Image.Digest, localDescriptor.Lineage[0].Digest);
        Assert.AreEqual("1.0.0.7", localDescriptor.Lineage[0].PackageVersion);
        Assert.AreEqual(Severity.High, localDescriptor.Security!.FailOnSeverity, "a local bakery cannot loosen the global threshold");
        Assert.AreEqual(10, localDescriptor.Security.AdvisoryMaxAgeDays, "but it can tighten the database age");
        Assert.AreEqual("Tests.Chain.Global", localDescriptor.RequiredLabels.Single().SetBy, "required labels are inherited too");
        Assert.AreEqual("Tests.Chain.Local, Tests.Chain.Global", localDescriptor.Security.SetBy);

        var app = s_workspace.CreateProject("chainapp", BakeryWorkspace.BaseReference("Tests.Chain.Local", "2.0.0.8"));
        Succeeds(s_workspace.Bake(app, "BakeryBuildId=9"));
        var appManifest = (await client.GetManifestAsync("tests/chainapp", "1.0.0-build.9")).Parse();
        Assert.HasCount(4, appManifest.Layers!, "upstream + global + local + app");
        var appConfig = ImageConfig.Parse(await client.GetBlobAsync("tests/chainapp", appManifest.Config!.ParsedDigest));
        Assert.AreEqual("yes", appConfig.Environment["GLOBAL_LEVEL"]);
        Assert.AreEqual("yes", appConfig.Environment["LOCAL_LEVEL"]);
        var lineage = LineageLabel.Read(appConfig.Labels);
        CollectionAssert.AreEqual(new[] { "Tests.Chain.Local", "Tests.Chain.Global", null }, lineage.Select(l => l.PackageId).ToArray(),
            "a registry-only reader can walk the ancestors from the label");
    }

    [TestMethod]
    public void Lifecycle_source_security_and_report_properties_reach_the_package_and_the_image()
    {
        var reports = Path.Combine(s_workspace.Root, "reports-" + Guid.NewGuid().ToString("N")[..6]);
        var dir = BaseProject("dated", "Tests.Dated", "3.1.0", $"""<BakeryUpstream Include="{s_upstream.Reference}" />""", """
              <PropertyGroup>
                <BakeryDeprecatedOn>2027-03-01</BakeryDeprecatedOn>
                <BakeryExpiresOn>2027-06-30</BakeryExpiresOn>
                <BakerySuccessor>Tests.Dated 4.0.0</BakerySuccessor>
                <BakerySourceUrl>https://git.example.com/bakery/dated</BakerySourceUrl>
                <BakeryRequireVulnerabilityAssessment>true</BakeryRequireVulnerabilityAssessment>
              </PropertyGroup>
            """);
        Succeeds(s_workspace.Bake(dir, "BakeryBuildId=5", $"BakeryReportDirectory={reports}/"));
        Assert.IsTrue(File.Exists(Path.Combine(reports, "bakery-report.json")), "BakeryReportDirectory takes the reports");
        Assert.IsTrue(File.Exists(Path.Combine(reports, "bakery-junit.xml")));
        Succeeds(Pack(dir, "BakeryBuildId=5", $"BakeryReportDirectory={reports}/"));

        var (_, descriptor, _) = ReadPackage("Tests.Dated", "3.1.0.5");
        Assert.AreEqual(new DateTimeOffset(2027, 3, 1, 0, 0, 0, TimeSpan.Zero), descriptor.Lifecycle.DeprecatedOn);
        Assert.AreEqual(new DateTimeOffset(2027, 6, 30, 0, 0, 0, TimeSpan.Zero), descriptor.Lifecycle.ExpiresOn, "an explicit date wins over BakerySupportDays");
        Assert.AreEqual("Tests.Dated 4.0.0", descriptor.Lifecycle.Successor);
        Assert.AreEqual("https://git.example.com/bakery/dated", descriptor.Origin.Source);
        Assert.IsTrue(descriptor.Security!.RequireAssessment, "descendants must run the vulnerability gate");
        var report = Core.Reports.BakeReportWriter.Read(Path.Combine(reports, "bakery-report.json"));
        using var client = new Oci.Registry.RegistryClient(s_registry.Address);
        var manifest = client.GetManifestAsync(report.Image[(report.Image.IndexOf('/') + 1)..], report.Digest).GetAwaiter().GetResult().Parse();
        var config = Oci.Model.ImageConfig.Parse(client.GetBlobAsync(report.Image[(report.Image.IndexOf('/') + 1)..], manifest.Config!.ParsedDigest).GetAwaiter().GetResult());
        Assert.AreEqual("https://git.example.com/bakery/dated", config.Labels["org.opencontainers.image.source"], "BakerySourceUrl is the source label");
    }

    [TestMethod]
    public void Rebaking_a_base_image_with_nothing_changed_gives_the_same_digest_and_uploads_nothing()
    {
        var dir = BaseProject("baserepro", "Tests.Repro", "1.0.0", $"""<BakeryUpstream Include="{s_upstream.Reference}" />""");
        var first = s_workspace.Bake(dir, "BakeryBuildId=1");
        Succeeds(first);
        var second = s_workspace.Bake(dir, "BakeryBuildId=2");
        Succeeds(second);
        string Digest(ProcessResult r) => r.Output.Split('\n').First(l => l.Contains("Baked ")).Split('@')[1].Trim();
        Assert.AreEqual(Digest(first), Digest(second));
        StringAssert.Contains(second.Output, "pushed   0 blob(s), 0 B");
    }

    [TestMethod]
    public void Upstream_pinned_only_by_tag_is_BAKE209()
    {
        var dir = BaseProject("tagonly", "Tests.TagOnly", "1.0.0", $"""<BakeryUpstream Include="{s_upstream.Registry}/{s_upstream.Repository}:1.0" />""");
        var result = s_workspace.Bake(dir, "BakeryBuildId=1");
        Assert.AreNotEqual(0, result.ExitCode, result.Output);
        StringAssert.Contains(result.Output, "error BAKE209");
    }

    [TestMethod]
    public async Task Upstream_with_a_history_that_does_not_match_its_layers_is_BAKE210()
    {
        var bad = await TestImages.PushBaseAsync(s_registry.Address, "upstream/nohistory", "bad",
            editConfig: c => c["history"] = new JsonArray(new JsonObject { ["created_by"] = "ENV X=1", ["empty_layer"] = true }));
        var dir = BaseProject("badhistory", "Tests.BadHistory", "1.0.0", $"""<BakeryUpstream Include="{bad.Reference}" />""");
        var result = s_workspace.Bake(dir, "BakeryBuildId=1");
        Assert.AreNotEqual(0, result.ExitCode, result.Output);
        StringAssert.Contains(result.Output, "error BAKE210");
        StringAssert.Contains(result.Output, "history records 0 layer(s) but the manifest has 1");
        using var client = new RegistryClient(s_registry.Address);
        Assert.IsEmpty(await client.ListTagsAsync("tests/badhistory"));
    }

    [TestMethod]
    public async Task Packing_an_image_that_was_not_baked_or_is_gone_from_the_registry_is_BAKE406()
    {
        var dir = BaseProject("unbaked", "Tests.Unbaked", "1.0.0", $"""<BakeryUpstream Include="{s_upstream.Reference}" />""");
        var never = Pack(dir);
        Assert.AreNotEqual(0, never.ExitCode, never.Output);
        StringAssert.Contains(never.Output, "error BAKE406");
        StringAssert.Contains(never.Output, "dotnet publish -p:BakeImage=true");

        Succeeds(s_workspace.Bake(dir, "BakeryBuildId=3"));
        using var http = new HttpClient();
        var digest = (await new RegistryClient(s_registry.Address).GetManifestAsync("tests/unbaked", "1.0.0")).Digest;
        var delete = await http.DeleteAsync($"http://{s_registry.Address}/v2/tests/unbaked/manifests/{digest}");
        Assert.IsTrue(delete.IsSuccessStatusCode, delete.ToString());
        var gone = Pack(dir);
        Assert.AreNotEqual(0, gone.ExitCode, gone.Output);
        StringAssert.Contains(gone.Output, "is not in its registry");
        Assert.IsFalse(File.Exists(Path.Combine(s_workspace.Feed, "Tests.Unbaked.1.0.0.nupkg")), "no package is written");
    }
}
