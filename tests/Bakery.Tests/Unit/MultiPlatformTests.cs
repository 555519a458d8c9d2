using Bakery.Core;
using Bakery.Core.Baking;
using Bakery.Core.Containers;
using Bakery.Core.Descriptors;
using Bakery.Core.Lifecycle;
using Bakery.Oci.Layers;
using Bakery.Oci.Model;

namespace Bakery.Tests.Unit;

/// <summary>
/// Multi-platform logic without I/O: platform lists (BakeryPlatforms, ContainerRuntimeIdentifiers,
/// Platform metadata), which steps each platform gets, the index writer, emulation checks against a
/// binfmt_misc folder, and descriptors that pin an index.
/// </summary>
[TestClass]
public sealed class MultiPlatformTests
{
    private static readonly Platform Amd64 = Platform.LinuxAmd64;
    private static readonly Platform Arm64 = new() { Os = "linux", Architecture = "arm64" };

    [TestMethod]
    [DataRow("linux/amd64;linux/arm64", "linux/amd64,linux/arm64")]
    [DataRow("linux-x64;linux-arm64", "linux/amd64,linux/arm64")]
    [DataRow(" linux/arm/v7 , linux-x64 ", "linux/arm/v7,linux/amd64")]
    [DataRow("linux-musl-arm64", "linux/arm64")]
    public void Platform_lists_take_platforms_and_runtime_identifiers(string text, string expected) =>
        Assert.AreEqual(expected, string.Join(",", PlatformList.Parse("BakeryPlatforms", text)));

    [TestMethod]
    [DataRow("linux/amd64;linux-x64", "named twice")]
    [DataRow("linux/amd64;osx-arm64", "'osx-arm64'")]
    [DataRow("amd64", "'amd64'")]
    [DataRow("linux//arm64", "'linux//arm64'")]
    public void A_list_with_an_unknown_or_repeated_entry_is_BAKE211_naming_the_property(string text, string problem)
    {
        var error = Assert.ThrowsExactly<BakeryException>(() => PlatformList.Parse("ContainerRuntimeIdentifiers", text));
        Assert.AreEqual("BAKE211", error.Code);
        StringAssert.Contains(error.Message, "ContainerRuntimeIdentifiers");
        StringAssert.Contains(error.Message, problem);
    }

    [TestMethod]
    public void Platform_metadata_that_names_no_platform_is_BAKE213()
    {
        Assert.IsNull(StepPlatforms.FromMetadata("BakeryLayer 'x'", " "));
        var error = Assert.ThrowsExactly<BakeryException>(() => StepPlatforms.FromMetadata("BakeryLayer 'runtime/'", "arm64"));
        Assert.AreEqual("BAKE213", error.Code);
        StringAssert.Contains(error.Message, "BakeryLayer 'runtime/'");
        Assert.AreEqual("BAKE213", Assert.ThrowsExactly<BakeryException>(() => StepPlatforms.FromMetadata("BakeryRun 'r'", ";")).Code);
    }

    [TestMethod]
    public void Each_platform_gets_the_sources_and_runs_meant_for_it_in_order()
    {
        LocalLayerSource Source(string path, params Platform[] platforms) =>
            new(new LayerSource(path, "/usr/share/dotnet/"), null, platforms.Length == 0 ? null : platforms);
        var runtime = new LocalLayer("dotnet-runtime", [Source("/x64/shared", Amd64), Source("/arm64/shared", Arm64)]);
        var conventions = new LocalLayer("conventions", [Source("/conventions")]);
        var armOnly = new LocalLayer("arm-tools", [Source("/arm-tools", Arm64)]);
        var everywhere = new RunStep("useradd app", null, TimeSpan.FromMinutes(1), "create-user", null);
        var amdRun = new RunStep("echo amd", null, TimeSpan.FromMinutes(1), "amd-only", null, [Amd64]);
        IReadOnlyList<IBakeStep> steps = [runtime, conventions, armOnly, everywhere, amdRun];

        var amd = StepPlatforms.For(steps, Amd64);
        Assert.AreEqual("dotnet-runtime conventions create-user amd-only", string.Join(" ", amd.Select(s => s.StepName)));
        Assert.AreEqual("/x64/shared", ((LocalLayer)amd[0]).Sources.Single().Source.SourcePath);
        var arm = StepPlatforms.For(steps, Arm64);
        Assert.AreEqual("dotnet-runtime conventions arm-tools create-user", string.Join(" ", arm.Select(s => s.StepName)));
        Assert.AreEqual("/arm64/shared", ((LocalLayer)arm[0]).Sources.Single().Source.SourcePath);
        Assert.AreSame(conventions, arm[1], "a layer for every platform is the same layer, so its digest is shared");
        CollectionAssert.AreEqual(new[] { Amd64, Arm64 }, StepPlatforms.Named(steps).ToArray());
    }

