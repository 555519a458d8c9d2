using System.Formats.Tar;
using System.IO.Compression;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;

namespace Bakery.Bench;

/// <summary>
/// A generated image of about the given size as an OCI image layout tar, written as a stream (no
/// content is ever held in memory): a base layer of many small files with a dpkg status database, a
/// layer of a few large files, and an app layer whose *.deps.json is a third of the image. The
/// memory a verify or scan of it needs must not grow with any of them.
/// </summary>
internal static class BigImage
{
    public static (string Path, long UncompressedBytes, int Files) Create(string work, int megabytes)
    {
        Directory.CreateDirectory(work);
        var budget = (long)megabytes << 20;
        var random = new Random(7);
        var layers = new List<(string Path, string Digest, string DiffId, long Size)>();
        long total = 0;
        var files = 0;

        layers.Add(Layer(work, "base", tar =>
        {
            var status = new StringBuilder();
            for (var i = 0; i < 800; i++)
                status.Append($"Package: pkg{i}\nStatus: install ok installed\nVersion: 1.{i}-1\nArchitecture: amd64\n\n");
            total += Add(tar, "var/lib/dpkg/status", Encoding.UTF8.GetBytes(status.ToString()));
            files++;
            var small = new byte[8192];
            for (long written = 0; written < budget * 20 / 100; files++)
            {
                var length = 512 + random.Next(7680);
                for (var j = 0; j < length; j++) small[j] = (byte)('a' + random.Next(26));
                written += Add(tar, $"usr/share/doc/pkg{files / 40}/file{files}.txt", small.AsSpan(0, length).ToArray());
                total += length;
            }
        }));
        layers.Add(Layer(work, "large", tar =>
        {
            for (var i = 0; i < 4; i++, files++)
                total += AddStream(tar, $"opt/data/blob{i}.bin", budget * 12 / 100, i);
        }));
        layers.Add(Layer(work, "app", tar =>
        {
            var deps = Path.Combine(work, "app.deps.json");
            using (var writer = new StreamWriter(deps, false, new UTF8Encoding(false), 1 << 16))
            {
                // As real ones: a few thousand libraries, and the bulk in "targets" (each package's assets).
                const int packages = 3000;
                var perPackage = budget * 30 / 100 / packages;
                writer.Write("{\"runtimeTarget\":{\"name\":\".NETCoreApp,Version=v10.0\"},\"targets\":{\".NETCoreApp,Version=v10.0\":{");
                for (var i = 0; i < packages; i++)
                {
                    writer.Write($"{(i == 0 ? "" : ",")}\"Contoso.Package{i}/1.{i % 100}.{i % 7}\":{{\"dependencies\":{{\"Contoso.Package{(i + 1) % packages}\":\"1.0.0\"}},\"runtime\":{{");
                    var size = 0L;
                    for (var j = 0; size < perPackage; j++)
                    {
                        var asset = $"{(j == 0 ? "" : ",")}\"lib/net10.0/Contoso.Package{i}.Part{j}.dll\":{{\"assemblyVersion\":\"1.0.0.0\",\"fileVersion\":\"1.{j}.0.0\"}}";
                        writer.Write(asset);
                        size += asset.Length;
                    }
                    writer.Write("}}");
                }
                writer.Write("}},\"libraries\":{");
                for (var i = 0; i < packages; i++)
                    writer.Write($"{(i == 0 ? "" : ",")}\"Contoso.Package{i}/1.{i % 100}.{i % 7}\":{{\"type\":\"package\",\"serviceable\":true,\"sha512\":\"sha512-{new string('A', 88)}\",\"path\":\"contoso.package{i}/1.{i % 100}.{i % 7}\"}}");
                writer.Write("}}");
            }
            total += new FileInfo(deps).Length;
            tar.WriteEntry(deps, "app/app.deps.json");
            File.Delete(deps);
            files++;
            total += Add(tar, "app/app.dll", new byte[65536]);
            files++;
        }));

        var config = Encoding.UTF8.GetBytes(new JsonObject
        {
            ["architecture"] = "amd64",
            ["os"] = "linux",
            ["config"] = new JsonObject { ["User"] = "1654" },
            ["rootfs"] = new JsonObject { ["type"] = "layers", ["diff_ids"] = new JsonArray(layers.Select(l => (JsonNode)JsonValue.Create(l.DiffId)!).ToArray()) },
        }.ToJsonString());
        var configDigest = Sha(config);
        var manifest = Encoding.UTF8.GetBytes(new JsonObject
        {
            ["schemaVersion"] = 2,
            ["mediaType"] = "application/vnd.oci.image.manifest.v1+json",
            ["config"] = new JsonObject { ["mediaType"] = "application/vnd.oci.image.config.v1+json", ["digest"] = configDigest, ["size"] = config.Length },
            ["layers"] = new JsonArray(layers.Select(l => (JsonNode)new JsonObject
                { ["mediaType"] = "application/vnd.oci.image.layer.v1.tar+gzip", ["digest"] = l.Digest, ["size"] = l.Size }).ToArray()),
        }.ToJsonString());
        var manifestDigest = Sha(manifest);
        var index = Encoding.UTF8.GetBytes(new JsonObject
        {
            ["schemaVersion"] = 2,
            ["manifests"] = new JsonArray(new JsonObject { ["mediaType"] = "application/vnd.oci.image.manifest.v1+json", ["digest"] = manifestDigest, ["size"] = manifest.Length }),
        }.ToJsonString());

        var image = Path.Combine(work, "image.tar");
        using (var output = File.Create(image))
        using (var tar = new TarWriter(output, TarEntryFormat.Pax))
        {
            Add(tar, "oci-layout", Encoding.UTF8.GetBytes("{\"imageLayoutVersion\":\"1.0.0\"}"));
            Add(tar, "index.json", index);
            Add(tar, $"blobs/sha256/{manifestDigest[7..]}", manifest);
            Add(tar, $"blobs/sha256/{configDigest[7..]}", config);
            foreach (var layer in layers) tar.WriteEntry(layer.Path, $"blobs/sha256/{layer.Digest[7..]}");
        }
        foreach (var layer in layers) File.Delete(layer.Path);
        return (image, total, files);
    }

