using System.Text.Json.Nodes;
using Bakery.Oci.Layers;
using Bakery.Oci.Model;
using Bakery.Oci.Registry;

namespace Bakery.Tests.Infrastructure;

/// <summary>Pushes small synthetic base images with the real registry client.</summary>
internal static class TestImages
{
    public sealed record PushedImage(string Registry, string Repository, Digest Digest, ImageManifest Manifest)
    {
        public string Reference => $"{Registry}/{Repository}@{Digest}";
    }

    public static async Task<PushedImage> PushBaseAsync(string registry, string repository, string marker = "base",
        RegistryClientOptions? options = null, IReadOnlyList<string>? entrypoint = null, Action<JsonObject>? editConfig = null,
        IReadOnlyDictionary<string, string>? extraFiles = null)
    {
        var work = TestPaths.NewTempDirectory("image");
        try
        {
            var files = Path.Combine(work, "rootfs");
            Directory.CreateDirectory(Path.Combine(files, "etc"));
            File.WriteAllText(Path.Combine(files, "etc", "os-release"), $"ID=bakerytest\nMARKER={marker}\n");
            foreach (var (path, content) in extraFiles ?? new Dictionary<string, string>())
            {
                var target = Path.Combine(files, path.TrimStart('/'));
                Directory.CreateDirectory(Path.GetDirectoryName(target)!);
                File.WriteAllText(target, content);
            }
            var blobs = Path.Combine(work, "blobs");
            var layer = new DeterministicLayerWriter(blobs, new LayerOptions()).Write([new LayerSource(files, "/")]);

            var config = new JsonObject
            {
                ["architecture"] = "amd64",
                ["os"] = "linux",
                ["created"] = "2026-01-01T00:00:00Z",
                ["config"] = new JsonObject
                {
                    ["Env"] = new JsonArray("PATH=/usr/bin:/bin", "BASE_MARKER=" + marker),
                    ["User"] = "1654",
                    ["WorkingDir"] = "/",
                    ["Labels"] = new JsonObject { ["org.example.base"] = marker },
                },
                ["rootfs"] = new JsonObject { ["type"] = "layers", ["diff_ids"] = new JsonArray(layer.DiffId.ToString()) },
                ["history"] = new JsonArray(new JsonObject { ["created"] = "2026-01-01T00:00:00Z", ["created_by"] = "test base " + marker }),
            };
            if (entrypoint is not null)
                ((JsonObject)config["config"]!)["Entrypoint"] = new JsonArray(entrypoint.Select(e => (JsonNode)JsonValue.Create(e)!).ToArray());
            editConfig?.Invoke(config);
            var configBytes = System.Text.Encoding.UTF8.GetBytes(config.ToJsonString());
            var configDigest = Digest.Compute(configBytes);
            var configPath = Path.Combine(blobs, configDigest.Hex);
            File.WriteAllBytes(configPath, configBytes);

            var manifest = new ImageManifest
            {
                MediaType = MediaTypes.OciManifest,
                Config = new OciDescriptor { MediaType = MediaTypes.OciConfig, Digest = configDigest.ToString(), Size = configBytes.Length },
                Layers = [new OciDescriptor { MediaType = MediaTypes.OciLayerGzip, Digest = layer.Digest.ToString(), Size = layer.Size }],
            };
            var bytes = manifest.ToBytes();
            using var client = new RegistryClient(registry, options);
            await client.UploadBlobAsync(repository, layer.Digest, layer.Path);
            await client.UploadBlobAsync(repository, configDigest, configPath);
            var digest = await client.PutManifestAsync(repository, "1.0", bytes, MediaTypes.OciManifest);
            return new PushedImage(registry, repository, digest, manifest);
        }
        finally
        {
            Directory.Delete(work, recursive: true);
        }
    }
}