    [TestMethod]
    public void The_index_is_deterministic_and_a_Docker_list_only_for_Docker_manifests()
    {
        ImageIndex.Entry Entry(Platform p, string media, char hex) => new(p, media, Digest.Parse("sha256:" + new string(hex, 64)), 1234);
        var oci = ImageIndex.Write([Entry(Amd64, MediaTypes.OciManifest, 'a'), Entry(Arm64, MediaTypes.OciManifest, 'b')]);
        var again = ImageIndex.Write([Entry(Amd64, MediaTypes.OciManifest, 'a'), Entry(Arm64, MediaTypes.OciManifest, 'b')]);
        Assert.AreEqual(oci.Digest, again.Digest);
        CollectionAssert.AreEqual(oci.Bytes, again.Bytes);
        Assert.AreEqual(MediaTypes.OciIndex, oci.MediaType);
        var parsed = ImageManifest.Parse(oci.Bytes);
        Assert.AreEqual("sha256:" + new string('b', 64), parsed.ManifestFor(Arm64)!.Digest);
        CollectionAssert.AreEqual(new[] { Amd64, Arm64 }, parsed.Platforms.ToArray());

        var docker = ImageIndex.Write([Entry(Amd64, MediaTypes.DockerManifest, 'a'), Entry(Arm64, MediaTypes.DockerManifest, 'b')]);
        Assert.AreEqual(MediaTypes.DockerManifestList, docker.MediaType);
        Assert.AreNotEqual(oci.Digest, docker.Digest);
        Assert.ThrowsExactly<ArgumentException>(() => ImageIndex.Write([Entry(Arm64, MediaTypes.OciManifest, 'a'), Entry(Arm64, MediaTypes.OciManifest, 'b')]));
        Assert.ThrowsExactly<ArgumentException>(() => ImageIndex.Write([]));
    }

    private static readonly ContainerEndpoint LocalEngine = new(new Uri("unix:///var/run/docker.sock"), ContainerEngineKind.Docker, "test");

