using Bakery.Oci.Model;

namespace Bakery.Tests.Unit;

[TestClass]
public sealed class DigestAndReferenceTests
{
    private const string Hex = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

    [TestMethod]
    public void Digest_of_empty_content_is_the_well_known_sha256()
    {
        Assert.AreEqual($"sha256:{Hex}", Digest.Compute([]).ToString());
        Assert.IsTrue(Digest.Parse($"sha256:{Hex}").Matches([]));
        Assert.IsFalse(Digest.Parse($"sha256:{Hex}").Matches("x"u8));
    }

    [TestMethod]
    [DataRow("sha256:abc")]
    [DataRow("sha256:" + "E3B0C44298FC1C149AFBF4C8996FB92427AE41E4649B934CA495991B7852B855")]
    [DataRow("md5:d41d8cd98f00b204e9800998ecf8427e")]
    [DataRow("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")]
    [DataRow("")]
    public void Malformed_digests_are_rejected(string value) => Assert.IsFalse(Digest.TryParse(value, out _));

    [TestMethod]
    public void Reference_with_registry_repository_tag_and_digest_parses()
    {
        var reference = ImageReference.Parse($"localhost:5000/team/base-image:10.0@sha256:{Hex}");
        Assert.AreEqual("localhost:5000", reference.Registry);
        Assert.AreEqual("team/base-image", reference.Repository);
        Assert.AreEqual("10.0", reference.Tag);
        Assert.AreEqual($"sha256:{Hex}", reference.Reference);
        Assert.IsTrue(reference.IsPinned);
    }

    [TestMethod]
    public void Reference_without_a_tag_or_digest_means_latest_and_is_not_pinned()
    {
        var reference = ImageReference.Parse("registry.example.com/app");
        Assert.AreEqual("latest", reference.Reference);
        Assert.IsFalse(reference.IsPinned);
    }

    [TestMethod]
    [DataRow("localhost:5000/", "no repository")]
    [DataRow("/app", "invalid repository")]
    [DataRow("registry.example.com/app:1.0:2.0", "invalid repository")]
    [DataRow("localhost:5000/Team/App", "invalid repository")]
    [DataRow("localhost:5000/app@sha256:123", "invalid digest")]
    [DataRow("localhost:5000/app:-bad", "invalid tag")]
    public void Bad_references_say_what_is_wrong(string value, string expected)
    {
        Assert.IsFalse(ImageReference.TryParse(value, out _, out var error));
        StringAssert.Contains(error, expected);
    }

    [TestMethod]
    [DataRow("ubuntu:22.04", "docker.io", "library/ubuntu", "22.04")]
    [DataRow("ubuntu", "docker.io", "library/ubuntu", null)]
    [DataRow("docker.io/ubuntu", "docker.io", "library/ubuntu", null)]
    [DataRow("index.docker.io/library/ubuntu:24.04", "docker.io", "library/ubuntu", "24.04")]
    [DataRow("bitnami/redis:7", "docker.io", "bitnami/redis", "7")]
    [DataRow("docker.io/bitnami/redis", "docker.io", "bitnami/redis", null)]
    [DataRow("localhost/app", "localhost", "app", null)]
    [DataRow("registry:5000/app", "registry:5000", "app", null)]
    [DataRow("ghcr.io/org/app:1", "ghcr.io", "org/app", "1")]
    public void References_are_normalised_as_docker_does(string value, string registry, string repository, string? tag)
    {
        var reference = ImageReference.Parse(value);
        Assert.AreEqual(registry, reference.Registry);
        Assert.AreEqual(repository, reference.Repository);
        Assert.AreEqual(tag, reference.Tag);
    }
}
