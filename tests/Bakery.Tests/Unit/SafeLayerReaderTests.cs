using System.Text;
using Bakery.Oci.Layers;
using Bakery.Tests.Infrastructure;

namespace Bakery.Tests.Unit;

/// <summary>The safe layer reader against well-formed layers (the crafted hostile ones are in <see cref="LayerCorpusTests"/>).</summary>
[TestClass]
public sealed class SafeLayerReaderTests
{
    private static readonly LayerReadLimits Limits = new()
    {
        MaxEntries = 50,
        MaxEntrySize = 1 << 20,
        MaxTotalSize = 4 << 20,
        BombThreshold = 256 << 10,
        MaxCompressionRatio = 50,
        MaxPathLength = 256,
        MaxExtendedHeaderSize = 4096,
    };

    private static List<(LayerEntry Entry, string? Content)> ReadAll(byte[] layer, LayerReadLimits? limits = null)
    {
        var entries = new List<(LayerEntry, string?)>();
        SafeLayerReader.Read(new MemoryStream(layer), limits ?? Limits, (entry, content) =>
            entries.Add((entry, content is null ? null : new StreamReader(content).ReadToEnd())));
        return entries;
    }

    [TestMethod]
    public void Well_formed_layer_with_links_long_names_and_gzip_reads_completely()
    {
        var longName = "deep/" + new string('n', 150) + "/file.txt";
        var tar = new RawTar()
            .Entry("etc/", '5', mode: 493)
            .File("etc/os-release", "ID=debian\n")
            .Entry("etc/alias", '1', link: "etc/os-release")
            .Entry("usr/bin/python", '2', link: "python3")
            .Entry("usr/bin/vi", '2', link: "/etc/alternatives/vi")
            .Entry("usr/lib/x/link", '2', link: "../../../etc/os-release")
            .Pax(("path", longName))
            .File("placeholder", "long")
            .Entry("././@LongLink", 'L', Encoding.UTF8.GetBytes("gnu/" + new string('g', 120) + "\0"))
            .File("short", "gnu")
            .File("app/.wh.old.dll", "")
            .Build();

        foreach (var layer in new[] { tar, RawTar.Gzip(tar) })
        {
            var entries = ReadAll(layer);
            Assert.HasCount(9, entries);
            Assert.AreEqual("ID=debian\n", entries.Single(e => e.Entry.Path == "etc/os-release").Content);
            Assert.AreEqual(LayerEntryType.HardLink, entries.Single(e => e.Entry.Path == "etc/alias").Entry.Type);
            Assert.AreEqual("long", entries.Single(e => e.Entry.Path == longName).Content);
            Assert.AreEqual("gnu", entries.Single(e => e.Entry.Path.StartsWith("gnu/gggg", StringComparison.Ordinal)).Content);
            Assert.AreEqual(493, entries[0].Entry.Mode);
        }
    }

    [TestMethod]
    public void Layers_written_by_the_deterministic_writer_read_back()
    {
        var dir = Directory.CreateTempSubdirectory("bakery-safe-").FullName;
        try
        {
            var src = Path.Combine(dir, "src", new string('p', 120));
            Directory.CreateDirectory(src);
            File.WriteAllText(Path.Combine(src, "a.txt"), "alpha");
            File.WriteAllText(Path.Combine(dir, "src", "short.txt"), "s");
            var options = new LayerOptions { ModificationTime = DateTimeOffset.FromUnixTimeSeconds(1700000000) };
            var blob = new DeterministicLayerWriter(Path.Combine(dir, "blobs"), options).Write([new LayerSource(Path.Combine(dir, "src"), "/app")]);
            using var stream = File.OpenRead(blob.Path);
            var entries = new List<LayerEntry>();
            var count = SafeLayerReader.Read(stream, new LayerReadLimits(), (e, _) => entries.Add(e));
            Assert.AreEqual(blob.EntryCount, count);
            Assert.IsTrue(entries.Any(e => e.Path == $"app/{new string('p', 120)}/a.txt" && e.Size == 5));
            Assert.IsTrue(entries.Any(e => e.Path == "app/short.txt"), "GNU headers carry times, not a name prefix: " + string.Join(", ", entries.Select(e => e.Path)));
        }
        finally { Directory.Delete(dir, recursive: true); }
    }
}
