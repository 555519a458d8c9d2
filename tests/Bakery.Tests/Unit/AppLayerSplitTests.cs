using System.Text.Json;
using Bakery.Core;
using Bakery.Core.Baking;
using Bakery.Oci.Layers;

namespace Bakery.Tests.Unit;

/// <summary>How a published app is split into layers by change rate (BakeryAppLayers), from its deps.json alone.</summary>
[TestClass]
public sealed class AppLayerSplitTests
{
    /// <summary>A portable web app's deps.json as the SDK writes it: a project reference, packages with managed, resource and RID-specific assets.</summary>
    private const string PortableDeps = """
        {
          "runtimeTarget": { "name": ".NETCoreApp,Version=v10.0", "signature": "" },
          "targets": {
            ".NETCoreApp,Version=v10.0": {
              "web/1.0.0": { "dependencies": { "Lib": "1.0.0", "Newtonsoft.Json": "13.0.3" }, "runtime": { "web.dll": {} } },
              "Lib/1.0.0": { "runtime": { "Lib.dll": {} } },
              "Newtonsoft.Json/13.0.3": { "runtime": { "lib/net6.0/Newtonsoft.Json.dll": { "assemblyVersion": "13.0.0.0" } } },
              "Humanizer.Core.de/2.14.1": { "resources": { "lib/netstandard2.0/de/Humanizer.resources.dll": { "locale": "de" } } },
              "SQLitePCLRaw.lib.e_sqlite3/2.1.10": {
                "runtimeTargets": {
                  "runtimes/linux-x64/native/libe_sqlite3.so": { "rid": "linux-x64", "assetType": "native" },
                  "runtimes/win-x64/native/e_sqlite3.dll": { "rid": "win-x64", "assetType": "native" }
                }
              },
              "Grpc.Core/2.46.6": { "native": { "runtimes/linux-x64/native/libgrpc_csharp_ext.x64.so": {} } }
            }
          },
          "libraries": {
            "web/1.0.0": { "type": "project", "serviceable": false, "sha512": "" },
            "Lib/1.0.0": { "type": "project", "serviceable": false, "sha512": "" },
            "Newtonsoft.Json/13.0.3": { "type": "package", "serviceable": true, "sha512": "sha512-x" },
            "Humanizer.Core.de/2.14.1": { "type": "package", "serviceable": true, "sha512": "sha512-x" },
            "SQLitePCLRaw.lib.e_sqlite3/2.1.10": { "type": "package", "serviceable": true, "sha512": "sha512-x" },
            "Grpc.Core/2.46.6": { "type": "package", "serviceable": true, "sha512": "sha512-x" }
          }
        }
        """;

    private static readonly HashSet<string> PortableFiles =
    [
        "web.dll", "web.pdb", "web.deps.json", "web.runtimeconfig.json", "appsettings.json", "wwwroot/site.css", "Lib.dll",
        "Newtonsoft.Json.dll", "Newtonsoft.Json.xml", "de/Humanizer.resources.dll",
        "runtimes/linux-x64/native/libe_sqlite3.so", "runtimes/win-x64/native/e_sqlite3.dll", "libgrpc_csharp_ext.x64.so",
    ];

    private static Dictionary<string, string> Claims(string deps, ISet<string> files)
    {
        using var document = JsonDocument.Parse(deps);
        return AppLayers.Claims(document.RootElement, files.Contains);
    }

    private static List<LayerPlan.Entry> Entries(IEnumerable<string> files, string root = "app")
    {
        var entries = new SortedDictionary<string, LayerPlan.Entry>(StringComparer.Ordinal);
        foreach (var file in files)
        {
            var path = $"{root}/{file}";
            entries[path] = new LayerPlan.Entry(path, LayerPlan.EntryKind.File, (UnixFileMode)0b110_100_100, "/src/" + file, null);
            for (var slash = path.LastIndexOf('/'); slash > 0; slash = path.LastIndexOf('/', slash - 1))
                entries.TryAdd(path[..slash], new LayerPlan.Entry(path[..slash], LayerPlan.EntryKind.Directory, (UnixFileMode)0b111_101_101, null, null));
        }
        return entries.Values.ToList();
    }

    private static string[] Files(AppLayers.Group group) => group.Entries.Where(e => e.Kind != LayerPlan.EntryKind.Directory).Select(e => e.Path).ToArray();

