using System.Formats.Tar;
using System.IO.Compression;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using Bakery.Oci.Model;

namespace Bakery.Tests.Infrastructure;

/// <summary>A corpus case as an image: its config (diff ids of the layers) and both archive formats.</summary>
internal static class CorpusImages
{
    /// <summary>The diff id of a blob, decompressed leniently (as a careless writer computed it); the blob's own digest when it does not decompress.</summary>
    public static string DiffId(byte[] blob)
    {
        try
        {
            Stream input = blob.Length >= 2 && blob[0] == 0x1f && blob[1] == 0x8b ? new GZipStream(new MemoryStream(blob), CompressionMode.Decompress)
                : blob.Length >= 4 && BitConverter.ToUInt32(blob, 0) == 0xFD2FB528 ? new ZstdSharp.DecompressionStream(new MemoryStream(blob))
                : new MemoryStream(blob);
            using (input) return "sha256:" + Convert.ToHexStringLower(SHA256.HashData(input));
        }
        catch (Exception e) when (e is InvalidDataException or ZstdSharp.ZstdException or EndOfStreamException)
        {
            return "sha256:" + Convert.ToHexStringLower(SHA256.HashData(blob));
        }
    }

    public static byte[] Config(IEnumerable<string> diffIds) => Encoding.UTF8.GetBytes(new JsonObject
    {
        ["architecture"] = "amd64",
        ["os"] = "linux",
        ["config"] = new JsonObject { ["User"] = "1000", ["Cmd"] = new JsonArray("/bin/true") },
        ["rootfs"] = new JsonObject { ["type"] = "layers", ["diff_ids"] = new JsonArray(diffIds.Select(d => (JsonNode)JsonValue.Create(d)!).ToArray()) },
    }.ToJsonString());

    public static string WriteOciLayout(CorpusCase c, string path)
    {
        var config = Config(c.Layers.Select(l => DiffId(l.Blob)));
        var configDigest = Digest.Compute(config);
        var manifest = new ImageManifest
        {
            MediaType = MediaTypes.OciManifest,
            Config = new OciDescriptor { MediaType = MediaTypes.OciConfig, Digest = configDigest.ToString(), Size = config.Length },
            Layers = c.Layers.Select(l => new OciDescriptor { MediaType = l.MediaType, Digest = Digest.Compute(l.Blob).ToString(), Size = l.Blob.Length }).ToList(),
        }.ToBytes();
        var manifestDigest = Digest.Compute(manifest);
        var index = new JsonObject
        {
            ["schemaVersion"] = 2,
            ["mediaType"] = MediaTypes.OciIndex,
            ["manifests"] = new JsonArray(new JsonObject
            {
                ["mediaType"] = MediaTypes.OciManifest, ["digest"] = manifestDigest.ToString(), ["size"] = manifest.Length,
                ["annotations"] = new JsonObject { ["org.opencontainers.image.ref.name"] = "corpus/case:1" },
            }),
        };
        var entries = new List<(string, byte[])>
        {
            ("oci-layout", Encoding.UTF8.GetBytes("{\"imageLayoutVersion\":\"1.0.0\"}")),
            ("index.json", Encoding.UTF8.GetBytes(index.ToJsonString())),
            ($"blobs/sha256/{manifestDigest.Hex}", manifest),
            ($"blobs/sha256/{configDigest.Hex}", config),
        };
        entries.AddRange(c.Layers.DistinctBy(l => Digest.Compute(l.Blob)).Select(l => ($"blobs/sha256/{Digest.Compute(l.Blob).Hex}", l.Blob)));
        Write(path, entries);
        return path;
    }

    /// <summary>A `docker save` archive: each blob as it is (docker loads plain or compressed layer.tar files alike).</summary>
    public static string WriteDockerArchive(CorpusCase c, string path, string tag = "corpus/case:1")
    {
        var config = Config(c.Layers.Select(l => DiffId(l.Blob)));
        var configName = Digest.Compute(config).Hex + ".json";
        var layers = c.Layers.Select((l, i) => ($"{i:D3}/layer.tar", l.Blob)).ToList();
        var manifest = new JsonArray(new JsonObject
        {
            ["Config"] = configName,
            ["RepoTags"] = new JsonArray(tag),
            ["Layers"] = new JsonArray(layers.Select(l => (JsonNode)JsonValue.Create(l.Item1)!).ToArray()),
        });
        Write(path, [("manifest.json", Encoding.UTF8.GetBytes(manifest.ToJsonString())), (configName, config), .. layers]);
        return path;
    }

    private static void Write(string path, List<(string Name, byte[] Content)> entries)
    {
        using var file = File.Create(path);
        using var tar = new TarWriter(file, TarEntryFormat.Pax);
        foreach (var (name, content) in entries)
            tar.WriteEntry(new PaxTarEntry(TarEntryType.RegularFile, name) { DataStream = new MemoryStream(content), Mode = UnixFileMode.UserRead | UnixFileMode.UserWrite });
    }
}
