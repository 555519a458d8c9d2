using System.Text;
using Bakery.Oci.Model;
using Bakery.Oci.Registry;
using Bakery.Tests.Infrastructure;

namespace Bakery.Tests.Unit;

/// <summary>What is built on the registry API, tested against it in memory: one image fetch, referrer artifacts.</summary>
[TestClass]
public sealed class RegistryOperationsTests
{
    private static readonly Platform Amd64 = new() { Os = "linux", Architecture = "amd64" };
    private static readonly Platform Arm64 = new() { Os = "linux", Architecture = "arm64", Variant = "v8" };

    /// <summary>An image manifest with a config and one layer in the registry; returns its descriptor.</summary>
    private static OciDescriptor AddImage(InMemoryRegistry registry, string repository, string arch, string mediaType = MediaTypes.OciManifest)
    {
        var layerBytes = Encoding.UTF8.GetBytes("layer of " + arch);
        var layer = registry.AddBlob(repository, layerBytes);
        var config = Encoding.UTF8.GetBytes($$$"""{"architecture":"{{{arch}}}","os":"linux","rootfs":{"type":"layers","diff_ids":["{{{layer}}}"]}}""");
        var configDigest = registry.AddBlob(repository, config);
        var manifest = new ImageManifest
        {
            MediaType = mediaType,
            Config = new OciDescriptor { MediaType = MediaTypes.ConfigFor(mediaType), Digest = configDigest.ToString(), Size = config.Length },
            Layers = [new OciDescriptor { MediaType = MediaTypes.LayerFor(mediaType), Digest = layer.ToString(), Size = layerBytes.Length }],
        };
        var digest = registry.AddManifest(repository, manifest, mediaType, arch);
        return new OciDescriptor { MediaType = mediaType, Digest = digest.ToString(), Size = manifest.ToBytes().Length };
    }

    private static Digest AddIndex(InMemoryRegistry registry, string repository, string tag, params (OciDescriptor Image, Platform Platform)[] entries) =>
        registry.AddManifest(repository, new ImageManifest
        {
            MediaType = MediaTypes.OciIndex,
            Manifests = entries.Select(e => e.Image with { Platform = e.Platform }).ToList(),
        }, MediaTypes.OciIndex, tag);

    [TestMethod]
    public async Task An_index_resolves_to_the_platform_image_with_its_config()
    {
        var registry = new InMemoryRegistry();
        var amd = AddImage(registry, "base/runtime", "amd64");
        var arm = AddImage(registry, "base/runtime", "arm64");
        var index = AddIndex(registry, "base/runtime", "10.0", (amd, Amd64), (arm, Arm64));

        var image = await registry.GetImageAsync("base/runtime", "10.0", new Platform { Os = "linux", Architecture = "arm64" });

        Assert.AreEqual(index, image.Index!.Digest);
        Assert.AreEqual(index, image.ReferenceDigest);
        Assert.AreEqual(arm.Digest, image.Digest.ToString());
        StringAssert.Contains(Encoding.UTF8.GetString(image.Config), "\"arm64\"");
        Assert.AreEqual(Arm64, image.Platform);
        Assert.HasCount(1, image.Layers);
        Assert.AreEqual(MediaTypes.OciManifest, image.MediaType);
    }

    [TestMethod]
    public async Task A_plain_manifest_has_no_index_and_an_only_image_needs_no_platform()
    {
        var registry = new InMemoryRegistry();
        var amd = AddImage(registry, "base/runtime", "amd64", MediaTypes.DockerManifest);
        var plain = await registry.GetImageAsync("base/runtime", amd.Digest);
        Assert.IsNull(plain.Index);
        Assert.AreEqual(MediaTypes.DockerManifest, plain.MediaType);

        AddIndex(registry, "base/runtime", "single", (amd, Amd64));
        var only = await registry.GetImageAsync("base/runtime", "single");
        Assert.AreEqual(amd.Digest, only.Digest.ToString());
        Assert.AreEqual(Amd64, only.Platform);
    }

