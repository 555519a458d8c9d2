using System.Formats.Tar;
using System.IO.Compression;
using Bakery.Oci.Layers;

namespace Bakery.Tests.Unit;

/// <summary>Deterministic layers: the same input gives the same bytes, whatever the disk says about time and order.</summary>
[TestClass]
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed class LayerWriterTests
{
    private string _dir = null!;

    [TestInitialize]
    [System.Runtime.Versioning.SupportedOSPlatform("linux")]
    public void Create() => _dir = Directory.CreateTempSubdirectory("bakery-layer-").FullName;

    [TestCleanup]
    public void Delete() => Directory.Delete(_dir, recursive: true);

    private string App(string name, DateTime mtime, bool reverse = false)
    {
        var root = Path.Combine(_dir, name);
        Directory.CreateDirectory(Path.Combine(root, "sub"));
        var files = new[] { ("b.txt", "bee"), ("a.txt", "ay"), ("sub/c.dll", "see") };
        foreach (var (file, content) in reverse ? files.Reverse() : files)
        {
            var path = Path.Combine(root, file);
            File.WriteAllText(path, content);
            File.SetLastWriteTimeUtc(path, mtime);
        }
        var tool = Path.Combine(root, "tool.sh");
        File.WriteAllText(tool, "#!/bin/sh\n");
        File.SetUnixFileMode(tool, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        return root;
    }

    private static List<TarEntry> Entries(string gz)
    {
        using var file = File.OpenRead(gz);
        using var gzip = new GZipStream(file, CompressionMode.Decompress);
        using var tar = new TarReader(gzip);
        var list = new List<TarEntry>();
        while (tar.GetNextEntry(copyData: false) is { } e) list.Add(e);
        return list;
    }

    [TestMethod]
    public void Same_files_with_different_times_and_creation_order_give_the_same_digest()
    {
        var one = App("one", new DateTime(2020, 1, 1, 0, 0, 0, DateTimeKind.Utc));
        var two = App("two", DateTime.UtcNow, reverse: true);
        var blobs = Path.Combine(_dir, "blobs");
        var writer = new DeterministicLayerWriter(blobs, new LayerOptions());

        var a = writer.Write([new LayerSource(one, "/app")]);
        var b = writer.Write([new LayerSource(two, "/app")]);

        Assert.AreEqual(a.Digest, b.Digest);
        Assert.AreEqual(a.DiffId, b.DiffId);
        Assert.AreEqual(a.Path, b.Path, "content-addressed: one blob file");
        Assert.HasCount(1, Directory.GetFiles(blobs), "no temporary files are left behind");
    }

    [TestMethod]
    public void Entries_are_sorted_with_parents_normalised_owner_mode_and_fixed_time()
    {
        var source = App("app", DateTime.UtcNow);
        var time = DateTimeOffset.FromUnixTimeSeconds(1700000000);
        var blob = new DeterministicLayerWriter(Path.Combine(_dir, "blobs"), new LayerOptions { ModificationTime = time }).Write([new LayerSource(source, "/app")]);

        var entries = Entries(blob.Path);
        CollectionAssert.AreEqual(new[] { "app/", "app/a.txt", "app/b.txt", "app/sub/", "app/sub/c.dll", "app/tool.sh" }, entries.Select(e => e.Name).ToArray());
        Assert.IsTrue(entries.All(e => e.Uid == 0 && e.Gid == 0 && e.ModificationTime == time));
        Assert.AreEqual((UnixFileMode)Convert.ToInt32("755", 8), entries.Single(e => e.Name == "app/tool.sh").Mode, "executables keep their bit");
        Assert.AreEqual((UnixFileMode)Convert.ToInt32("644", 8), entries.Single(e => e.Name == "app/a.txt").Mode);
        Assert.AreEqual((UnixFileMode)Convert.ToInt32("755", 8), entries.Single(e => e.Name == "app/sub/").Mode);
        Assert.AreEqual(6, blob.EntryCount);
    }

    [TestMethod]
    public void Different_content_gives_a_different_digest()
    {
        var source = App("app", DateTime.UtcNow);
        var writer = new DeterministicLayerWriter(Path.Combine(_dir, "blobs"), new LayerOptions());
        var before = writer.Write([new LayerSource(source, "/app")]);
        File.WriteAllText(Path.Combine(source, "a.txt"), "changed");
        Assert.AreNotEqual(before.Digest, writer.Write([new LayerSource(source, "/app")]).Digest);
    }

    [TestMethod]
    public void Layer_index_reuses_a_blob_only_while_its_inputs_are_unchanged()
    {
        var source = App("indexed", DateTime.UtcNow.AddMinutes(-5));
        var blobs = Path.Combine(_dir, "blobs");
        var index = new LayerIndex(Path.Combine(_dir, "index"), blobs);
        var options = new LayerOptions();
        var entries = LayerPlan.Expand([new LayerSource(source, "/app")]);
        var key = LayerIndex.KeyOf(entries, options);
        Assert.IsNull(index.TryGet(key));

        var blob = new DeterministicLayerWriter(blobs, options).Write(entries);
        index.Save(key, blob);
        Assert.AreEqual(blob, index.TryGet(LayerIndex.KeyOf(LayerPlan.Expand([new LayerSource(source, "/app")]), options)));

        File.AppendAllText(Path.Combine(source, "a.txt"), "!");
        Assert.AreNotEqual(key, LayerIndex.KeyOf(LayerPlan.Expand([new LayerSource(source, "/app")]), options), "a changed file changes the key");
        Assert.AreNotEqual(key, LayerIndex.KeyOf(entries, options with { ModificationTime = DateTimeOffset.FromUnixTimeSeconds(5) }));
        File.Delete(blob.Path);
        Assert.IsNull(index.TryGet(key), "an index entry whose blob is gone is a miss");
    }

    [TestMethod]
    public void Single_file_with_mode_override_goes_to_its_destination()
    {
        var file = Path.Combine(_dir, "motd");
        File.WriteAllText(file, "hi");
        var blob = new DeterministicLayerWriter(Path.Combine(_dir, "blobs"), new LayerOptions())
            .Write([new LayerSource(file, "/etc/team/motd.txt", (UnixFileMode)Convert.ToInt32("600", 8))]);
        var entries = Entries(blob.Path);
        CollectionAssert.AreEqual(new[] { "etc/", "etc/team/", "etc/team/motd.txt" }, entries.Select(e => e.Name).ToArray());
        Assert.AreEqual((UnixFileMode)Convert.ToInt32("600", 8), entries[^1].Mode);
    }

    [TestMethod]
    [DataRow("/app/../etc")]
    [DataRow("../escape")]
    public void Destinations_that_climb_out_of_the_root_are_refused(string destination)
    {
        Assert.ThrowsExactly<ArgumentException>(() => LayerPlan.NormalizeImagePath(destination));
    }

    [TestMethod]
    public void Missing_source_is_a_clear_error()
    {
        var error = Assert.ThrowsExactly<FileNotFoundException>(() => LayerPlan.Expand([new LayerSource(Path.Combine(_dir, "nope"), "/x")]));
        StringAssert.Contains(error.Message, "nope");
    }

    [TestMethod]
    public void SOURCE_DATE_EPOCH_sets_the_time_and_garbage_is_refused()
    {
        Assert.AreEqual(DateTimeOffset.UnixEpoch, LayerOptions.TimestampFromSourceDateEpoch(null));
        Assert.AreEqual(DateTimeOffset.FromUnixTimeSeconds(1700000000), LayerOptions.TimestampFromSourceDateEpoch("1700000000"));
        Assert.ThrowsExactly<FormatException>(() => LayerOptions.TimestampFromSourceDateEpoch("-5"));
    }

    [TestMethod]
    public void Incompressible_content_is_stored_never_grown_past_gzip_framing_and_text_is_compressed()
    {
        var random = Path.Combine(_dir, "random");
        Directory.CreateDirectory(random);
        var noise = new byte[3 << 20];
        new Random(20261201).NextBytes(noise);
        File.WriteAllBytes(Path.Combine(random, "noise.bin"), noise);
        var text = Path.Combine(_dir, "text");
        Directory.CreateDirectory(text);
        File.WriteAllText(Path.Combine(text, "app.json"), string.Concat(Enumerable.Repeat("{ \"Logging\": { \"LogLevel\": \"Information\" } }\n", 20000)));

        var writer = new DeterministicLayerWriter(Path.Combine(_dir, "blobs"), new LayerOptions());
        var stored = writer.Write([new LayerSource(random, "/data")]);
        var tarSize = TarSize(stored.Path);
        Assert.IsLessThanOrEqualTo(DeterministicLayerWriter.MaxStoredSize(tarSize), stored.Size, $"{stored.Size} bytes for a {tarSize}-byte tar");
        Assert.AreEqual(stored.Digest, writer.Write([new LayerSource(random, "/data")]).Digest, "the fallback is deterministic too");
        var compressed = writer.Write([new LayerSource(text, "/app")]);
        Assert.IsLessThan(TarSize(compressed.Path) / 20, compressed.Size, "repetitive text compresses");
    }

    private static long TarSize(string gz)
    {
        using var file = File.OpenRead(gz);
        using var gzip = new GZipStream(file, CompressionMode.Decompress);
        var counter = new MemoryStream();
        gzip.CopyTo(counter);
        return counter.Length;
    }
}
