using System.IO.Compression;
using System.Text.Json.Nodes;
using Bakery.Oci.Model;
using Bakery.Oci.Registry;
using Bakery.Tests.Infrastructure;

namespace Bakery.Bench;

/// <summary>
/// What ./build.sh bench needs to measure a rebake through a token-auth registry against the same
/// rebake through an anonymous one:
///   token-registry DIR USER PASSWORD   a token server and a Distribution registry with auth: token (the
///                                     tests' own), until terminated; writes DIR/registry (its address)
///   copy-image REFERENCE REGISTRY      copies an image by digest (blobs streamed registry to registry), with
///                                     the push credentials of the environment
///   repoint-package NUPKG ID REGISTRY OUT   the same base-image package under another id, naming another registry
/// </summary>
internal static class RegistryBench
{
    public static bool Handles(string[] args) =>
        args is ["token-registry", _, _, _] or ["copy-image", _, _] or ["repoint-package", _, _, _, _] or ["registry-rebake", _];

    public static async Task<int> RunAsync(string[] args)
    {
        switch (args)
        {
            case ["token-registry", var dir, var user, var password]:
                await ServeTokenRegistryAsync(dir, user, password);
                return 0;
            case ["copy-image", var reference, var registry]:
                await CopyImageAsync(ImageReference.Parse(reference), registry);
                return 0;
            case ["repoint-package", var nupkg, var id, var registry, var output]:
                Console.WriteLine(Repoint(nupkg, id, registry, output));
                return 0;
            case ["registry-rebake", var runs]:
                await MeasureRebakeAsync(int.Parse(runs, System.Globalization.CultureInfo.InvariantCulture));
                return 0;
            default:
                return 2;
        }
    }

    private static async Task ServeTokenRegistryAsync(string dir, string user, string password)
    {
        Directory.CreateDirectory(dir);
        using var ca = TestCertificateAuthority.Create("Bakery bench token CA");
        await using var tokens = await TokenServer.StartAsync(ca, dir);
        tokens.AddUser(user, password, new TokenServer.Grant("*", "pull", "push"));
        using var registry = RegistryProcess.StartWithTokenAuth(tokens);
        using var stop = new CancellationTokenSource();
        // Terminated by the bench script: stop the registry and the token server (by disposing them) before exiting.
        using var term = System.Runtime.InteropServices.PosixSignalRegistration.Create(System.Runtime.InteropServices.PosixSignal.SIGTERM, c => { c.Cancel = true; stop.Cancel(); });
        using var interrupt = System.Runtime.InteropServices.PosixSignalRegistration.Create(System.Runtime.InteropServices.PosixSignal.SIGINT, c => { c.Cancel = true; stop.Cancel(); });
        await File.WriteAllTextAsync(Path.Combine(dir, "registry"), registry.Address);
        // How many tokens were issued so far, for the bench to tell tokens reused from tokens fetched per request.
        while (!stop.IsCancellationRequested)
        {
            var issued = tokens.Requests.Count(r => r.Status == 200).ToString(System.Globalization.CultureInfo.InvariantCulture);
            await File.WriteAllTextAsync(Path.Combine(dir, "tokens-issued.tmp"), issued);
            File.Move(Path.Combine(dir, "tokens-issued.tmp"), Path.Combine(dir, "tokens-issued"), overwrite: true);
            try { await Task.Delay(200, stop.Token); }
            catch (OperationCanceledException) { }
        }
    }

    /// <summary>
    /// The registry work of a no-change rebake, in process, with a new client each time (as each bake
    /// process has): HEAD of every blob, the manifest PUT by digest, two tags, the referrers lookup. Against
    /// an anonymous registry and a token-auth one, interleaved; prints medians and tokens per rebake as JSON.
    /// </summary>
    private static async Task MeasureRebakeAsync(int runs)
    {
        var dir = TestPaths.NewTempDirectory("bench-rebake");
        using var ca = TestCertificateAuthority.Create("Bakery bench token CA");
        await using var tokens = await TokenServer.StartAsync(ca, dir);
        tokens.AddUser("bench", "bench-secret", new TokenServer.Grant("*", "pull", "push"));
        using var anonymousRegistry = RegistryProcess.Start();
        using var tokenRegistry = RegistryProcess.StartWithTokenAuth(tokens);
        var credentials = new RegistryCredentials(new Dictionary<string, string?> { ["BAKERY_REGISTRY_USERNAME"] = "bench", ["BAKERY_REGISTRY_PASSWORD"] = "bench-secret" });
        RegistryClientOptions Options() => new() { Credentials = credentials, Role = RegistryRole.Push };

        var blobs = Enumerable.Range(0, 8).Select(_ => { var b = new byte[64 * 1024]; Random.Shared.NextBytes(b); return b; }).ToList();
        var config = System.Text.Encoding.UTF8.GetBytes("{\"architecture\":\"amd64\",\"os\":\"linux\",\"rootfs\":{\"type\":\"layers\",\"diff_ids\":[]}}");
        var manifest = new ImageManifest
        {
            MediaType = MediaTypes.OciManifest,
            Config = new OciDescriptor { MediaType = MediaTypes.OciConfig, Digest = Digest.Compute(config).ToString(), Size = config.Length },
            Layers = blobs.Select(b => new OciDescriptor { MediaType = MediaTypes.OciLayerGzip, Digest = Digest.Compute(b).ToString(), Size = b.Length }).ToList(),
        }.ToBytes();
        foreach (var registry in new[] { anonymousRegistry.Address, tokenRegistry.Address })
        {
            using var client = new RegistryClient(registry, Options());
            foreach (var blob in blobs.Append(config)) await client.UploadBlobAsync("bench/app", BlobSource.FromBytes(blob, Digest.Compute(blob)));
        }

        async Task<double> RebakeAsync(string registry)
        {
            var clock = System.Diagnostics.Stopwatch.StartNew();
            using var client = new RegistryClient(registry, Options());
            foreach (var blob in blobs.Append(config))
                if (!await client.BlobExistsAsync("bench/app", Digest.Compute(blob))) throw new InvalidOperationException("a blob is missing");
            var digest = await client.PutManifestAsync("bench/app", Digest.Compute(manifest).ToString(), manifest, MediaTypes.OciManifest);
            await client.PutManifestAsync("bench/app", "1.0.0", manifest, MediaTypes.OciManifest);
            await client.PutManifestAsync("bench/app", "1.0.0-build.1", manifest, MediaTypes.OciManifest);
            await client.GetReferrersAsync("bench/app", digest);
            return clock.Elapsed.TotalMilliseconds;
        }

        await RebakeAsync(anonymousRegistry.Address);
        await RebakeAsync(tokenRegistry.Address);
        var issuedBefore = tokens.Requests.Count(r => r.Status == 200);
        var anonymous = new List<double>();
        var token = new List<double>();
        for (var i = 0; i < runs; i++)
        {
            anonymous.Add(await RebakeAsync(anonymousRegistry.Address));
            token.Add(await RebakeAsync(tokenRegistry.Address));
        }
        static double Median(List<double> values)
        {
            var sorted = values.Order().ToArray();
            return sorted.Length % 2 == 1 ? sorted[sorted.Length / 2] : (sorted[sorted.Length / 2 - 1] + sorted[sorted.Length / 2]) / 2;
        }
        Console.WriteLine(System.Text.Json.JsonSerializer.Serialize(new
        {
            anonymousMs = Math.Round(Median(anonymous), 1),
            tokenMs = Math.Round(Median(token), 1),
            addedMs = Math.Round(Median(token) - Median(anonymous), 1),
            tokensPerRebake = (tokens.Requests.Count(r => r.Status == 200) - issuedBefore) / (double)runs,
            requestsPerRebake = blobs.Count + 1 + 3 + 2,
        }));
        Directory.Delete(dir, recursive: true);
    }