    private static string Binfmt(string? status = "enabled", string? handler = null, string name = "qemu-aarch64")
    {
        var folder = Path.Combine(Path.GetTempPath(), "bakery-binfmt-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(folder);
        if (status is not null) File.WriteAllText(Path.Combine(folder, "status"), status + "\n");
        if (handler is not null) File.WriteAllText(Path.Combine(folder, name), handler);
        return folder;
    }

    private const string QemuHandler = "enabled\ninterpreter /usr/libexec/qemu-binfmt/aarch64-binfmt-P\nflags: POCF\noffset 0\nmagic 7f454c46\n";

    [TestMethod]
    public void Emulation_is_there_when_a_handler_with_the_F_flag_is_registered()
    {
        var folder = Binfmt(handler: QemuHandler);
        try
        {
            Assert.IsNull(PlatformEmulation.Problem(Arm64, Amd64, LocalEngine, folder));
            Assert.IsNull(PlatformEmulation.Problem(Amd64, Amd64, LocalEngine, folder), "native");
            Assert.IsNull(PlatformEmulation.Problem(new Platform { Os = "linux", Architecture = "386" }, Amd64, LocalEngine, folder), "386 runs on amd64 CPUs");
            Assert.IsNull(PlatformEmulation.Problem(Arm64, new Platform { Os = "linux", Architecture = "aarch64" }, LocalEngine, folder), "kernel names are normalised");
            Assert.IsNull(PlatformEmulation.Problem(Arm64, Amd64, LocalEngine with { Uri = new Uri("tcp://127.0.0.1:2375") }, folder), "a remote engine's kernel is not ours to check");
        }
        finally { Directory.Delete(folder, true); }
    }

    [TestMethod]
    public void Each_missing_piece_of_emulation_is_named()
    {
        string Problem(string folder) { try { return PlatformEmulation.Problem(Arm64, Amd64, LocalEngine, folder) ?? "(none)"; } finally { Directory.Delete(folder, true); } }
        StringAssert.Contains(Problem(Binfmt(status: null)), "not mounted");
        StringAssert.Contains(Problem(Binfmt(status: "disabled")), "binfmt_misc is disabled");
        StringAssert.Contains(Problem(Binfmt()), "no binfmt_misc handler for aarch64");
        StringAssert.Contains(Problem(Binfmt(handler: QemuHandler.Replace("enabled", "disabled"))), "is disabled");
        StringAssert.Contains(Problem(Binfmt(handler: QemuHandler.Replace("POCF", "OC"))), "F (fix binary) flag");
        Assert.AreEqual("(none)", Problem(Binfmt(handler: QemuHandler, name: "qemu-aarch64-static")));
        var sparc = PlatformEmulation.Problem(new Platform { Os = "linux", Architecture = "sparc64" }, Amd64, LocalEngine, "/nonexistent");
        StringAssert.Contains(sparc, "no emulator is known for the architecture 'sparc64'");
        Assert.IsTrue(PlatformEmulation.IsExecFormatError("exec /bin/sh: exec format error"));
    }

    private const string D1 = "sha256:1111111111111111111111111111111111111111111111111111111111111111";
    private const string D2 = "sha256:2222222222222222222222222222222222222222222222222222222222222222";
    private const string D3 = "sha256:3333333333333333333333333333333333333333333333333333333333333333";
    private const string Up = "sha256:4444444444444444444444444444444444444444444444444444444444444444";
    private const string UpArm = "sha256:5555555555555555555555555555555555555555555555555555555555555555";
    private const string UpIndex = "sha256:6666666666666666666666666666666666666666666666666666666666666666";

    private static BaseImageDescriptor IndexDescriptor() => DescriptorReader.Parse($$"""
        {
          "schemaVersion": 1,
          "id": "Contoso.BaseImages.Runtime",
          "version": "10.0.3",
          "image": {
            "registry": "localhost:5000", "repository": "contoso/runtime-base", "digest": "{{D1}}",
            "mediaType": "application/vnd.oci.image.index.v1+json",
            "platforms": [
              { "platform": "linux/amd64", "digest": "{{D2}}", "size": 900, "lineage": [ { "repository": "localhost:5000/upstream/debian", "digest": "{{Up}}", "index": "{{UpIndex}}" } ] },
              { "platform": "linux/arm64", "digest": "{{D3}}", "size": 901, "lineage": [ { "repository": "localhost:5000/upstream/debian", "digest": "{{UpArm}}", "index": "{{UpIndex}}" } ] }
            ]
          },
          "lifecycle": { "published": "2026-01-01", "expiresOn": "2027-01-01" },
          "lineage": [ { "repository": "localhost:5000/upstream/debian", "digest": "{{UpIndex}}" } ]
        }
        """, "image.json", "Contoso.BaseImages.Runtime 10.0.3");

    [TestMethod]
    public void A_descriptor_that_pins_an_index_names_each_platform_image_and_its_lineage()
    {
        var d = IndexDescriptor();
        Assert.IsTrue(d.IsIndex);
        CollectionAssert.AreEqual(new[] { Amd64, Arm64 }, d.Platforms.ToArray());
        Assert.AreEqual(D3, d.PlatformImage(Arm64)!.Digest);
        Assert.IsNull(d.PlatformImage(new Platform { Os = "linux", Architecture = "s390x" }));
        Assert.AreEqual(UpArm, d.LineageFor(Arm64).Single().Digest);
        CollectionAssert.IsSubsetOf(new[] { Up, UpArm, UpIndex }, d.AncestryDigests.ToArray());

        var single = DescriptorReader.Parse($$"""{"schemaVersion":1,"id":"Old","version":"1.0.0","image":{"registry":"localhost:5000","repository":"old","digest":"{{D1}}"},"lifecycle":{"published":"2026-01-01" } }""", "image.json", "Old 1.0.0");
        Assert.IsFalse(single.IsIndex, "an old single-platform package");
        CollectionAssert.AreEqual(new[] { Amd64 }, single.Platforms.ToArray());
    }

    [TestMethod]
    public void Lifecycle_subjects_are_the_index_then_each_platform_image_with_each_ancestor_index_and_image()
    {
        var d = IndexDescriptor();
        var selection = new BaseImageSelection(Oci.Model.ImageReference.Parse(d.PinnedReference), d, false);
        var all = RegistryLifecycle.SubjectsOf(selection).Select(s => s.Image.Digest!.ToString()).ToList();
        CollectionAssert.IsSubsetOf(new[] { D1, D2, D3, UpIndex, Up, UpArm }, all);
        Assert.AreEqual(D1, all[0], "the index first: its records apply to every platform");
        Assert.AreEqual(all.Count, all.Distinct().Count(), "each digest is checked once");

        var arm = RegistryLifecycle.SubjectsOf(selection, [Arm64]).Select(s => s.Image.Digest!.ToString()).ToList();
        CollectionAssert.Contains(arm, D3);
        CollectionAssert.Contains(arm, UpArm);
        CollectionAssert.DoesNotContain(arm, D2, "a record on the amd64 image does not concern an arm64-only bake");
        CollectionAssert.DoesNotContain(arm, Up);
    }

    private static BakeInputs Inputs(string root, params BakeItem[] publishes) => new()
    {
        ProjectFile = Path.Combine(root, "app.csproj"),
        BaseImageReference = "localhost:5000/base@sha256:" + new string('a', 64),
        Repository = "app",
        Version = "1.0.0",
        RuntimePublishes = publishes,
        IntermediateDirectory = Path.Combine(root, "obj"),
        ReportDirectory = Path.Combine(root, "obj"),
    };

    [TestMethod]
    public void ContainerRuntimeIdentifiers_give_one_target_per_RID_publish_and_a_missing_publish_is_BAKE214()
    {
        var root = Path.Combine(Path.GetTempPath(), "bakery-rids-" + Guid.NewGuid().ToString("N"));
        var x64 = Directory.CreateDirectory(Path.Combine(root, "x64")).FullName;
        var arm = Directory.CreateDirectory(Path.Combine(root, "arm64")).FullName;
        try
        {
            BakeItem Publish(string rid, string dir) => new(dir, new Dictionary<string, string> { ["FullPath"] = dir, ["RuntimeIdentifier"] = rid });
            var request = BakeRequestFactory.Create(Inputs(root, Publish("linux-x64", x64), Publish("linux-arm64", arm)), _ => null).Request;
            Assert.IsNull(request.Platform, "no single platform: one image per RID");
            Assert.AreEqual("linux/amd64 linux/arm64", string.Join(" ", request.Platforms!.Select(t => t.Platform)));
            Assert.AreEqual(arm, request.Platforms![1].AppDirectory);
            Assert.AreEqual(arm, request.ForPlatform(request.Platforms[1]).AppDirectory, "each platform's image takes its RID's publish");

            var missing = Path.Combine(root, "never-published");
            var error = Assert.ThrowsExactly<BakeryException>(() => BakeRequestFactory.Create(Inputs(root, Publish("linux-x64", x64), Publish("linux-arm64", missing)), _ => null));
            Assert.AreEqual("BAKE214", error.Code);
            StringAssert.Contains(error.Message, "linux-arm64");
            Assert.AreEqual("BAKE211", Assert.ThrowsExactly<BakeryException>(() =>
                BakeRequestFactory.Create(Inputs(root, Publish("linux-x64", x64), Publish("linux-x64", arm)), _ => null)).Code, "a RID named twice");
        }
        finally { Directory.Delete(root, true); }
    }
}
