using Bakery.Core;
using Bakery.Core.Verification;
using Bakery.Oci.Layers;
using Bakery.Tests.Infrastructure;

namespace Bakery.Tests.Unit;

/// <summary>What a person reads about a layer: its hazards as warnings by kind, and a layer file that is gone as BAKE323.</summary>
[TestClass]
public sealed class LayerDiagnosticsTests
{
    [TestMethod]
    public void Hazards_become_one_warning_per_layer_and_kind_with_their_codes()
    {
        var dir = TestPaths.NewTempDirectory("hazards");
        try
        {
            var layer = Path.Combine(dir, "layer.tar");
            File.WriteAllBytes(layer, new RawTar()
                .Entry("usr/bin/su", data: "x"u8.ToArray(), mode: Convert.ToInt32("4755", 8))
                .Pax(("SCHILY.xattr.user.comment", "hello"))
                .File("etc/note.txt", "hi")
                .Entry("dev/null", type: '3')
                .Build());
            var fs = ImageFilesystem.Load([new LayerFile("sha256:" + new string('a', 64), layer)], Path.Combine(dir, "index"), "registry.example/app@sha256:…");
            var warnings = LayerHazardWarnings.For(fs, "registry.example/app");
            CollectionAssert.AreEqual(new[] { "BAKE325", "BAKE326", "BAKE327" }, warnings.Select(w => w.Code).ToArray(), string.Join("\n", warnings));
            Assert.IsTrue(warnings.All(w => !w.IsError));
            StringAssert.Contains(warnings.Single(w => w.Code == "BAKE326").Message, "usr/bin/su");
            StringAssert.Contains(warnings.Single(w => w.Code == "BAKE327").Message, "etc/note.txt");
        }
        finally { Directory.Delete(dir, recursive: true); }
    }

    [TestMethod]
    public void A_layer_file_that_cannot_be_read_is_BAKE323_naming_image_layer_and_path()
    {
        var dir = TestPaths.NewTempDirectory("unreadable");
        try
        {
            var missing = Path.Combine(dir, "gone.tar.gz");
            var error = Assert.ThrowsExactly<BakeryException>(() =>
                ImageFilesystem.Load([new LayerFile("sha256:" + new string('b', 64), missing)], Path.Combine(dir, "index"), "registry.example/app@sha256:x"));
            Assert.AreEqual("BAKE323", error.Code);
            StringAssert.Contains(error.Message, "registry.example/app");
            StringAssert.Contains(error.Message, missing);
        }
        finally { Directory.Delete(dir, recursive: true); }
    }
}