    [TestMethod]
    public async Task A_missing_platform_lists_what_the_index_has()
    {
        var registry = new InMemoryRegistry();
        var amd = AddImage(registry, "base/runtime", "amd64");
        var arm = AddImage(registry, "base/runtime", "arm64");
        AddIndex(registry, "base/runtime", "10.0", (amd, Amd64), (arm, Arm64));

        var missing = await Assert.ThrowsExactlyAsync<RegistryException>(() => registry.GetImageAsync("base/runtime", "10.0", new Platform { Os = "linux", Architecture = "s390x" }));
        Assert.AreEqual(RegistryFailure.NoMatchingPlatform, missing.Failure);
        StringAssert.Contains(missing.Message, "linux/amd64, linux/arm64/v8");
        var ambiguous = await Assert.ThrowsExactlyAsync<RegistryException>(() => registry.GetImageAsync("base/runtime", "10.0"));
        StringAssert.Contains(ambiguous.Message, "say which platform");
    }

    [TestMethod]
    public async Task An_artifact_is_not_an_image_and_a_tampered_child_manifest_is_refused()
    {
        var registry = new InMemoryRegistry();
        var empty = registry.AddBlob("base/runtime", "{}"u8.ToArray());
        registry.AddManifest("base/runtime", new ImageManifest
        {
            MediaType = MediaTypes.OciManifest,
            ArtifactType = "application/example",
            Config = new OciDescriptor { MediaType = MediaTypes.OciEmpty, Digest = empty.ToString(), Size = 2 },
        }, MediaTypes.OciManifest, "artifact");
        Assert.AreEqual(RegistryFailure.NotAnImage,
            (await Assert.ThrowsExactlyAsync<RegistryException>(() => registry.GetImageAsync("base/runtime", "artifact"))).Failure);

        var amd = AddImage(registry, "base/runtime", "amd64");
        AddIndex(registry, "base/runtime", "10.0", (amd, Amd64));
        registry.Tampered[amd.Digest] = Encoding.UTF8.GetBytes("{\"schemaVersion\":2}");
        Assert.AreEqual(RegistryFailure.DigestMismatch,
            (await Assert.ThrowsExactlyAsync<RegistryException>(() => registry.GetImageAsync("base/runtime", "10.0", Amd64))).Failure);
    }

    [TestMethod]
    public async Task An_artifact_pushed_again_uploads_nothing_and_the_fallback_index_keeps_every_artifact_once()
    {
        var registry = new InMemoryRegistry();
        var subject = AddImage(registry, "team/app", "amd64");
        var artifacts = new ReferrerArtifacts(registry);
        var sbom = new ReferrerArtifact("application/vnd.cyclonedx+json")
        {
            Blobs = [ArtifactBlob.FromBytes("{\"bomFormat\":\"CycloneDX\"}"u8.ToArray(), "application/vnd.cyclonedx+json")],
            Annotations = new(StringComparer.Ordinal) { ["org.opencontainers.image.created"] = "2026-01-01T00:00:00Z" },
        };
        var record = new ReferrerArtifact("application/vnd.dev.bakery.lifecycle.v1+json")
        {
            Annotations = new(StringComparer.Ordinal) { ["dev.bakery.lifecycle.state"] = "deprecated" },
        };

        var first = await artifacts.PushAsync("team/app", subject, sbom);
        var puts = registry.ManifestPuts;
        var uploads = registry.BlobUploads;
        var again = await artifacts.PushAsync("team/app", subject, sbom);
        Assert.AreEqual(first, again);
        Assert.AreEqual(puts, registry.ManifestPuts, "nothing pushed twice");
        Assert.AreEqual(uploads, registry.BlobUploads);

        await artifacts.PushAsync("team/app", subject, record);
        var listed = await artifacts.ListAsync("team/app", subject.ParsedDigest);
        Assert.HasCount(2, listed);
        Assert.HasCount(1, await artifacts.ListAsync("team/app", subject.ParsedDigest, record.ArtifactType));
        CollectionAssert.Contains((await registry.ListTagsAsync("team/app")).ToList(), ReferrerArtifacts.FallbackTag(subject.ParsedDigest));

        var fetched = await artifacts.FetchAsync("team/app", listed.Single(d => d.ArtifactType == sbom.ArtifactType));
        Assert.AreEqual(subject.Digest, fetched.Manifest.Subject!.Digest);
        Assert.AreEqual("{\"bomFormat\":\"CycloneDX\"}", Encoding.UTF8.GetString(fetched.Blobs.Single().Content));
        Assert.IsEmpty((await artifacts.FetchAsync("team/app", listed.Single(d => d.ArtifactType == record.ArtifactType))).Blobs, "the empty blob is no content");
    }

