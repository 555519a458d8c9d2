using System.Formats.Tar;
using System.IO.Compression;
using System.Text;
using System.Text.Json.Nodes;
using Bakery.Oci.Archives;
using Bakery.Oci.Model;

namespace Bakery.Tests.Infrastructure;

/// <summary>Writes an image (as the downloader fetched it) in the two archive formats tools save images in.</summary>
internal static class TestArchives
{
    // tamper (entry name, content) returns the bytes to write instead, or null to leave the entry out.

    /// <summary>An OCI image layout tar: oci-layout, index.json, blobs/sha256/… (gzip layers as in the registry).</summary>
    public static string WriteOciLayout(LocalImage image, string path, Func<string, byte[], byte[]?>? tamper = null, string prefix = "")
    {
        var manifest = new ImageManifest
        {
            MediaType = MediaTypes.OciManifest,
            Config = new OciDescriptor { MediaType = MediaTypes.OciConfig, Digest = image.ConfigDigest.ToString(), Size = image.ConfigBytes.Length },
            Layers = image.Layers.Select(l => new OciDescriptor { MediaType = MediaTypes.OciLayerGzip, Digest = l.Digest, Size = new FileInfo(l.Path).Length }).ToList(),
        };
        var manifestBytes = manifest.ToBytes();
        var manifestDigest = Digest.Compute(manifestBytes);
        var index = new JsonObject
        {
            ["schemaVersion"] = 2,
            ["mediaType"] = MediaTypes.OciIndex,
            ["manifests"] = new JsonArray(new JsonObject
            {
                ["mediaType"] = MediaTypes.OciManifest, ["digest"] = manifestDigest.ToString(), ["size"] = manifestBytes.Length,
                ["annotations"] = new JsonObject { ["org.opencontainers.image.ref.name"] = "archive/test:1.0" },
            }),
        };
        var entries = new List<(string, byte[])>
        {
            ("oci-layout", Encoding.UTF8.GetBytes("{\"imageLayoutVersion\":\"1.0.0\"}")),
            ("index.json", Encoding.UTF8.GetBytes(index.ToJsonString())),
            ($"blobs/sha256/{manifestDigest.Hex}", manifestBytes),
            ($"blobs/sha256/{image.ConfigDigest.Hex}", image.ConfigBytes),
        };
        entries.AddRange(image.Layers.Select(l => ($"blobs/sha256/{Digest.Parse(l.Digest).Hex}", File.ReadAllBytes(l.Path))));
        Write(path, entries.Select(e => (prefix + e.Item1, e.Item2)).ToList(), gzip: false, tamper);
        return path;
    }

    /// <summary>A `docker save` tar (manifest.json, uncompressed layer.tar files), gzip-compressed when asked.</summary>
    public static string WriteDockerArchive(LocalImage image, string path, bool gzip = false, Func<string, byte[], byte[]?>? tamper = null)
    {
        var layers = image.Layers.Select((l, i) => ($"{i:D2}/layer.tar", Gunzip(File.ReadAllBytes(l.Path)))).ToList();
        var manifest = new JsonArray(new JsonObject
        {
            ["Config"] = $"{image.ConfigDigest.Hex}.json",
            ["RepoTags"] = new JsonArray("archive/test:1.0"),
            ["Layers"] = new JsonArray(layers.Select(l => (JsonNode)JsonValue.Create(l.Item1)!).ToArray()),
        });
        var entries = new List<(string, byte[])>
        {
            ("manifest.json", Encoding.UTF8.GetBytes(manifest.ToJsonString())),
            ($"{image.ConfigDigest.Hex}.json", image.ConfigBytes),
        };
        entries.AddRange(layers);
        Write(path, entries, gzip, tamper);
        return path;
    }

    private static void Write(string path, List<(string Name, byte[] Content)> entries, bool gzip, Func<string, byte[], byte[]?>? tamper)
    {
        using var file = File.Create(path);
        using Stream output = gzip ? new GZipStream(file, CompressionLevel.Fastest) : file;
        using var tar = new TarWriter(output, TarEntryFormat.Pax);
        foreach (var (name, content) in entries)
        {
            var bytes = tamper is null ? content : tamper(name, content);
            if (bytes is null) continue; // the tamperer dropped this entry
            tar.WriteEntry(new PaxTarEntry(TarEntryType.RegularFile, name) { DataStream = new MemoryStream(bytes), Mode = UnixFileMode.UserRead | UnixFileMode.UserWrite });
        }
    }

    private static byte[] Gunzip(byte[] gzip)
    {
        using var input = new GZipStream(new MemoryStream(gzip), CompressionMode.Decompress);
        using var output = new MemoryStream();
        input.CopyTo(output);
        return output.ToArray();
    }
}
