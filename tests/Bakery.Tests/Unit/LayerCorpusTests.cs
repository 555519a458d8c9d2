using System.Text;
using Bakery.Core;
using Bakery.Core.Verification;
using Bakery.Oci.Archives;
using Bakery.Oci.Layers;
using Bakery.Oci.Model;
using Bakery.Tests.Infrastructure;

namespace Bakery.Tests.Unit;

/// <summary>
/// Every case of the crafted layer corpus through the safe reader, the merged view and the archive
/// unpacker: the verdict, the problem and BAKE code, the member list, the hazards, the content of
/// chosen files, escaped messages and bounded memory. (The tool's entry points run the same corpus
/// in Integration/LayerCorpusToolTests.)
/// </summary>
[TestClass]
public sealed class LayerCorpusTests
{
    private const long MaxAllocatedPerCase = 48L << 20;
    private string _dir = null!;

    [TestInitialize]
    public void Create() => _dir = Directory.CreateTempSubdirectory("bakery-corpus-").FullName;

    [TestCleanup]
    public void Delete() => Directory.Delete(_dir, recursive: true);

    public static IEnumerable<object[]> CaseNames() => LayerCorpus.All.Select(c => new object[] { c.Name });

    [TestMethod]
    public void The_corpus_is_broad()
    {
        var all = LayerCorpus.All;
        Assert.IsGreaterThanOrEqualTo(150, all.Count, "at least 150 crafted cases");
        foreach (var category in new[] { "traversal", "names", "symlinks", "hard links", "special files", "permissions", "tar headers", "PAX", "GNU", "sparse",
                     "whiteouts", "duplicates", "compression", "non-tar blobs", "resource limits" })
            Assert.IsTrue(all.Any(c => c.Category == category), $"category {category}");
        foreach (var verdict in Enum.GetValues<Verdict>()) Assert.IsGreaterThanOrEqualTo(10, all.Count(c => c.Verdict == verdict), $"verdict {verdict}");
        Assert.IsGreaterThanOrEqualTo(20, all.Count(c => c.Layers.Count > 1), "multi-layer cases");
        Assert.IsTrue(all.Where(c => c.Verdict != Verdict.Refuse).All(c => c.Members is not null), "every accepted case lists its members");
    }