    [TestMethod]
    public void Package_assets_native_assets_and_the_project_go_to_their_own_layers()
    {
        var claims = Claims(PortableDeps, PortableFiles);
        var groups = AppLayers.Split(Entries(PortableFiles), "app", claims);

        CollectionAssert.AreEqual(new[] { AppLayers.Native, AppLayers.Packages, AppLayers.Project }, groups.Select(g => g.Name).ToArray(), "bottom first; no runtime layer for a framework-dependent app");
        CollectionAssert.AreEquivalent(new[] { "app/runtimes/linux-x64/native/libe_sqlite3.so", "app/runtimes/win-x64/native/e_sqlite3.dll", "app/libgrpc_csharp_ext.x64.so" },
            Files(groups[0]), "runtimeTargets keep their runtimes/ path in a portable app; native assets of a RID-specific one are flat");
        CollectionAssert.AreEquivalent(new[] { "app/Newtonsoft.Json.dll", "app/Newtonsoft.Json.xml", "app/de/Humanizer.resources.dll" }, Files(groups[1]),
            "managed assets by file name, satellite resources under their culture, a package's xml doc with its assembly");
        CollectionAssert.AreEquivalent(new[] { "app/web.dll", "app/web.pdb", "app/web.deps.json", "app/web.runtimeconfig.json", "app/appsettings.json", "app/wwwroot/site.css", "app/Lib.dll" },
            Files(groups[2]), "the project's own output and its project references stay together");
    }

    [TestMethod]
    public void Folders_go_with_the_files_below_them_and_every_layer_has_the_app_root()
    {
        var groups = AppLayers.Split(Entries(PortableFiles), "app", Claims(PortableDeps, PortableFiles));
        var folders = groups.ToDictionary(g => g.Name, g => g.Entries.Where(e => e.Kind == LayerPlan.EntryKind.Directory).Select(e => e.Path).ToArray());

        foreach (var (name, dirs) in folders) CollectionAssert.Contains(dirs, "app", $"{name} has the app root, so each layer unpacks on its own");
        CollectionAssert.AreEquivalent(new[] { "app", "app/runtimes", "app/runtimes/linux-x64", "app/runtimes/linux-x64/native", "app/runtimes/win-x64", "app/runtimes/win-x64/native" }, folders[AppLayers.Native]);
        CollectionAssert.AreEquivalent(new[] { "app", "app/de" }, folders[AppLayers.Packages]);
        CollectionAssert.AreEquivalent(new[] { "app", "app/wwwroot" }, folders[AppLayers.Project]);
        var all = groups.SelectMany(g => g.Entries.Where(e => e.Kind != LayerPlan.EntryKind.Directory)).Select(e => e.Path).ToList();
        Assert.HasCount(PortableFiles.Count, all, "every file is in exactly one layer");
        Assert.HasCount(all.Count, all.Distinct());
    }

    [TestMethod]
    public void A_self_contained_app_gets_a_runtime_layer_below_the_packages()
    {
        const string deps = """
            {
              "runtimeTarget": { "name": ".NETCoreApp,Version=v10.0/linux-x64" },
              "targets": {
                ".NETCoreApp,Version=v10.0": {},
                ".NETCoreApp,Version=v10.0/linux-x64": {
                  "app/1.0.0": { "dependencies": { "Newtonsoft.Json": "13.0.3" }, "runtime": { "app.dll": {} } },
                  "runtimepack.Microsoft.NETCore.App.Runtime.linux-x64/10.0.0": {
                    "runtime": { "System.Private.CoreLib.dll": {}, "System.Runtime.dll": {} },
                    "native": { "libcoreclr.so": {}, "libhostfxr.so": {}, "createdump": {} }
                  },
                  "Newtonsoft.Json/13.0.3": { "runtime": { "lib/net6.0/Newtonsoft.Json.dll": {} } },
                  "Microsoft.Data.SqlClient.SNI.runtime/6.0.2": { "native": { "runtimes/linux-x64/native/libsni.so": {} } }
                }
              },
              "libraries": {
                "app/1.0.0": { "type": "project" },
                "runtimepack.Microsoft.NETCore.App.Runtime.linux-x64/10.0.0": { "type": "runtimepack" },
                "Newtonsoft.Json/13.0.3": { "type": "package" },
                "Microsoft.Data.SqlClient.SNI.runtime/6.0.2": { "type": "package" }
              }
            }
            """;
        HashSet<string> files = ["app", "app.dll", "app.deps.json", "app.runtimeconfig.json", "System.Private.CoreLib.dll", "System.Runtime.dll", "libcoreclr.so", "libhostfxr.so", "createdump", "Newtonsoft.Json.dll", "libsni.so"];
        var groups = AppLayers.Split(Entries(files), "app", Claims(deps, files));

        CollectionAssert.AreEqual(new[] { AppLayers.Runtime, AppLayers.Native, AppLayers.Packages, AppLayers.Project }, groups.Select(g => g.Name).ToArray());
        CollectionAssert.AreEquivalent(new[] { "app/System.Private.CoreLib.dll", "app/System.Runtime.dll", "app/libcoreclr.so", "app/libhostfxr.so", "app/createdump" }, Files(groups[0]),
            "the runtime target of a RID-specific app is read (runtimeTarget.name), its runtime pack is the runtime layer");
        CollectionAssert.AreEquivalent(new[] { "app/libsni.so" }, Files(groups[1]));
        CollectionAssert.AreEquivalent(new[] { "app/app", "app/app.dll", "app/app.deps.json", "app/app.runtimeconfig.json" }, Files(groups[3]), "the apphost is the project's");
    }

