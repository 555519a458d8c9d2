using System.Formats.Tar;
using System.Text;
using Bakery.Oci.Archives;
using Bakery.Oci.Layers;
using Bakery.Oci.Model;

namespace Bakery.Tests.Unit;

/// <summary>
/// The archives a bake writes (ContainerArchiveOutputPath) and `bakery push` reads: deterministic
/// bytes, each blob once, an OCI layout that keeps the manifest's digest and carries docker's
/// manifest.json too, and both read back by <see cref="ImageArchive.OpenContent"/> digest-checked.
/// </summary>
[TestClass]
public sealed class ImageArchiveWriterTests
{
    private static readonly DateTimeOffset Created = DateTimeOffset.UnixEpoch;

    private sealed record Image(ArchiveBlob Config, ArchiveBlob Layer, byte[] Manifest, Digest ManifestDigest);

    private static Image Make(string root)
    {
        var app = Path.Combine(root, "app");
        Directory.CreateDirectory(app);
        File.WriteAllText(Path.Combine(app, "hello.txt"), "hello from an archive\n");
        var layer = new DeterministicLayerWriter(Path.Combine(root, "blobs"), new LayerOptions()).Write([new LayerSource(app, "/app")]);
        var config = Encoding.UTF8.GetBytes("""{"architecture":"amd64","os":"linux","config":{"Cmd":["/bin/true"]},"rootfs":{"type":"layers","diff_ids":["""
            + $"\"{layer.DiffId}\",\"{layer.DiffId}\"" + "]}}");
        var configBlob = ArchiveBlob.FromBytes(config);
        var manifest = new ImageManifest
        {
            SchemaVersion = 2,
            MediaType = MediaTypes.OciManifest,
            Config = new OciDescriptor { MediaType = MediaTypes.OciConfig, Digest = configBlob.Digest.ToString(), Size = config.Length },
            // The same layer twice (an image may repeat one): the archive still holds its bytes once.
            Layers = [.. Enumerable.Repeat(new OciDescriptor { MediaType = MediaTypes.OciLayerGzip, Digest = layer.Digest.ToString(), Size = layer.Size }, 2)],
        }.ToBytes();
        return new Image(configBlob, ArchiveBlob.FromFile(layer.Path, layer.Digest), manifest, Digest.Compute(manifest));
    }

    private static byte[] Docker(Image image) => Write(s => ImageArchiveWriter.WriteDocker(s,
        [new DockerArchiveImage(image.Config, [image.Layer, image.Layer], ["tests/archive:1.0.0", "tests/archive:1.0.0-build.1"])], Created));

    private static byte[] Oci(Image image) => Write(s => ImageArchiveWriter.WriteOci(s,
        [(new OciDescriptor { MediaType = MediaTypes.OciManifest, Digest = image.ManifestDigest.ToString(), Size = image.Manifest.Length }, "1.0.0")],
        [image.Layer, image.Config, ArchiveBlob.FromBytes(image.Manifest)], Created,
        [new DockerArchiveImage(image.Config, [image.Layer, image.Layer], ["tests/archive:1.0.0"])]));

    private static byte[] Write(Action<Stream> write)
    {
        using var stream = new MemoryStream();
        write(stream);
        return stream.ToArray();
    }

    private static List<string> Names(byte[] archive)
    {
        using var tar = new TarReader(new MemoryStream(archive));
        var names = new List<string>();
        while (tar.GetNextEntry() is { } entry) names.Add(entry.Name);
        return names;
    }

    [TestMethod]
    public void Both_formats_are_deterministic_write_each_blob_once_and_read_back_digest_checked()
    {
        var root = Infrastructure.TestPaths.NewTempDirectory("archive-writer");
        try
        {
            var image = Make(root);
            var docker = Docker(image);
            CollectionAssert.AreEqual(docker, Docker(image), "the same image gives the same archive bytes");
            var dockerNames = Names(docker);
            Assert.AreEqual(1, dockerNames.Count(n => n == ImageArchiveWriter.BlobName(image.Layer.Digest)), "a layer named twice is written once");
            Assert.AreEqual("manifest.json", dockerNames[^1]);

            var oci = Oci(image);
            CollectionAssert.AreEqual(oci, Oci(image));
            var ociNames = Names(oci);
            Assert.AreEqual(1, ociNames.Count(n => n == ImageArchiveWriter.BlobName(image.Layer.Digest)));
            CollectionAssert.IsSubsetOf(new[] { "oci-layout", "index.json", "manifest.json", ImageArchiveWriter.BlobName(image.ManifestDigest) }, ociNames,
                "an OCI layout with docker's manifest.json beside it, as docker 25 saves");

            File.WriteAllBytes(Path.Combine(root, "docker.tar"), docker);
            File.WriteAllBytes(Path.Combine(root, "oci.tar"), oci);
            var ociContent = ImageArchive.OpenContent(Path.Combine(root, "oci.tar"), Path.Combine(root, "work-oci"));
            Assert.AreEqual(ImageArchiveFormat.Oci, ociContent.Format, "index.json wins over manifest.json");
            Assert.AreEqual(image.ManifestDigest, ociContent.Root.Digest, "the manifest the bake made is kept");
            CollectionAssert.Contains(ociContent.Tags.ToArray(), "1.0.0");
            var dockerContent = ImageArchive.OpenContent(Path.Combine(root, "docker.tar"), Path.Combine(root, "work-docker"));
            Assert.AreEqual(ImageArchiveFormat.Docker, dockerContent.Format);
            Assert.AreEqual("tests/archive", dockerContent.Repository);
            CollectionAssert.AreEquivalent(new[] { "1.0.0", "1.0.0-build.1" }, dockerContent.Tags.ToArray());
            Assert.IsTrue(dockerContent.Blobs.ContainsKey(image.Layer.Digest) && dockerContent.Blobs.ContainsKey(image.Config.Digest));

            var corrupt = (byte[])oci.Clone();
            var at = FindBytes(corrupt, "\"amd64\""u8.ToArray()); // in the config blob, stored as it is
            Assert.IsGreaterThan(0, at);
            corrupt[at + 1] = (byte)'x';
            File.WriteAllBytes(Path.Combine(root, "corrupt.tar"), corrupt);
            Assert.ThrowsExactly<ImageArchiveException>(() => ImageArchive.OpenContent(Path.Combine(root, "corrupt.tar"), Path.Combine(root, "work-corrupt")));
            Assert.IsFalse(Directory.Exists(Path.Combine(root, "work-corrupt")), "nothing is left of a refused archive");
        }
        finally { Directory.Delete(root, recursive: true); }
    }

    private static int FindBytes(byte[] haystack, byte[] needle)
    {
        for (var i = 0; i <= haystack.Length - needle.Length; i++)
            if (haystack.AsSpan(i, needle.Length).SequenceEqual(needle)) return i;
        return -1;
    }
}