    [TestMethod]
    [DynamicData(nameof(CaseNames))]
    public void A_case_gets_its_verdict_from_the_reader_and_the_merged_view(string name)
    {
        var c = LayerCorpus.Named(name);
        var before = GC.GetAllocatedBytesForCurrentThread();
        var hazards = new List<LayerHazard>();
        UnsafeLayerException? refused = null;
        foreach (var layer in c.Layers)
        {
            try
            {
                SafeLayerReader.Read(new MemoryStream(layer.Blob), new LayerReadOptions { Limits = LayerCorpus.Limits, MediaType = layer.MediaType, OnHazard = hazards.Add },
                    (_, content) => content?.CopyTo(Stream.Null));
            }
            catch (UnsafeLayerException e)
            {
                refused = e;
                break;
            }
        }
        if (c.Verdict == Verdict.Refuse && c.ReaderRefuses)
        {
            Assert.IsNotNull(refused, $"{name}: the reader accepted a layer it must refuse ({c.Problem})");
            Assert.AreEqual(c.Problem, refused.Problem, $"{name}: {refused.Message}");
            AssertPrintable(refused.Message, name);
        }
        else Assert.IsNull(refused, $"{name}: the reader refused: {refused?.Message}");

        var layers = c.Layers.Select((l, i) =>
        {
            var path = Path.Combine(_dir, $"layer{i}");
            File.WriteAllBytes(path, l.Blob);
            return new LayerFile(Digest.Compute(l.Blob).ToString(), path, l.MediaType, l.Blob.Length, CorpusImages.DiffId(l.Blob));
        }).ToList();
        if (c.Verdict == Verdict.Refuse)
        {
            var error = Assert.ThrowsExactly<BakeryException>(() => ImageFilesystem.Load(layers, Path.Combine(_dir, "index"), "corpus/case:1", LayerCorpus.Limits), name);
            Assert.AreEqual(c.Code, error.Code, $"{name}: {error.Message}");
            Assert.AreEqual(c.Problem, (error.InnerException as UnsafeLayerException)?.Problem, $"{name}: {error.Message}");
            StringAssert.Contains(error.Message, "corpus/case:1");
            StringAssert.Contains(error.Message, "sha256:", "the layer digest is named");
            AssertPrintable(error.Message, name);
        }
        else
        {
            var fs = ImageFilesystem.Load(layers, Path.Combine(_dir, "index"), "corpus/case:1", LayerCorpus.Limits);
            CollectionAssert.AreEqual(c.Members!.Order(StringComparer.Ordinal).ToList(), Members(fs), $"{name}: members");
            CollectionAssert.AreEquivalent(c.Hazards.Distinct().ToList(), fs.Hazards.Select(h => h.Hazard.Kind).Distinct().ToList(), $"{name}: hazards");
            Assert.AreEqual(c.Verdict == Verdict.Warn, LayerHazardWarnings.For(fs, "corpus/case:1").Count > 0, $"{name}: warnings");
            foreach (var warning in LayerHazardWarnings.For(fs, "corpus/case:1")) AssertPrintable(warning.Message, name);
            foreach (var (path, expected) in c.Contents)
            {
                var node = fs.Resolve(path) ?? throw new AssertFailedException($"{name}: {path} is missing");
                Assert.AreEqual(expected, Encoding.Latin1.GetString(fs.ReadFile(node)!), $"{name}: content of {path}");
                using var stream = fs.OpenFile(node)!;
                Assert.AreEqual(expected.Length, Drain(stream), $"{name}: streamed length of {path}");
            }
            var again = ImageFilesystem.Load(layers, Path.Combine(_dir, "index"), "corpus/case:1", LayerCorpus.Limits);
            CollectionAssert.AreEqual(Members(fs), Members(again), $"{name}: the cached index gives the same view");
        }
        var allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.IsLessThan(MaxAllocatedPerCase + 2L * c.Layers.Sum(l => l.Blob.Length), allocated, $"{name}: allocated {allocated} bytes");
    }

    [TestMethod]
    public void Every_case_through_the_archive_unpacker_stays_inside_its_folder()
    {
        var failures = new List<string>();
        foreach (var c in LayerCorpus.All)
        {
            var caseRoot = Path.Combine(_dir, "unpack", Guid.NewGuid().ToString("N")[..8]);
            var work = Path.Combine(caseRoot, "a", "b", "work");
            Directory.CreateDirectory(Path.GetDirectoryName(work)!);
            var archive = Path.Combine(caseRoot, "case.tar");
            File.WriteAllBytes(archive, c.Layers[^1].Blob);
            try
            {
                ImageArchive.Open(archive, work);
                failures.Add($"{c.Name}: opened as an image");
            }
            catch (ImageArchiveException e)
            {
                if (e.Message.Any(ch => char.IsControl(ch) && ch != '\n')) failures.Add($"{c.Name}: raw control character in '{e.Message}'");
            }
            catch (Exception e)
            {
                failures.Add($"{c.Name}: {e.GetType().Name}: {e.Message}");
            }
            if (Directory.Exists(work)) failures.Add($"{c.Name}: the work folder was left behind");
            var stray = Directory.EnumerateFileSystemEntries(caseRoot, "*", SearchOption.AllDirectories)
                .Where(p => p != archive && p != Path.Combine(caseRoot, "a") && p != Path.Combine(caseRoot, "a", "b")).ToList();
            if (stray.Count > 0) failures.Add($"{c.Name}: written outside the work folder: {string.Join(", ", stray)}");
        }
        Assert.IsEmpty(failures, string.Join("\n", failures));
    }

