using System.Text.Json;
using Bakery.Oci.Archives;
using Bakery.Oci.Model;
using Bakery.Oci.Registry;
using Bakery.Tests.Infrastructure;
using Docker.DotNet.Models;

namespace Bakery.Tests.Integration;

/// <summary>
/// `bakery verify` and `bakery scan` on images saved as files (docker-archive and OCI image layout),
/// built from an image in a real registry, and every way such an archive can be unusable.
/// </summary>
[TestClass]
[TestCategory("Integration")]
public sealed class ImageArchiveTests
{
    private static RegistryProcess s_registry = null!;
    private static string s_root = null!;
    private static LocalImage s_image = null!;
    private static TestImages.PushedImage s_pushed = null!;

    private const string Policy = """
        schemaVersion: 2.0.0
        fileContentTests:
          - name: os-release marks the archive image
            path: /etc/os-release
            expectedContents: ['MARKER=archive']
        metadataTest:
          user: "1654"
        """;

    [ClassInitialize]
    public static async Task Initialize(TestContext _)
    {
        s_registry = SharedRegistry.Instance;
        s_root = TestPaths.NewTempDirectory("archives");
        s_pushed = await TestImages.PushBaseAsync(s_registry.Address, "archives/base", "archive", extraFiles: new Dictionary<string, string>
        {
            ["var/lib/dpkg/status"] = "Package: libssl3\nStatus: install ok installed\nSource: openssl\nVersion: 3.0.11-1~deb12u2\n\n",
        });
        using var client = new RegistryClient(s_registry.Address);
        s_image = await ImageDownloader.DownloadAsync(client, ImageReference.Parse(s_pushed.Reference), Path.Combine(s_root, "blobs"));
        File.WriteAllText(Path.Combine(s_root, "policy.yaml"), Policy);
        Directory.CreateDirectory(Path.Combine(s_root, "osv"));
        File.WriteAllText(Path.Combine(s_root, "osv", "DSA-9101.json"), """
            {"id":"DSA-9101","summary":"openssl issue","modified":"2026-11-01T00:00:00Z","database_specific":{"severity":"high"},
             "affected":[{"package":{"ecosystem":"Debian:12","name":"openssl"},"ranges":[{"type":"ECOSYSTEM","events":[{"introduced":"0"},{"fixed":"3.0.13-1~deb12u1"}]}]}]}
            """);
    }

    [ClassCleanup]
    public static void Cleanup()
    {
        if (s_root is not null && Directory.Exists(s_root)) Directory.Delete(s_root, recursive: true);
    }

    private static ProcessResult Tool(params string[] args) =>
        ProcessRunner.Run("dotnet", [Path.Combine(AppContext.BaseDirectory, "Bakery.Tool.dll"), .. args], s_root);

    private static string ArchivePath(string name) => Path.Combine(s_root, name);

    [TestMethod]
    public void The_downloader_gives_the_registry_image_as_files()
    {
        Assert.AreEqual(s_pushed.Digest, s_image.ManifestDigest);
        Assert.AreEqual(s_pushed.Manifest.Config!.Digest, s_image.ConfigDigest.ToString());
        Assert.AreEqual(1, s_image.Layers.Count);
        Assert.AreEqual(s_pushed.Manifest.Layers![0].Size, new FileInfo(s_image.Layers[0].Path).Length);
        Assert.AreEqual("1654", s_image.Config.User);
    }

    [TestMethod]
    public void An_OCI_layout_opens_with_its_manifest_digest_and_verified_blobs()
    {
        var archive = TestArchives.WriteOciLayout(s_image, ArchivePath("layout.tar"));
        var opened = ImageArchive.Open(archive, Path.Combine(s_root, "open-oci"));
        Assert.AreEqual("archive/test:1.0", opened.Name);
        Assert.IsNotNull(opened.ManifestDigest);
        Assert.AreEqual(s_image.ConfigDigest, opened.ConfigDigest);
        CollectionAssert.AreEqual(s_image.Layers.Select(l => l.Digest).ToList(), opened.Layers.Select(l => l.Digest).ToList());
        Assert.AreEqual(archive, opened.ArchivePath);
    }

