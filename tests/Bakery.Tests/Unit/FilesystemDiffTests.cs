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
    public async Task Deleted_paths_become_whiteouts_and_their_children_are_not_visited()
    {
        var container = new FakeContainer().Dir("etc").Dir("opt");
        var entries = await Diff(container, ("/etc", FilesystemChangeKind.Modified), ("/etc/issue", FilesystemChangeKind.Deleted),
            ("/opt/old", FilesystemChangeKind.Deleted), ("/opt/old/a.txt", FilesystemChangeKind.Deleted), ("/opt", FilesystemChangeKind.Modified));

        CollectionAssert.AreEqual(new[] { "etc", "etc/.wh.issue", "opt", "opt/.wh.old" }, entries.Select(e => e.Path).ToArray());
        var whiteout = entries.Single(e => e.Path == "etc/.wh.issue");
        Assert.AreEqual(LayerPlan.EntryKind.File, whiteout.Kind);
        Assert.AreEqual(0L, new FileInfo(whiteout.SourcePath!).Length);
    }

    [TestMethod]
    public async Task An_added_directory_is_copied_whole_with_owners_modes_and_special_bits()
    {
        var container = new FakeContainer().Dir("opt")
            .Dir("opt/run", uid: 1234, gid: 1234, mode: 0b111_101_000)
            .File("opt/run/hello.txt", "ran\n", uid: 1234, gid: 1234)
            .File("opt/run/tool", "#!/bin/sh", mode: 0b100_111_101_101) // setuid 04755
            .Dir("opt/run/shared", mode: 0b010_111_111_101) // setgid 02775
            .Link("opt/run/latest", "hello.txt");
        var entries = await Diff(container, ("/opt", FilesystemChangeKind.Modified), ("/opt/run", FilesystemChangeKind.Added),
            ("/opt/run/hello.txt", FilesystemChangeKind.Added), ("/opt/run/tool", FilesystemChangeKind.Added));

        var byPath = entries.ToDictionary(e => e.Path);
        CollectionAssert.AreEquivalent(new[] { "opt", "opt/run", "opt/run/hello.txt", "opt/run/latest", "opt/run/shared", "opt/run/tool" }, byPath.Keys.ToArray());
        Assert.AreEqual((1234, 1234), (byPath["opt/run"].Uid, byPath["opt/run"].Gid));
        Assert.AreEqual((UnixFileMode)0b111_101_000, byPath["opt/run"].Mode);
        Assert.AreEqual("ran\n", Content(byPath["opt/run/hello.txt"]));
        Assert.AreEqual((UnixFileMode)0b100_111_101_101, byPath["opt/run/tool"].Mode, "setuid survives");
        Assert.AreEqual((UnixFileMode)0b010_111_111_101, byPath["opt/run/shared"].Mode, "setgid survives");
        Assert.AreEqual("hello.txt", byPath["opt/run/latest"].LinkTarget);
        Assert.AreEqual(1, container.Exports.Count(e => e.StartsWith("/opt/run", StringComparison.Ordinal)), "the added folder is copied once, not once per child");
    }

    [TestMethod]
    public async Task Owners_come_from_the_whole_filesystem_export_when_the_engine_copies_as_root()
    {
        var container = new FakeContainer { RootOwnedCopies = true }
            .Dir("opt").Dir("opt/run", uid: 1234, gid: 1234).File("opt/run/hello.txt", "ran\n", uid: 1234, gid: 99)
            .Dir("srv", uid: 5, gid: 5).File("etc-unchanged", "x", uid: 77, gid: 77);
        var entries = (await Diff(container, ("/opt", FilesystemChangeKind.Modified), ("/opt/run", FilesystemChangeKind.Added),
            ("/srv", FilesystemChangeKind.Modified), ("/srv/gone", FilesystemChangeKind.Deleted))).ToDictionary(e => e.Path);

        Assert.AreEqual((1234, 99), (entries["opt/run/hello.txt"].Uid, entries["opt/run/hello.txt"].Gid));
        Assert.AreEqual((1234, 1234), (entries["opt/run"].Uid, entries["opt/run"].Gid));
        Assert.AreEqual((5, 5), (entries["srv"].Uid, entries["srv"].Gid));
        Assert.AreEqual((0, 0), (entries["srv/.wh.gone"].Uid, entries["srv/.wh.gone"].Gid), "whiteouts stay root's");
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
        var container = new FakeContainer().Dir("var").Dir("var/cache").File("var/cache/fresh", "1");
        var entries = await Diff(container, ("/var", FilesystemChangeKind.Modified), ("/var/cache", FilesystemChangeKind.Deleted),
            ("/var/cache/fresh", FilesystemChangeKind.Added));

        CollectionAssert.AreEqual(new[] { "var", "var/cache", "var/cache/.wh..wh..opq", "var/cache/fresh" }, entries.Select(e => e.Path).ToArray());
    }

    [TestMethod]
    public async Task Hard_links_become_copies_whether_their_file_is_in_the_same_copy_or_not()
    {
        var container = new FakeContainer().Dir("data").File("data/a", "same inode").HardLink("data/b", "data/a")
            .Dir("etc").File("etc/original", "outside").HardLink("data/c", "etc/original");
        var entries = await Diff(container, ("/data", FilesystemChangeKind.Added));

        var byPath = entries.ToDictionary(e => e.Path);
        Assert.AreEqual("same inode", Content(byPath["data/b"]));
        Assert.AreEqual("outside", Content(byPath["data/c"]), "a link to a file outside the copy is read on its own");
        Assert.AreEqual(LayerPlan.EntryKind.File, byPath["data/c"].Kind);
    }

    [TestMethod]
    public async Task Relative_symlinks_that_climb_above_the_copied_folder_are_kept()
    {
        var container = new FakeContainer().Dir("usr").Dir("usr/local").Dir("usr/local/bin").Link("usr/local/bin/tool", "../lib/tool/run");
        var entries = await Diff(container, ("/usr/local/bin", FilesystemChangeKind.Modified), ("/usr/local/bin/tool", FilesystemChangeKind.Added));

        Assert.AreEqual("../lib/tool/run", entries.Single(e => e.Path == "usr/local/bin/tool").LinkTarget);
    }

    [TestMethod]
    public async Task Duplicate_unordered_and_unnormalised_changes_give_one_entry_each()
    {
        var container = new FakeContainer().Dir("tmp").File("tmp/x", "x");
        var entries = await Diff(container, ("/tmp/x", FilesystemChangeKind.Added), ("//tmp/./x", FilesystemChangeKind.Added), ("/tmp/", FilesystemChangeKind.Modified), ("/", FilesystemChangeKind.Modified));

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

    /// <summary>A container filesystem in memory; exports are tars named from the exported path's last component, as dockerd writes them.</summary>
    private sealed class FakeContainer : IContainerFilesystem
    {
        private sealed record Node(TarEntryType Type, int Mode, int Uid, int Gid, string? Content, string? Link);

        private readonly SortedDictionary<string, Node> _nodes = new(StringComparer.Ordinal);

        public List<string> Exports { get; } = [];

        /// <summary>As podman's archive API: every copied entry reported as root's; only the whole-filesystem export has the owners.</summary>
        public bool RootOwnedCopies { get; init; }

        public bool CopiesKeepOwners => !RootOwnedCopies;

        public Task<Stream> ExportFilesystemAsync(CancellationToken ct)
        {
            var buffer = new MemoryStream();
            using (var tar = new TarWriter(buffer, TarEntryFormat.Pax, leaveOpen: true))
                foreach (var (name, node) in _nodes.Where(n => n.Value.Type is TarEntryType.Directory or TarEntryType.RegularFile or TarEntryType.SymbolicLink))
                {
                    var entry = new PaxTarEntry(node.Type, name + (node.Type == TarEntryType.Directory ? "/" : "")) { Mode = (UnixFileMode)node.Mode, Uid = node.Uid, Gid = node.Gid };
                    if (node.Type == TarEntryType.SymbolicLink) entry.LinkName = node.Link!;
                    if (node.Content is not null) entry.DataStream = new MemoryStream(Encoding.UTF8.GetBytes(node.Content));
                    tar.WriteEntry(entry);
                }
            buffer.Position = 0;
            return Task.FromResult<Stream>(buffer);
        }

        public FakeContainer Dir(string path, int mode = 0b111_101_101, int uid = 0, int gid = 0) => Add(path, new Node(TarEntryType.Directory, mode, uid, gid, null, null));
        public FakeContainer File(string path, string content, int mode = 0b110_100_100, int uid = 0, int gid = 0) => Add(path, new Node(TarEntryType.RegularFile, mode, uid, gid, content, null));
        public FakeContainer Link(string path, string target) => Add(path, new Node(TarEntryType.SymbolicLink, 0b111_111_111, 0, 0, null, target));
        public FakeContainer HardLink(string path, string target) => Add(path, new Node(TarEntryType.HardLink, 0b110_100_100, 0, 0, null, target));
        public FakeContainer Fifo(string path) => Add(path, new Node(TarEntryType.Fifo, 0b110_100_100, 0, 0, null, null));

        private FakeContainer Add(string path, Node node)
        {
            _nodes[path] = node;
            return this;
        }

        public Task<ContainerPathStat?> StatAsync(string path, CancellationToken ct)
        {
            var key = path.Trim('/');
            if (!_nodes.TryGetValue(key, out var node)) return Task.FromResult<ContainerPathStat?>(null);
            var mode = (uint)node.Mode | node.Type switch { TarEntryType.Directory => 0x80000000u, TarEntryType.SymbolicLink => 0x08000000u, _ => 0u };
            return Task.FromResult<ContainerPathStat?>(new ContainerPathStat(key[(key.LastIndexOf('/') + 1)..], node.Content?.Length ?? 0, mode, node.Link));
        }

        public Task<Stream> ExportAsync(string path, CancellationToken ct)
        {
            var key = path.Trim('/');
            Exports.Add(path);
            var parent = key.Contains('/') ? key[..key.LastIndexOf('/')] + "/" : "";
            var buffer = new MemoryStream();
            var written = new HashSet<string>(StringComparer.Ordinal);
            using (var tar = new TarWriter(buffer, TarEntryFormat.Pax, leaveOpen: true))
                foreach (var (name, node) in _nodes.Where(n => n.Key == key || n.Key.StartsWith(key + "/", StringComparison.Ordinal)))
                {
                    var type = node.Type;
                    // A hard link to a file outside the copy is written as that file, as the engine does.
                    if (type == TarEntryType.HardLink && !written.Contains(node.Link!)) type = TarEntryType.RegularFile;
                    var content = type == TarEntryType.RegularFile ? node.Content ?? _nodes[node.Link!].Content : null;
                    var entry = new PaxTarEntry(type, name[parent.Length..] + (type == TarEntryType.Directory ? "/" : ""))
                    {
                        Mode = (UnixFileMode)node.Mode,
                        Uid = RootOwnedCopies ? 0 : node.Uid,
                        Gid = RootOwnedCopies ? 0 : node.Gid,
                    };
                    if (type is TarEntryType.SymbolicLink) entry.LinkName = node.Link!;
                    if (type is TarEntryType.HardLink) entry.LinkName = node.Link![parent.Length..];
                    if (content is not null) entry.DataStream = new MemoryStream(Encoding.UTF8.GetBytes(content));
                    tar.WriteEntry(entry);
                    written.Add(name);
                }
            buffer.Position = 0;
            return Task.FromResult<Stream>(buffer);
        }
    }
}
