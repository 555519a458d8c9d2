using System.Formats.Tar;
using System.Text;
using Bakery.Core.Containers;
using Bakery.Oci.Layers;

namespace Bakery.Tests.Unit;

/// <summary>docker diff to layer entries without a daemon: a container filesystem held in memory answers stat and docker-cp requests as an engine does.</summary>
[TestClass]
public sealed class FilesystemDiffTests
{
    private string _staging = null!;

    [TestInitialize]
    public void Create() => _staging = Directory.CreateTempSubdirectory("bakery-diff-").FullName;

    [TestCleanup]
    public void Delete() => Directory.Delete(_staging, recursive: true);

    private Task<IReadOnlyList<LayerPlan.Entry>> Diff(FakeContainer container, params (string Path, FilesystemChangeKind Kind)[] changes) =>
        FilesystemDiff.EntriesAsync(changes.Select(c => new FilesystemChange(c.Path, c.Kind)).ToList(), container, _staging, CancellationToken.None);

    private static string Content(LayerPlan.Entry entry) => File.ReadAllText(entry.SourcePath!);

    [TestMethod]
    public async Task Deleted_paths_become_whiteouts_and_deletions_below_them_are_not_visited()
    {
        var container = new FakeContainer().Dir("etc").Dir("opt");
        var entries = await Diff(container, ("/etc", FilesystemChangeKind.Modified), ("/etc/issue", FilesystemChangeKind.Deleted),
            ("/opt/old", FilesystemChangeKind.Deleted), ("/opt/old/a.txt", FilesystemChangeKind.Deleted), ("/opt", FilesystemChangeKind.Modified));

        CollectionAssert.AreEqual(new[] { "etc", "etc/.wh.issue", "opt", "opt/.wh.old" }, entries.Select(e => e.Path).ToArray());
        var whiteout = entries.Single(e => e.Path == "etc/.wh.issue");
        Assert.AreEqual(LayerPlan.EntryKind.File, whiteout.Kind);
        Assert.AreEqual(0L, new FileInfo(whiteout.SourcePath!).Length);
        Assert.AreEqual(1, container.FilesystemExports, "one pass over the export, however many paths changed");
        Assert.IsEmpty(container.PathExports);
    }

    [TestMethod]
    public async Task An_added_directory_is_taken_whole_with_owners_modes_and_special_bits()
    {
        var container = new FakeContainer().Dir("opt")
            .Dir("opt/run", uid: 1234, gid: 1234, mode: 0b111_101_000)
            .File("opt/run/hello.txt", "ran\n", uid: 1234, gid: 99)
            .File("opt/run/tool", "#!/bin/sh", mode: 0b100_111_101_101) // setuid 04755
            .Dir("opt/run/shared", mode: 0b010_111_111_101) // setgid 02775
            .Link("opt/run/latest", "hello.txt")
            .File("opt/unrelated", "not changed");
        var entries = await Diff(container, ("/opt", FilesystemChangeKind.Modified), ("/opt/run", FilesystemChangeKind.Added),
            ("/opt/run/hello.txt", FilesystemChangeKind.Added), ("/opt/run/tool", FilesystemChangeKind.Added));

        var byPath = entries.ToDictionary(e => e.Path);
        CollectionAssert.AreEquivalent(new[] { "opt", "opt/run", "opt/run/hello.txt", "opt/run/latest", "opt/run/shared", "opt/run/tool" }, byPath.Keys.ToArray());
        Assert.AreEqual((1234, 1234), (byPath["opt/run"].Uid, byPath["opt/run"].Gid));
        Assert.AreEqual((1234, 99), (byPath["opt/run/hello.txt"].Uid, byPath["opt/run/hello.txt"].Gid));
        Assert.AreEqual((UnixFileMode)0b111_101_000, byPath["opt/run"].Mode);
        Assert.AreEqual("ran\n", Content(byPath["opt/run/hello.txt"]));
        Assert.AreEqual((UnixFileMode)0b100_111_101_101, byPath["opt/run/tool"].Mode, "setuid survives");
        Assert.AreEqual((UnixFileMode)0b010_111_111_101, byPath["opt/run/shared"].Mode, "setgid survives");
        Assert.AreEqual("hello.txt", byPath["opt/run/latest"].LinkTarget);
    }