    [TestMethod]
    public void Entries_written_as_dot_slash_paths_are_the_same_files()
    {
        var archive = TestArchives.WriteOciLayout(s_image, ArchivePath("dotslash.tar"), prefix: "./");
        var opened = ImageArchive.Open(archive, Path.Combine(s_root, "open-dotslash"));
        Assert.AreEqual(s_image.ConfigDigest, opened.ConfigDigest);
    }

    [TestMethod]
    public void A_docker_archive_opens_with_layers_checked_against_the_configs_diff_ids()
    {
        var archive = TestArchives.WriteDockerArchive(s_image, ArchivePath("docker.tar.gz"), gzip: true);
        var opened = ImageArchive.Open(archive, Path.Combine(s_root, "open-docker"));
        Assert.IsNull(opened.ManifestDigest, "a docker-archive has no manifest");
        Assert.AreEqual(s_image.ConfigDigest, opened.ConfigDigest);
        CollectionAssert.AreEqual(s_image.Config.DiffIds.ToList(), opened.Layers.Select(l => l.Digest).ToList());
        StringAssert.Contains(opened.Display, "archive/test:1.0");
    }

    [TestMethod]
    public void Verify_runs_the_same_checks_on_both_archive_formats_and_writes_reports()
    {
        foreach (var archive in new[]
        {
            TestArchives.WriteOciLayout(s_image, ArchivePath("verify-layout.tar")),
            TestArchives.WriteDockerArchive(s_image, ArchivePath("verify-docker.tar")),
        })
        {
            var reports = Path.Combine(s_root, "reports-" + Path.GetFileNameWithoutExtension(archive));
            var result = Tool("verify", archive, "--policy", Path.Combine(s_root, "policy.yaml"), "--command-tests", "false", "--report-directory", reports, "--json");
            Assert.AreEqual(0, result.ExitCode, result.Output);
            using var doc = JsonDocument.Parse(result.Output);
            Assert.IsTrue(doc.RootElement.GetProperty("passed").GetBoolean());
            Assert.AreEqual(2, doc.RootElement.GetProperty("checks").GetArrayLength());
            StringAssert.Contains(File.ReadAllText(Path.Combine(reports, "bakery-verify-junit.xml")), "os-release marks the archive image");
        }

        File.WriteAllText(Path.Combine(s_root, "failing.yaml"), Policy.Replace("MARKER=archive", "MARKER=other"));
        var failing = Tool("verify", ArchivePath("verify-docker.tar"), "--policy", Path.Combine(s_root, "failing.yaml"), "--command-tests", "false");
        Assert.AreEqual(3, failing.ExitCode, failing.Output);
        StringAssert.Contains(failing.Output, "FAILED");
    }

    [TestMethod]
    public void Scan_of_an_archive_finds_what_the_scan_of_the_registry_image_finds()
    {
        var database = Path.Combine(s_root, "osv");
        var fromRegistry = Tool("scan", s_pushed.Reference, "--database", database, "--json");
        var archive = TestArchives.WriteOciLayout(s_image, ArchivePath("scan-layout.tar"));
        var reports = Path.Combine(s_root, "scan-reports");
        var fromArchive = Tool("scan", archive, "--database", database, "--json", "--report-directory", reports);
        Assert.AreEqual(3, fromRegistry.ExitCode, fromRegistry.Output);
        Assert.AreEqual(3, fromArchive.ExitCode, fromArchive.Output);
        static string Blocking(ProcessResult r)
        {
            using var doc = JsonDocument.Parse(r.Output);
            return doc.RootElement.GetProperty("blocking").ToString();
        }
        Assert.AreEqual(Blocking(fromRegistry), Blocking(fromArchive));
        StringAssert.Contains(Blocking(fromArchive), "DSA-9101");
        var report = File.ReadAllText(Path.Combine(reports, "bakery-scan.json"));
        StringAssert.Contains(report, "\"outcome\": \"failed\"");
        StringAssert.Contains(File.ReadAllText(Path.Combine(reports, "bakery-scan-junit.xml")), "DSA-9101");
    }