    [TestMethod]
    public void A_sparse_member_is_refused_by_the_unpacker_before_anything_is_written()
    {
        // 200 bytes of archive declaring a 64 GiB file: written out, it would fill the disk.
        var archive = Path.Combine(_dir, "sparse.tar.gz");
        File.WriteAllBytes(archive, LayerCorpus.Named("sparse: logical size over the entry limit").Layers[^1].Blob);
        var work = Path.Combine(_dir, "sparse-work");
        var error = Assert.ThrowsExactly<ImageArchiveException>(() => ImageArchive.Open(archive, work));
        StringAssert.Contains(error.Problem, "is a sparse file of 68,719,476,736 bytes", "refused at its header, before its content is written");
        Assert.IsFalse(Directory.Exists(work), "the work folder is removed");
    }

    [TestMethod]
    public void A_refused_archive_entry_is_reported_by_the_unpacker_with_its_reason()
    {
        var archive = Path.Combine(_dir, "evil.tar");
        File.WriteAllBytes(archive, new RawTar().File("../../escape", "x").Build());
        var error = Assert.ThrowsExactly<ImageArchiveException>(() => ImageArchive.Open(archive, Path.Combine(_dir, "work")));
        StringAssert.Contains(error.Problem, "..");
        Assert.IsFalse(File.Exists(Path.Combine(_dir, "..", "escape")));
    }

    [TestMethod]
    public void A_single_entry_bomb_in_an_archive_stops_while_it_is_written_and_leaves_nothing()
    {
        // 512 MiB of zeros in one member, compressed as a bomb would be (about 1000:1): the default ratio (200:1 past 64 MiB) stops it mid-entry.
        var archive = Path.Combine(_dir, "bomb.tar.gz");
        using (var file = File.Create(archive))
        using (var gzip = new System.IO.Compression.GZipStream(file, System.IO.Compression.CompressionLevel.SmallestSize))
        {
            const long size = 512L << 20;
            gzip.Write(new RawTar().Entry("blobs/sha256/zeros", beforeChecksum: h => RawTar.Put(h, 124, 12, Convert.ToString(size, 8).PadLeft(11, '0')), writeData: false).Build(end: false));
            var zeros = new byte[1 << 20];
            for (var i = 0; i < 512; i++) gzip.Write(zeros);
            gzip.Write(new byte[1024]);
        }
        var work = Path.Combine(_dir, "bomb-work");
        var error = Assert.ThrowsExactly<ImageArchiveException>(() => ImageArchive.Open(archive, work));
        StringAssert.Contains(error.Problem, "decompression bomb");
        Assert.IsFalse(Directory.Exists(work), "the partly written member is removed with the work folder");
    }

    /// <summary>The merged view as the corpus lists it: "dir/", "file", "link -> target", "node (fifo)".</summary>
    internal static List<string> Members(ImageFilesystem fs) => fs.Nodes.Select(n => n.Type switch
    {
        LayerEntryType.Directory => n.Path + "/",
        LayerEntryType.SymbolicLink => $"{n.Path} -> {n.LinkTarget}",
        LayerEntryType.CharacterDevice => n.Path + " (chr)",
        LayerEntryType.BlockDevice => n.Path + " (blk)",
        LayerEntryType.Fifo => n.Path + " (fifo)",
        _ => n.Path,
    }).Order(StringComparer.Ordinal).ToList();

    private static long Drain(Stream stream)
    {
        var buffer = new byte[8192];
        long total = 0;
        int read;
        while ((read = stream.Read(buffer)) > 0) total += read;
        return total;
    }

    internal static void AssertPrintable(string message, string name)
    {
        foreach (var ch in message)
            if (char.IsControl(ch) || char.IsSurrogate(ch) || ch is >= '\u202A' and <= '\u202E' or >= '\u2066' and <= '\u2069')
                Assert.Fail($"{name}: the message carries U+{(int)ch:X4} raw: {message}");
    }
}