    [TestMethod]
    public async Task A_changed_directory_contributes_only_itself_and_its_changed_children()
    {
        var container = new FakeContainer()
            .Dir("srv", mode: 0b111_000_000, uid: 7, gid: 8)
            .File("srv/unchanged.bin", new string('x', 4096))
            .File("srv/new.txt", "new");
        var entries = await Diff(container, ("/srv", FilesystemChangeKind.Modified), ("/srv/new.txt", FilesystemChangeKind.Added));

        CollectionAssert.AreEqual(new[] { "srv", "srv/new.txt" }, entries.Select(e => e.Path).ToArray());
        var srv = entries[0];
        Assert.AreEqual(LayerPlan.EntryKind.Directory, srv.Kind);
        Assert.AreEqual((UnixFileMode)0b111_000_000, srv.Mode, "a chmod on a folder is kept");
        Assert.AreEqual((7, 8), (srv.Uid, srv.Gid), "a chown on a folder is kept");
    }

    [TestMethod]
    public async Task A_directory_deleted_and_made_again_becomes_opaque_with_its_new_children()
    {
        var container = new FakeContainer().Dir("var").Dir("var/cache").File("var/cache/fresh", "1").Dir("var/empty");
        var entries = await Diff(container, ("/var", FilesystemChangeKind.Modified), ("/var/cache", FilesystemChangeKind.Deleted),
            ("/var/cache/fresh", FilesystemChangeKind.Added), ("/var/cache/old", FilesystemChangeKind.Deleted), ("/var/empty", FilesystemChangeKind.Deleted));

        CollectionAssert.AreEqual(new[] { "var", "var/cache", "var/cache/.wh..wh..opq", "var/cache/fresh", "var/empty", "var/empty/.wh..wh..opq" },
            entries.Select(e => e.Path).ToArray(), "rm -rf and mkdir again: nothing of the old folder shows through, with or without new children");
    }

    [TestMethod]
    public async Task A_deleted_file_that_is_back_is_a_change_not_a_whiteout()
    {
        var container = new FakeContainer().Dir("etc").File("etc/motd", "new motd");
        var entries = await Diff(container, ("/etc", FilesystemChangeKind.Modified), ("/etc/motd", FilesystemChangeKind.Deleted));

        CollectionAssert.AreEqual(new[] { "etc", "etc/motd" }, entries.Select(e => e.Path).ToArray());
        Assert.AreEqual("new motd", Content(entries[1]));
    }

    [TestMethod]
    public async Task Hard_links_become_copies_whether_their_file_was_taken_or_not()
    {
        var container = new FakeContainer().Dir("etc").File("etc/original", "outside")
            .Dir("data").File("data/a", "same inode").HardLink("data/b", "data/a").HardLink("data/c", "etc/original");
        var entries = await Diff(container, ("/data", FilesystemChangeKind.Added));

        var byPath = entries.ToDictionary(e => e.Path);
        Assert.AreEqual("same inode", Content(byPath["data/b"]));
        Assert.AreEqual("outside", Content(byPath["data/c"]), "a link to a file outside what changed is read on its own");
        Assert.AreEqual(LayerPlan.EntryKind.File, byPath["data/c"].Kind);
        CollectionAssert.AreEqual(new[] { "/etc/original" }, container.PathExports);
        Assert.IsFalse(byPath.ContainsKey("etc/original"));
    }

    [TestMethod]
    public async Task Symlinks_keep_their_literal_target_even_when_it_climbs_or_dangles()
    {
        var container = new FakeContainer().Dir("usr").Dir("usr/local").Dir("usr/local/bin")
            .Link("usr/local/bin/tool", "../lib/tool/run").Link("usr/local/bin/gone", "/nowhere/at/all");
        var entries = await Diff(container, ("/usr/local/bin", FilesystemChangeKind.Modified), ("/usr/local/bin/tool", FilesystemChangeKind.Added),
            ("/usr/local/bin/gone", FilesystemChangeKind.Added));

        Assert.AreEqual("../lib/tool/run", entries.Single(e => e.Path == "usr/local/bin/tool").LinkTarget);
        Assert.AreEqual("/nowhere/at/all", entries.Single(e => e.Path == "usr/local/bin/gone").LinkTarget);
    }