    [TestMethod]
    public void The_split_depends_only_on_the_file_list_and_the_deps_json_not_on_their_order()
    {
        var claims = Claims(PortableDeps, PortableFiles);
        var one = AppLayers.Split(Entries(PortableFiles), "app", claims);
        var shuffled = AppLayers.Split(Entries(PortableFiles.Reverse()), "app", Claims(PortableDeps, new HashSet<string>(PortableFiles.Reverse())));
        CollectionAssert.AreEqual(one.Select(g => g.Name).ToArray(), shuffled.Select(g => g.Name).ToArray());
        for (var i = 0; i < one.Count; i++) CollectionAssert.AreEqual(one[i].Entries.ToArray(), shuffled[i].Entries.ToArray(), one[i].Name);
    }

    [TestMethod]
    public void A_file_two_libraries_claim_goes_to_the_layer_that_changes_more_often()
    {
        const string deps = """
            { "targets": { "t": {
                "runtimepack.Microsoft.NETCore.App.Runtime.linux-x64/10.0.0": { "runtime": { "System.Text.Json.dll": {} } },
                "System.Text.Json/10.0.1": { "runtime": { "lib/net10.0/System.Text.Json.dll": {} } } } },
              "libraries": { "runtimepack.Microsoft.NETCore.App.Runtime.linux-x64/10.0.0": { "type": "runtimepack" }, "System.Text.Json/10.0.1": { "type": "package" } } }
            """;
        Assert.AreEqual(AppLayers.Packages, Claims(deps, new HashSet<string> { "System.Text.Json.dll" })["System.Text.Json.dll"]);
    }

    [TestMethod]
    public void BakeryAppLayers_is_Split_or_Single()
    {
        Assert.AreEqual(AppLayerMode.Split, AppLayers.ParseMode(null));
        Assert.AreEqual(AppLayerMode.Split, AppLayers.ParseMode("split"));
        Assert.AreEqual(AppLayerMode.Single, AppLayers.ParseMode(" Single "));
        Assert.AreEqual("BAKE502", Assert.ThrowsExactly<BakeryException>(() => AppLayers.ParseMode("Many")).Code);
    }

    [TestMethod]
    public void A_publish_folder_without_a_deps_json_or_with_a_broken_one_is_one_layer()
    {
        var dir = Infrastructure.TestPaths.NewTempDirectory("applayers");
        try
        {
            File.WriteAllText(Path.Combine(dir, "app.dll"), "x");
            File.WriteAllText(Path.Combine(dir, "Newtonsoft.Json.dll"), "y");
            var details = new List<string>();
            var single = AppLayers.Plan(dir, "/app", AppLayerMode.Split, detail: details.Add);
            Assert.AreEqual(AppLayers.Project, single.Single().Name);
            StringAssert.Contains(details.Single(), "no *.deps.json");

            File.WriteAllText(Path.Combine(dir, "app.deps.json"), "{ \"targets\": [ broken");
            var warnings = new List<string>();
            Assert.AreEqual(AppLayers.Project, AppLayers.Plan(dir, "/app", AppLayerMode.Split, warnings.Add).Single().Name);
            StringAssert.Contains(warnings.Single(), "app.deps.json cannot be read");

            File.WriteAllText(Path.Combine(dir, "app.deps.json"), """{ "targets": { "t": { "Newtonsoft.Json/13.0.3": { "runtime": { "lib/net6.0/Newtonsoft.Json.dll": {} } } } }, "libraries": { "Newtonsoft.Json/13.0.3": { "type": "package" } } }""");
            var split = AppLayers.Plan(dir, "/app", AppLayerMode.Split);
            CollectionAssert.AreEqual(new[] { AppLayers.Packages, AppLayers.Project }, split.Select(g => g.Name).ToArray());
            Assert.AreEqual(AppLayers.Project, AppLayers.Plan(dir, "/app", AppLayerMode.Single).Single().Name, "Single keeps one layer");
        }
        finally { Directory.Delete(dir, recursive: true); }
    }
}