    private static async Task CopyImageAsync(ImageReference reference, string targetRegistry)
    {
        using var source = new RegistryClient(reference.Registry, new RegistryClientOptions { Role = RegistryRole.Pull });
        using var target = new RegistryClient(targetRegistry, new RegistryClientOptions { Role = RegistryRole.Push });
        var top = await source.GetManifestAsync(reference.Repository, reference.Reference);
        var parsed = top.Parse();
        // A multi-platform base: every platform's image, then the index that names them.
        if (parsed.IsIndex(top.MediaType))
        {
            foreach (var entry in parsed.ImageEntries) await CopyOneAsync(source, target, reference.Repository, entry.Digest);
            await target.PutManifestAsync(reference.Repository, top.Digest.ToString(), top.Bytes, top.MediaType);
        }
        else await CopyOneAsync(source, target, reference.Repository, top.Digest.ToString());
        Console.WriteLine($"{targetRegistry}/{reference.Repository}@{top.Digest}");
    }

    private static async Task CopyOneAsync(RegistryClient source, RegistryClient target, string repository, string digest)
    {
        var image = await source.GetImageAsync(repository, digest);
        foreach (var blob in image.Layers.Append(image.ParsedManifest.Config!))
            if (!await target.BlobExistsAsync(repository, blob.ParsedDigest))
                await target.UploadBlobAsync(repository, BlobSource.FromRegistry(source, repository, blob.ParsedDigest, blob.Size));
        await target.PutManifestAsync(repository, image.Digest.ToString(), image.Manifest.Bytes, image.MediaType);
    }

    private static string Repoint(string nupkg, string id, string registry, string output)
    {
        using var from = ZipFile.OpenRead(nupkg);
        var oldId = from.Entries.Single(e => e.FullName.EndsWith(".nuspec", StringComparison.Ordinal) && !e.FullName.Contains('/')).Name[..^".nuspec".Length];
        var version = Path.GetFileNameWithoutExtension(nupkg)[(oldId.Length + 1)..];
        var path = Path.Combine(output, $"{id}.{version}.nupkg");
        File.Delete(path);
        using var to = ZipFile.Open(path, ZipArchiveMode.Create);
        foreach (var entry in from.Entries)
        {
            using var reader = new StreamReader(entry.Open());
            var name = entry.FullName;
            if (name == $"{oldId}.nuspec") Write(to, $"{id}.nuspec", reader.ReadToEnd().Replace($"<id>{oldId}</id>", $"<id>{id}</id>", StringComparison.OrdinalIgnoreCase));
            else if (name == $"build/{oldId}.props") Write(to, $"build/{id}.props", reader.ReadToEnd().Replace($"\"{oldId}\"", $"\"{id}\"", StringComparison.OrdinalIgnoreCase));
            else if (name == "bakery/image.json")
            {
                var descriptor = JsonNode.Parse(reader.ReadToEnd())!;
                descriptor["id"] = id;
                descriptor["image"]!["registry"] = registry;
                Write(to, name, descriptor.ToJsonString(new System.Text.Json.JsonSerializerOptions { WriteIndented = true }));
            }
            else if (!name.EndsWith(".psmdcr", StringComparison.Ordinal))
            {
                using var copy = to.CreateEntry(name).Open();
                using var original = entry.Open();
                original.CopyTo(copy);
            }
        }
        return path;
    }

    private static void Write(ZipArchive zip, string name, string content)
    {
        using var writer = new StreamWriter(zip.CreateEntry(name).Open());
        writer.Write(content);
    }
}
