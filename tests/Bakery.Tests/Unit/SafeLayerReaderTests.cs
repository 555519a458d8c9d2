using System.Text;
using Bakery.Oci.Layers;
using Bakery.Tests.Infrastructure;

namespace Bakery.Tests.Unit;

/// <summary>The safe layer reader against well-formed layers and a corpus of crafted malicious ones.</summary>
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

    private static readonly Dictionary<string, (LayerProblem Problem, byte[] Layer)> Corpus =
        Crafted().ToDictionary(c => c.Name, c => (c.Problem, c.Layer));

    /// <summary>Case names only, so test output names each case without dumping its bytes.</summary>
    public static IEnumerable<object[]> MaliciousLayers() => Corpus.Keys.Select(name => new object[] { name });

    private static IEnumerable<(string Name, LayerProblem Problem, byte[] Layer)> Crafted()
    {
        (string, LayerProblem, byte[]) Case(string name, LayerProblem problem, byte[] layer) => (name, problem, layer);
        var big = new string('x', 300);

        yield return Case("bad header checksum", LayerProblem.BadHeader, new RawTar().Entry("a", afterChecksum: h => h[0] = (byte)'b').Build());
        yield return Case("absolute path", LayerProblem.AbsolutePath, new RawTar().File("/etc/passwd", "root").Build());
        yield return Case("leading ..", LayerProblem.PathTraversal, new RawTar().File("../evil", "x").Build());
        yield return Case("inner ..", LayerProblem.PathTraversal, new RawTar().File("a/../../evil", "x").Build());
        yield return Case("dot then ..", LayerProblem.PathTraversal, new RawTar().File("./a/./../b", "x").Build());
        yield return Case("ustar prefix with ..", LayerProblem.PathTraversal, new RawTar().Entry("x", beforeChecksum: h => RawTar.Put(h, 345, 155, "../up")).Build());
        yield return Case("PAX path ..", LayerProblem.PathTraversal, new RawTar().Pax(("path", "../x")).File("ok", "x").Build());
        yield return Case("PAX absolute path", LayerProblem.AbsolutePath, new RawTar().Pax(("path", "/etc/shadow")).File("ok", "x").Build());
        yield return Case("GNU long name ..", LayerProblem.PathTraversal, new RawTar().Entry("././@LongLink", 'L', Encoding.UTF8.GetBytes("../../x\0")).File("ok", "x").Build());
        yield return Case("symlink climbs out", LayerProblem.SymlinkEscape, new RawTar().Entry("link", '2', link: "../../etc").Build());
        yield return Case("nested symlink climbs out", LayerProblem.SymlinkEscape, new RawTar().Entry("a/b/link", '2', link: "../../../x").Build());
        yield return Case("PAX linkpath climbs out", LayerProblem.SymlinkEscape, new RawTar().Pax(("linkpath", "../../../root")).Entry("l", '2', link: "ok").Build());
        yield return Case("write through symlink", LayerProblem.SymlinkEscape, new RawTar().Entry("d", '2', link: "/etc").File("d/passwd", "x").Build());
        yield return Case("hardlink absolute", LayerProblem.HardlinkEscape, new RawTar().Entry("h", '1', link: "/etc/shadow").Build());
        yield return Case("hardlink ..", LayerProblem.HardlinkEscape, new RawTar().Entry("h", '1', link: "../outside").Build());
        yield return Case("hardlink to nothing", LayerProblem.HardlinkEscape, new RawTar().Entry("h", '1', link: "not/here").Build());
        yield return Case("character device", LayerProblem.DeviceFile, new RawTar().Entry("dev/null", '3').Build());
        yield return Case("block device", LayerProblem.DeviceFile, new RawTar().Entry("dev/sda", '4').Build());
        yield return Case("fifo", LayerProblem.DeviceFile, new RawTar().Entry("pipe", '6').Build());
        yield return Case("oversized PAX header", LayerProblem.OversizedHeader, new RawTar().Pax(("comment", new string('c', 5000))).File("a", "x").Build());
        yield return Case("oversized GNU long name", LayerProblem.OversizedHeader, new RawTar().Entry("././@LongLink", 'L', Encoding.UTF8.GetBytes(big)).File("a", "x").Build());
        yield return Case("path over the limit", LayerProblem.OversizedHeader, new RawTar().Pax(("path", big)).File("a", "x").Build());
        yield return Case("malformed PAX record", LayerProblem.BadHeader, new RawTar().Entry("p", 'x', Encoding.UTF8.GetBytes("99 path=x\n")).File("a", "x").Build());
        yield return Case("PAX size not a number", LayerProblem.BadHeader, new RawTar().Pax(("size", "lots")).File("a", "x").Build());
        yield return Case("size not octal", LayerProblem.BadHeader, new RawTar().Entry("a", beforeChecksum: h => RawTar.Put(h, 124, 12, "0000000009z")).Build());
        yield return Case("negative base-256 size", LayerProblem.BadHeader, new RawTar().Entry("a", beforeChecksum: h => { h[124] = 0xff; h[125] = 0xff; }).Build());
        yield return Case("truncated data", LayerProblem.Truncated, new RawTar().Entry("a", data: new byte[1000], writeData: false).Raw(new byte[100]).Build(end: false));
        yield return Case("truncated header", LayerProblem.Truncated, new RawTar().File("a", "x").Raw(new byte[300]).Raw([1]).Build(end: false));
        yield return Case("entry over the size limit", LayerProblem.TooLarge, new RawTar().Entry("big", data: new byte[(1 << 20) + 1]).Build());
        yield return Case("layer over the total limit", LayerProblem.TooLarge,
            Enumerable.Range(0, 5).Aggregate(new RawTar(), (t, i) => t.Entry($"f{i}", data: new byte[1 << 20])).Build());
        yield return Case("decompression bomb", LayerProblem.DecompressionBomb, RawTar.Gzip(new RawTar().Entry("zeros", data: new byte[1 << 20]).Entry("more", data: new byte[1 << 20]).Build()));
        yield return Case("corrupt gzip", LayerProblem.BadCompression, [0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 3, 0xde, 0xad, 0xbe, 0xef, 1, 2, 3]);
        yield return Case("unknown entry type", LayerProblem.UnsupportedEntry, new RawTar().Entry("z", 'Z').Build());
        yield return Case("too many entries", LayerProblem.TooManyEntries, Enumerable.Range(0, 51).Aggregate(new RawTar(), (t, i) => t.File($"f{i}", "")).Build());
        yield return Case("NUL inside a PAX path", LayerProblem.BadHeader, new RawTar().Pax(("path", "a\0b")).File("a", "x").Build());
        yield return Case("directory with data", LayerProblem.BadHeader, new RawTar().Entry("d/", '5', data: new byte[10]).Build());
        yield return Case("empty name", LayerProblem.BadHeader, new RawTar().Entry("").Build());
        yield return Case("symlink without target", LayerProblem.BadHeader, new RawTar().Entry("l", '2').Build());
    }

    [TestMethod]
    [DynamicData(nameof(MaliciousLayers))]
    public void Malicious_layer_is_refused_with_one_clear_error(string name)
    {
        var (problem, layer) = Corpus[name];
        var error = Assert.ThrowsExactly<UnsafeLayerException>(() => ReadAll(layer), name);
        Assert.AreEqual(problem, error.Problem, $"{name}: {error.Message}");
        Assert.IsFalse(string.IsNullOrWhiteSpace(error.Message));
    }

    [TestMethod]
    public void The_corpus_has_at_least_thirty_crafted_layers() => Assert.IsGreaterThanOrEqualTo(30, Corpus.Count);
}
