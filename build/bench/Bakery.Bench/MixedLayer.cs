using System.Text;
using Bakery.Oci.Layers;

namespace Bakery.Bench;

/// <summary>
/// A deterministic "mixed" layer like an app or base layer: small configuration files (many with
/// secret-looking keys and placeholder values, the scanner's slowest path), source-like text, and
/// incompressible binaries; a known set of real-looking secrets is planted among them.
/// </summary>
internal static class MixedLayer
{
    public const int PlantedSecrets = 12;

    public static (string Path, long UncompressedBytes) Create(string work, int megabytes)
    {
        var root = Path.Combine(work, "content");
        if (Directory.Exists(root)) Directory.Delete(root, recursive: true);
        var random = new Random(42);
        long total = 0, budget = (long)megabytes << 20;
        var configBudget = budget * 30 / 100;
        var textBudget = budget * 35 / 100;
        var index = 0;
        while (total < configBudget) total += Write(root, $"etc/app{index / 50}/appsettings.{index++}.json", Config(random, 2_000 + random.Next(18_000)));
        while (total < configBudget + textBudget) total += Write(root, $"src/module{index / 100}/File{index++}.cs", Source(random, 8_000 + random.Next(56_000)));
        while (total < budget)
        {
            var bytes = new byte[64_000 + random.Next(1_000_000)];
            random.NextBytes(bytes);
            total += Write(root, $"lib/native{index / 20}/lib{index++}.so", bytes);
        }
        for (var i = 0; i < PlantedSecrets; i++)
            total += Write(root, $"etc/app{i}/planted/appsettings.Production.json",
                Encoding.UTF8.GetBytes($$"""{ "Db": { "Password": "{{Token(random, 24)}}" } }""" + "\n"));
        var blob = new DeterministicLayerWriter(Path.Combine(work, "blobs"), new LayerOptions()).Write([new LayerSource(root, "/")]);
        Directory.Delete(root, recursive: true);
        return (blob.Path, total);
    }

    private static long Write(string root, string relative, byte[] content)
    {
        var path = Path.Combine(root, relative);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllBytes(path, content);
        return content.Length;
    }

    private static readonly string[] Keys = ["ConnectionString", "Password", "ApiToken", "ClientSecret", "Endpoint", "Timeout", "Retries", "Name"];

    private static byte[] Config(Random random, int size)
    {
        var text = new StringBuilder("{\n");
        while (text.Length < size)
        {
            var key = Keys[random.Next(Keys.Length)];
            var value = random.Next(3) switch { 0 => "${" + key.ToUpperInvariant() + "}", 1 => "changeme", _ => "https://service.internal/" + random.Next(1000) };
            text.Append($"  \"{key}{random.Next(100)}\": \"{value}\",\n");
        }
        return Encoding.UTF8.GetBytes(text.Append("  \"End\": true\n}\n").ToString());
    }

    private static byte[] Source(Random random, int size)
    {
        var text = new StringBuilder();
        while (text.Length < size)
            text.Append($"    public int Method{random.Next(100_000)}(int value) => value * {random.Next(1000)} + Helper.Compute(\"{Token(random, 8)}\");\n");
        return Encoding.UTF8.GetBytes(text.ToString());
    }

    private static string Token(Random random, int length)
    {
        const string alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
        return string.Create(length, random, (span, r) => { for (var i = 0; i < span.Length; i++) span[i] = alphabet[r.Next(alphabet.Length)]; });
    }
}