    [TestMethod]
    [DataRow("missing.tar", "does not exist")]
    [DataRow("corrupt-blob.tar", "the archive is corrupt")]
    [DataRow("missing-blob.tar", "is missing")]
    [DataRow("diff-id.tar", "but the config says")]
    [DataRow("traversal.tar", "..")]
    [DataRow("not-an-image.tar", "neither index.json")]
    [DataRow("bad-json.tar", "malformed")]
    public void An_unusable_archive_is_BAKE310_and_leaves_nothing_behind(string name, string expected)
    {
        var path = ArchivePath(name);
        switch (name)
        {
            case "corrupt-blob.tar":
                TestArchives.WriteOciLayout(s_image, path, (entry, bytes) => entry == $"blobs/sha256/{s_image.ConfigDigest.Hex}" ? [.. bytes, (byte)' '] : bytes);
                break;
            case "missing-blob.tar":
                TestArchives.WriteOciLayout(s_image, path, (entry, bytes) => entry.StartsWith("blobs/", StringComparison.Ordinal) && entry.EndsWith(Digest.Parse(s_image.Layers[0].Digest).Hex, StringComparison.Ordinal) ? null : bytes);
                break;
            case "diff-id.tar":
                TestArchives.WriteDockerArchive(s_image, path, tamper: (entry, bytes) => entry.EndsWith("layer.tar", StringComparison.Ordinal) ? [.. bytes, .. new byte[512]] : bytes);
                break;
            case "traversal.tar":
                File.WriteAllBytes(path, new RawTar().File("../../escape", "x").Build());
                break;
            case "not-an-image.tar":
                File.WriteAllBytes(path, new RawTar().File("readme.txt", "hello").Build());
                break;
            case "bad-json.tar":
                File.WriteAllBytes(path, new RawTar().File("manifest.json", "[{\"Config\": ").Build());
                break;
        }
        var before = Directory.GetDirectories(Path.GetTempPath(), "bakery-archive-*").Length;
        var result = Tool("scan", path);
        Assert.AreEqual(1, result.ExitCode, result.Output);
        StringAssert.Contains(result.Output, "BAKE310");
        StringAssert.Contains(result.Output, expected);
        Assert.AreEqual(before, Directory.GetDirectories(Path.GetTempPath(), "bakery-archive-*").Length, "the unpacked archive is removed");
    }

    [TestMethod]
    [RequiresDockerImage(RequiresDockerImageAttribute.RuntimeBase)]
    public async Task Command_tests_of_a_docker_save_archive_run_in_the_loaded_image()
    {
        var runtime = RequiresDockerImageAttribute.Image(RequiresDockerImageAttribute.RuntimeBase);
        var archive = ArchivePath("runtime-base.tar");
        using (var docker = RequiresDockerImageAttribute.CreateClient())
        {
            var at = runtime.IndexOf('@');
            await docker.Images.CreateImageAsync(new ImagesCreateParameters { FromImage = runtime[..at], Tag = runtime[(at + 1)..] }, null, new Progress<JSONMessage>());
            await using var saved = await docker.Images.SaveImageAsync(runtime);
            await using var file = File.Create(archive);
            await saved.CopyToAsync(file);
        }
        File.WriteAllText(Path.Combine(s_root, "commands.yaml"), """
            schemaVersion: 2.0.0
            commandTests:
              - name: dotnet runtime answers
                command: dotnet
                args: ["--list-runtimes"]
                expectedOutput: ['Microsoft\.NETCore\.App']
              - name: runs as app
                command: id
                args: ["-un"]
                expectedOutput: ['(?m)^app$'] # RE2 as in CST: without (?m), $ is the end of the text, after id's newline
            """);
        var result = Tool("verify", archive, "--policy", Path.Combine(s_root, "commands.yaml"), "--command-tests", "true", "--json");
        Assert.AreEqual(0, result.ExitCode, result.Output);
        using var doc = JsonDocument.Parse(result.Output[result.Output.IndexOf('{')..]);
        Assert.AreEqual(2, doc.RootElement.GetProperty("checks").EnumerateArray().Count(c => c.GetProperty("passed").GetBoolean() && !c.GetProperty("skipped").GetBoolean()));
    }
}