    private static (string Path, string Digest, string DiffId, long Size) Layer(string work, string name, Action<TarWriter> fill)
    {
        var path = Path.Combine(work, name + ".tar.gz");
        using var uncompressed = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        using (var file = File.Create(path))
        using (var gzip = new GZipStream(file, CompressionLevel.Fastest))
        using (var hashing = new HashingWriter(gzip, uncompressed))
        using (var tar = new TarWriter(hashing, TarEntryFormat.Pax))
            fill(tar);
        using var stream = File.OpenRead(path);
        return (path, "sha256:" + Convert.ToHexStringLower(SHA256.HashData(stream)), "sha256:" + Convert.ToHexStringLower(uncompressed.GetCurrentHash()), new FileInfo(path).Length);
    }

    private static long Add(TarWriter tar, string name, byte[] content)
    {
        tar.WriteEntry(new PaxTarEntry(TarEntryType.RegularFile, name) { DataStream = new MemoryStream(content), Mode = (UnixFileMode)0x1A4, ModificationTime = DateTimeOffset.UnixEpoch });
        return content.Length;
    }

    /// <summary>A large file of pseudo-random, poorly compressible bytes, streamed.</summary>
    private static long AddStream(TarWriter tar, string name, long size, int seed)
    {
        tar.WriteEntry(new PaxTarEntry(TarEntryType.RegularFile, name) { DataStream = new PatternStream(size, seed), Mode = (UnixFileMode)0x1A4, ModificationTime = DateTimeOffset.UnixEpoch });
        return size;
    }

    private static string Sha(byte[] bytes) => "sha256:" + Convert.ToHexStringLower(SHA256.HashData(bytes));

    private sealed class PatternStream(long size, int seed) : Stream
    {
        private readonly Random _random = new(seed);
        private long _position;

        public override int Read(byte[] buffer, int offset, int count)
        {
            var n = (int)Math.Min(count, size - _position);
            _random.NextBytes(buffer.AsSpan(offset, n));
            for (var i = offset; i < offset + n; i += 4) buffer[i] = 0; // a little compressible, as real binaries are
            _position += n;
            return n;
        }

        // TarWriter wants the length of what it writes into a stream it cannot seek: it is known, and the stream never moves back.
        public override bool CanRead => true;
        public override bool CanSeek => true;
        public override bool CanWrite => false;
        public override long Length => size;
        public override long Position { get => _position; set => Seek(value, SeekOrigin.Begin); }
        public override void Flush() { }
        public override long Seek(long offset, SeekOrigin origin) =>
            origin == SeekOrigin.Begin && offset == _position ? _position : throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }

    private sealed class HashingWriter(Stream inner, IncrementalHash hash) : Stream
    {
        public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));

        public override void Write(ReadOnlySpan<byte> buffer)
        {
            hash.AppendData(buffer);
            inner.Write(buffer);
        }

        public override bool CanRead => false;
        public override bool CanSeek => false;
        public override bool CanWrite => true;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
        public override void Flush() => inner.Flush();
        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
    }
}
