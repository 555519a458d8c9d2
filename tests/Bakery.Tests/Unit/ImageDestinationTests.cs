using Bakery.Core;
using Bakery.Core.Baking.Destinations;
using Bakery.Core.Containers;
using Bakery.Core.Tags;
using Bakery.Oci.Archives;

namespace Bakery.Tests.Unit;

/// <summary>Where a bake's image goes, decided from ContainerRegistry, LocalRegistry, ContainerArchiveOutputPath and ContainerImageFormat as the .NET SDK decides it.</summary>
[TestClass]
public sealed class ImageDestinationTests
{
    [TestMethod]
    public void ContainerRegistry_set_is_a_push()
    {
        var d = ImageDestination.Decide("registry.contoso.com", "team/app", null, null, null);
        Assert.AreEqual(DestinationKind.Registry, d.Kind);
        Assert.AreEqual("registry.contoso.com/team/app", d.Name);
    }

    [TestMethod]
    [DataRow(null, null)]
    [DataRow("Docker", ContainerEngineKind.Docker)]
    [DataRow("podman", ContainerEngineKind.Podman)]
    public void No_registry_loads_into_the_local_engine_LocalRegistry_names_it(string? localRegistry, ContainerEngineKind? engine)
    {
        var d = ImageDestination.Decide(null, "team/app", localRegistry, null, null);
        Assert.AreEqual(DestinationKind.LocalEngine, d.Kind);
        Assert.AreEqual(engine, d.Engine);
        Assert.AreEqual("team/app", d.Name, "named as docker names a loaded image: the repository, no registry");
    }

    [TestMethod]
    public void An_unknown_LocalRegistry_or_ContainerImageFormat_is_BAKE502()
    {
        Assert.AreEqual("BAKE502", Assert.ThrowsExactly<BakeryException>(() => ImageDestination.Decide(null, "a", "containerd", null, null)).Code);
        Assert.AreEqual("BAKE502", Assert.ThrowsExactly<BakeryException>(() => ImageFormats.Parse("Docker2")).Code);
        Assert.AreEqual(ImageFormat.Oci, ImageFormats.Parse("OCI"));
        Assert.AreEqual(ImageFormat.Docker, ImageFormats.Parse("docker"));
        Assert.IsNull(ImageFormats.Parse(""));
    }

    [TestMethod]
    public void An_archive_path_wins_over_the_registry_a_folder_gets_the_repository_name()
    {
        var folder = Infrastructure.TestPaths.NewTempDirectory("dest");
        try
        {
            var file = ImageDestination.Decide("registry.contoso.com", "team/app", null, Path.Combine(folder, "out.tar"), null);
            Assert.AreEqual(DestinationKind.Archive, file.Kind, "as in the SDK, ContainerArchiveOutputPath decides before ContainerRegistry");
            Assert.AreEqual(Path.Combine(folder, "out.tar"), file.ArchivePath);
            Assert.AreEqual(ImageArchiveFormat.Docker, file.ArchiveFormat, "a docker-archive unless ContainerImageFormat=OCI");

            var existing = ImageDestination.Decide(null, "team/app", null, folder, ImageFormat.Oci);
            Assert.AreEqual(Path.Combine(folder, "team", "app.tar.gz"), existing.ArchivePath, "an existing folder gets <repository>.tar.gz, as in the SDK");
            Assert.AreEqual(ImageArchiveFormat.Oci, existing.ArchiveFormat);

            var named = ImageDestination.Decide(null, "app", null, Path.Combine(folder, "new") + "/", null);
            Assert.AreEqual(Path.Combine(folder, "new", "app.tar.gz"), named.ArchivePath, "a trailing separator means a folder, even one not made yet");
        }
        finally { Directory.Delete(folder, recursive: true); }
    }

    [TestMethod]
    public void Without_a_registry_the_tags_name_the_repository_alone()
    {
        var target = ImageTarget.Decide(null, "team/app", "1.0.0", null, null, false, _ => null);
        Assert.IsNull(target.Registry);
        Assert.AreEqual("team/app", target.Image);
        StringAssert.Contains(target.Tags.Diagnostics.Single().Message, "team/app is tagged 1.0.0-local");
        Assert.IsNull(ImageTarget.Decide("registry.contoso.com", "team/app", "1.0.0", "7", null, false, _ => null, archiveOutputPath: "/tmp/x.tar").Registry,
            "an archive destination pushes nowhere");
    }

    [TestMethod]
    public void A_base_layer_keeps_its_bytes_and_takes_the_name_the_other_manifest_flavour_gives_it()
    {
        Assert.AreEqual(Bakery.Oci.Model.MediaTypes.OciLayerGzip, Bakery.Oci.Model.MediaTypes.LayerIn(Bakery.Oci.Model.MediaTypes.DockerLayerGzip, Bakery.Oci.Model.MediaTypes.OciManifest));
        Assert.AreEqual(Bakery.Oci.Model.MediaTypes.DockerLayerGzip, Bakery.Oci.Model.MediaTypes.LayerIn(Bakery.Oci.Model.MediaTypes.OciLayerGzip, Bakery.Oci.Model.MediaTypes.DockerManifest));
        Assert.AreEqual(Bakery.Oci.Model.MediaTypes.OciLayerZstd, Bakery.Oci.Model.MediaTypes.LayerIn(Bakery.Oci.Model.MediaTypes.OciLayerZstd, Bakery.Oci.Model.MediaTypes.DockerManifest), "no Docker name for zstd: kept");
        Assert.AreEqual(Bakery.Oci.Model.MediaTypes.OciLayerGzip, Bakery.Oci.Model.MediaTypes.LayerIn(Bakery.Oci.Model.MediaTypes.OciLayerGzip, Bakery.Oci.Model.MediaTypes.OciManifest));
    }
}
