using System.IO.Compression;
using System.Text;
using Bakery.Tests.Infrastructure;

namespace Bakery.Tests.Unit.Secrets;

/// <summary>A planted secret as the scanner must report it: the place (image path, archive member) and the acceptable rules.</summary>
internal sealed record ExpectedSecret(string File, string Format, string Placement, Plant Plant);

/// <summary>
/// A layer of planted secrets: every text format in several placements (UTF-8 with and without BOM, UTF-16 LE/BE with
/// BOM, UTF-16 LE without BOM, inside a zip, nupkg, jar, tar, tar.gz, gz, a zip in a zip), every binary format plain
/// and in an archive. Generated per seed; nothing is committed.
/// </summary>
internal sealed class SecretCorpus
{
    public static readonly string[] TextPlacements = ["utf-8", "utf-8 bom", "utf-16le bom", "utf-16be bom", "utf-16le", "zip", "nupkg", "jar", "tar.gz", "tar", "gz", "zip in zip"];

    private readonly List<(string Path, byte[] Content)> _files = [];

    public List<ExpectedSecret> Expected { get; } = [];

    public IReadOnlyList<(string Path, byte[] Content)> Files => _files;

    public static SecretCorpus Planted(int seed, int instances = 3)
    {
        var random = new CorpusRandom(seed);
        var corpus = new SecretCorpus();
        var n = 0;
        for (var instance = 0; instance < instances; instance++)
        {
            foreach (var (name, make) in PlantedSecrets.Formats)
            {
                var document = make(random);
                corpus.Place(document, $"srv/app{n++}", TextPlacements[(n + instance * 5) % TextPlacements.Length], name);
            }
            foreach (var (name, make) in PlantedSecrets.BinaryFormats)
            {
                var document = make(random);
                corpus.Place(document, $"srv/app{n++}", instance == 1 ? "zip" : "plain", name);
            }
        }
        return corpus;
    }

    public byte[] Layer() => Layer(_files);

    public static byte[] Layer(IEnumerable<(string Path, byte[] Content)> files) =>
        RawTar.Gzip(files.Aggregate(new RawTar(), (tar, f) => tar.Entry(f.Path, '0', f.Content)).Build());

    private void Place(PlantedDocument document, string folder, string placement, string format)
    {
        var bytes = document.Bytes ?? Encode(document.Text!, placement);
        var inner = document.Name;
        string file;
        switch (placement)
        {
            case "zip" or "nupkg" or "jar":
                var archive = placement == "nupkg" ? "Corp.Orders.1.0.0.nupkg" : placement == "jar" ? "orders.jar" : "bundle.zip";
                var member = placement == "jar" ? $"BOOT-INF/classes/{inner}" : $"content/{inner}";
                _files.Add(($"{folder}/{archive}", Zip((member, bytes))));
                file = $"/{folder}/{archive}!{member}";
                break;
            case "zip in zip":
                _files.Add(($"{folder}/outer.zip", Zip(("lib/inner.zip", Zip(($"conf/{inner}", bytes))))));
                file = $"/{folder}/outer.zip!lib/inner.zip!conf/{inner}";
                break;
            case "tar.gz" or "tar":
                var tar = new RawTar().Entry($"etc/{inner}", '0', bytes).Build();
                var name = placement == "tar" ? "config.tar" : "config.tar.gz";
                _files.Add(($"{folder}/{name}", placement == "tar" ? tar : RawTar.Gzip(tar)));
                file = $"/{folder}/{name}!etc/{inner}";
                break;
            case "gz":
                _files.Add(($"{folder}/{inner}.gz", RawTar.Gzip(bytes)));
                file = $"/{folder}/{inner}.gz!{inner}";
                break;
            default:
                _files.Add(($"{folder}/{inner}", bytes));
                file = $"/{folder}/{inner}";
                break;
        }
        foreach (var plant in document.Secrets) Expected.Add(new ExpectedSecret(file, format, placement, plant));
    }

    public static byte[] Encode(string text, string placement) => placement switch
    {
        "utf-8 bom" => [0xEF, 0xBB, 0xBF, .. Encoding.UTF8.GetBytes(text)],
        "utf-16le bom" => [0xFF, 0xFE, .. Encoding.Unicode.GetBytes(text)],
        "utf-16be bom" => [0xFE, 0xFF, .. Encoding.BigEndianUnicode.GetBytes(text)],
        "utf-16le" => Encoding.Unicode.GetBytes(text),
        _ => Encoding.UTF8.GetBytes(text),
    };

    public static byte[] Zip(params (string Name, byte[] Content)[] entries)
    {
        var output = new MemoryStream();
        using (var zip = new ZipArchive(output, ZipArchiveMode.Create, leaveOpen: true))
            foreach (var (name, content) in entries)
            {
                using var stream = zip.CreateEntry(name, CompressionLevel.Optimal).Open();
                stream.Write(content);
            }
        return output.ToArray();
    }
}
