using System.Text.Json;
using Bakery.Core;
using Bakery.Core.Descriptors;

namespace Bakery.Tests.Unit;

[TestClass]
public sealed class DescriptorTests
{
    private const string Digest = "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

    private static string Json(string image = $$"""{"registry":"localhost:5000","repository":"base/runtime","digest":"{{Digest}}"}""",
        string extra = "") => $$"""
        {
          "schemaVersion": 1,
          "id": "Contoso.BaseImages.Runtime",
          "version": "10.0.3",
          "image": {{image}},
          "lifecycle": { "published": "2026-01-01", "expiresOn": "2027-01-01", "successor": "Contoso.BaseImages.Runtime 11.0.0" }{{extra}}
        }
        """;

    [TestMethod]
    public void Valid_descriptor_reads_every_field()
    {
        var d = DescriptorReader.Parse(Json(extra: """, "lineage": [{"repository":"localhost:5000/upstream/debian","digest":"sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855","packageId":"Up","packageVersion":"1.0.0"}], "environment": {"user":"app","workdir":"/app"}"""), "image.json", "pkg");
        Assert.AreEqual("Contoso.BaseImages.Runtime", d.Id);
        Assert.AreEqual($"localhost:5000/base/runtime@{Digest}", d.PinnedReference);
        Assert.AreEqual(new DateTimeOffset(2027, 1, 1, 0, 0, 0, TimeSpan.Zero), d.Lifecycle.ExpiresOn);
        Assert.AreEqual("Up", d.Lineage[0].PackageId);
        Assert.AreEqual("app", d.Environment.User);
    }

    [TestMethod]
    [DataRow("""{"registry":"localhost:5000","repository":"base/runtime"}""", "'image.digest' is missing")]
    [DataRow("""{"registry":"localhost:5000","repository":"base/runtime","digest":"sha256:nothex"}""", "'image.digest'")]
    [DataRow("""{"repository":"base/runtime","digest":"sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"}""", "'image.registry' is missing")]
    [DataRow("""{"registry":"localhost:5000","repository":"Base Runtime","digest":"sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"}""", "'image.repository'")]
    public void Invalid_image_fields_are_BAKE203_naming_the_field(string image, string expected)
    {
        var error = Assert.ThrowsExactly<BakeryException>(() => DescriptorReader.Parse(Json(image), "image.json", "pkg 1.0"));
        Assert.AreEqual("BAKE203", error.Code);
        StringAssert.Contains(error.Message, expected);
        StringAssert.Contains(error.Message, "pkg 1.0");
    }

    [TestMethod]
    public void Wrong_type_names_the_json_path_and_line()
    {
        var error = Assert.ThrowsExactly<BakeryException>(() => DescriptorReader.Parse(Json(extra: """, "lifecycle2": 1, "verify": "not-a-list" """), "image.json", "pkg"));
        Assert.AreEqual("BAKE203", error.Code);
        StringAssert.Contains(error.Message, "field 'verify'");
        StringAssert.Contains(error.Message, "line 6");
    }

    [TestMethod]
    public void Version_must_be_a_NuGet_version_and_schema_must_be_known()
    {
        var badVersion = Json().Replace("\"10.0.3\"", "\"ten\"");
        StringAssert.Contains(Assert.ThrowsExactly<BakeryException>(() => DescriptorReader.Parse(badVersion, "f", "p")).Message, "'version'");
        var future = Json().Replace("\"schemaVersion\": 1", "\"schemaVersion\": 2");
        StringAssert.Contains(Assert.ThrowsExactly<BakeryException>(() => DescriptorReader.Parse(future, "f", "p")).Message, "'schemaVersion'");
    }

    [TestMethod]
    public void Missing_file_is_BAKE203()
    {
        var error = Assert.ThrowsExactly<BakeryException>(() => DescriptorReader.Load("/nonexistent/image.json", "pkg"));
        Assert.AreEqual("BAKE203", error.Code);
    }

    [TestMethod]
    public void Round_trip_through_json_keeps_the_descriptor()
    {
        var d = DescriptorReader.Parse(Json(), "f", "p");
        var again = DescriptorReader.Parse(JsonSerializer.Serialize(d), "f", "p");
        Assert.AreEqual(d.PinnedReference, again.PinnedReference);
        Assert.AreEqual(d.Lifecycle, again.Lifecycle);
    }
}