    [TestMethod]
    public async Task Duplicate_unordered_and_unnormalised_changes_give_one_entry_each()
    {
        var container = new FakeContainer().Dir("tmp").File("tmp/x", "x");
        var entries = await Diff(container, ("/tmp/x", FilesystemChangeKind.Added), ("//tmp/./x", FilesystemChangeKind.Modified), ("/tmp/", FilesystemChangeKind.Modified), ("/", FilesystemChangeKind.Modified));

        CollectionAssert.AreEqual(new[] { "tmp", "tmp/x" }, entries.Select(e => e.Path).ToArray());
    }

    [TestMethod]
    public async Task Devices_and_vanished_paths_are_refused_with_the_reason()
    {
        var withFifo = new FakeContainer().Dir("run").Fifo("run/pipe");
        var fifo = await Assert.ThrowsExactlyAsync<ContainerDiffException>(() => Diff(withFifo, ("/run/pipe", FilesystemChangeKind.Added)));
        StringAssert.Contains(fifo.Message, "/run/pipe is a device node or FIFO");

        var vanished = await Assert.ThrowsExactlyAsync<ContainerDiffException>(() => Diff(new FakeContainer(), ("/gone", FilesystemChangeKind.Added)));
        StringAssert.Contains(vanished.Message, "/gone");
    }

    /// <summary>A container filesystem in memory, exported in the order it was made (a hard link after its file), as dockerd and podman write exports.</summary>
    private sealed class FakeContainer : IContainerFilesystem
    {
        private sealed record Node(string Path, TarEntryType Type, int Mode, int Uid, int Gid, string? Content, string? Link);

        private readonly List<Node> _nodes = [];

        public int FilesystemExports { get; private set; }
        public List<string> PathExports { get; } = [];

        public FakeContainer Dir(string path, int mode = 0b111_101_101, int uid = 0, int gid = 0) => Add(new Node(path, TarEntryType.Directory, mode, uid, gid, null, null));
        public FakeContainer File(string path, string content, int mode = 0b110_100_100, int uid = 0, int gid = 0) => Add(new Node(path, TarEntryType.RegularFile, mode, uid, gid, content, null));
        public FakeContainer Link(string path, string target) => Add(new Node(path, TarEntryType.SymbolicLink, 0b111_111_111, 0, 0, null, target));
        public FakeContainer HardLink(string path, string target) => Add(new Node(path, TarEntryType.HardLink, 0b110_100_100, 0, 0, null, target));
        public FakeContainer Fifo(string path) => Add(new Node(path, TarEntryType.Fifo, 0b110_100_100, 0, 0, null, null));

        private FakeContainer Add(Node node)
        {
            _nodes.Add(node);
            return this;
        }

        public Task<Stream> ExportFilesystemAsync(CancellationToken ct)
        {
            FilesystemExports++;
            return Task.FromResult<Stream>(Tar(_nodes.Select(n => (n.Path, n))));
        }

        public Task<Stream?> ExportAsync(string path, CancellationToken ct)
        {
            PathExports.Add(path);
            var node = _nodes.FirstOrDefault(n => n.Path == path.Trim('/'));
            if (node is null) return Task.FromResult<Stream?>(null);
            // A single hard-linked file is copied as the file it is.
            return Task.FromResult<Stream?>(Tar([(node.Path[(node.Path.LastIndexOf('/') + 1)..], node)]));
        }

        private MemoryStream Tar(IEnumerable<(string Name, Node Node)> nodes)
        {
            var buffer = new MemoryStream();
            using (var tar = new TarWriter(buffer, TarEntryFormat.Pax, leaveOpen: true))
                foreach (var (name, node) in nodes)
                {
                    var entry = new PaxTarEntry(node.Type, name + (node.Type == TarEntryType.Directory ? "/" : ""))
                    {
                        Mode = (UnixFileMode)node.Mode,
                        Uid = node.Uid,
                        Gid = node.Gid,
                    };
                    if (node.Type is TarEntryType.SymbolicLink or TarEntryType.HardLink) entry.LinkName = node.Link!;
                    if (node.Content is not null) entry.DataStream = new MemoryStream(Encoding.UTF8.GetBytes(node.Content));
                    tar.WriteEntry(entry);
                }
            buffer.Position = 0;
            return buffer;
        }
    }
}