    [TestMethod]
    public async Task A_fallback_index_served_as_plain_json_is_read_by_its_shape()
    {
        var registry = new InMemoryRegistry();
        var subject = AddImage(registry, "team/app", "amd64");
        var referrer = new OciDescriptor { MediaType = MediaTypes.OciManifest, Digest = subject.Digest, Size = 1, ArtifactType = "application/example" };
        registry.AddManifest("team/app", new ImageManifest { Manifests = [referrer] }, "application/json", ReferrerArtifacts.FallbackTag(subject.ParsedDigest));

        var artifacts = new ReferrerArtifacts(registry);
        Assert.AreEqual("application/example", (await artifacts.ListAsync("team/app", subject.ParsedDigest)).Single().ArtifactType);
    }

    [TestMethod]
    public async Task A_registry_that_tracks_subjects_gets_no_fallback_index()
    {
        var registry = new InMemoryRegistry { TracksSubjects = true };
        var subject = AddImage(registry, "team/app", "amd64");
        var artifacts = new ReferrerArtifacts(registry);
        var artifact = new ReferrerArtifact("application/example");
        var pushed = await artifacts.PushAsync("team/app", subject, artifact);
        await artifacts.PushAsync("team/app", subject, artifact);

        CollectionAssert.DoesNotContain((await registry.ListTagsAsync("team/app")).ToList(), ReferrerArtifacts.FallbackTag(subject.ParsedDigest));
        Assert.AreEqual(pushed.Digest, (await artifacts.ListAsync("team/app", subject.ParsedDigest)).Single().Digest);
    }

    [TestMethod]
    public void An_artifact_manifest_keeps_the_shape_earlier_versions_pushed()
    {
        var subject = new OciDescriptor { MediaType = MediaTypes.OciManifest, Digest = Digest.Compute("s"u8).ToString(), Size = 1 };
        var manifest = new ReferrerArtifact("application/example") { Annotations = new(StringComparer.Ordinal) { ["a"] = "b" } }.ToManifest(subject);
        // Same bytes as before the abstraction: a rebake after an upgrade finds its artifacts instead of pushing new ones.
        var expected = new ImageManifest
        {
            MediaType = MediaTypes.OciManifest,
            ArtifactType = "application/example",
            Config = RegistryClient.EmptyDescriptor,
            Layers = [RegistryClient.EmptyDescriptor],
            Subject = subject,
            Annotations = new SortedDictionary<string, string>(StringComparer.Ordinal) { ["a"] = "b" },
        };
        CollectionAssert.AreEqual(expected.ToBytes(), manifest.ToBytes());
        Assert.AreEqual("sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a", RegistryClient.EmptyDescriptor.Digest);
    }

    [TestMethod]
    public async Task The_downloader_fetches_each_layer_once_into_the_cache()
    {
        var registry = new InMemoryRegistry();
        var amd = AddImage(registry, "base/runtime", "amd64");
        var cache = TestPaths.NewTempDirectory("downloader");
        try
        {
            var reference = ImageReference.Parse($"{registry.Registry}/base/runtime@{amd.Digest}");
            var image = await ImageDownloader.DownloadAsync(registry, reference, cache);
            Assert.AreEqual(amd.Digest, image.ManifestDigest.ToString());
            Assert.AreEqual("layer of amd64", File.ReadAllText(image.Layers.Single().Path));
            registry.Calls.Clear();
            await ImageDownloader.DownloadAsync(registry, reference, cache);
            Assert.IsFalse(registry.Calls.Any(c => c.StartsWith("GET blob", StringComparison.Ordinal) && !c.Contains(image.ConfigDigest.Hex[..8])), string.Join("; ", registry.Calls));
        }
        finally
        {
            Directory.Delete(cache, recursive: true);
        }
    }
}
