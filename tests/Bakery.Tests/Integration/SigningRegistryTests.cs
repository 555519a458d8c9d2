using System.Text;
using System.Text.Json;
using Bakery.Core.Signing;
using Bakery.Core.Trust;
using Bakery.Oci.Model;
using Bakery.Oci.Registry;
using Bakery.Tests.Infrastructure;

namespace Bakery.Tests.Integration;

/// <summary>
/// Signatures and attestations in a real registry (CNCF Distribution 2.8, so the cosign tag schema):
/// every platform's manifest and the index signed, read back and judged as `bakery verify --signatures`
/// and a bake judge them, and what a forger, a stale key or an unsigned image looks like.
/// </summary>
[TestClass]
[TestCategory("Integration")]
public sealed class SigningRegistryTests
{
    private const string Password = "correct horse battery staple";
    private static RegistryProcess s_registry = null!;
    private static string s_keys = null!;

    [ClassInitialize]
    public static void Initialize(TestContext _)
    {
        s_registry = RegistryProcess.Start();
        s_keys = TestPaths.NewTempDirectory("signing-keys");
    }

    [ClassCleanup]
    public static void Cleanup()
    {
        s_registry?.Dispose();
        if (s_keys is not null && Directory.Exists(s_keys)) Directory.Delete(s_keys, recursive: true);
    }

    private static (string Private, SignaturePublicKey Public) NewKey(string name, KeyAlgorithm algorithm = KeyAlgorithm.EcdsaP256, KeyFileFormat format = KeyFileFormat.Pkcs8)
    {
        var pair = KeyPairs.Generate(algorithm, format, Password);
        var path = Path.Combine(s_keys, name + ".key");
        File.WriteAllText(path, pair.PrivatePem);
        File.WriteAllText(path + ".pub", pair.PublicKey.Pem);
        return (path, pair.PublicKey);
    }

    private static SigningSetup Setup(string keyPath) =>
        SigningSetup.FromProperties(keyPath, null, null, null, null, n => n == SigningKeyFile.PasswordVariable ? Password : null)!;

    /// <summary>Two platform images and the index over them.</summary>
    private static async Task<(ImageReference Index, Digest Amd64, Digest Arm64)> PushIndexAsync(string repository)
    {
        var amd64 = await TestImages.PushBaseAsync(s_registry.Address, repository, "amd64");
        var arm64 = await TestImages.PushBaseAsync(s_registry.Address, repository, "arm64", editConfig: c => c["architecture"] = "arm64");
        OciDescriptor Entry(TestImages.PushedImage image, string architecture) => new()
        {
            MediaType = MediaTypes.OciManifest, Digest = image.Digest.ToString(), Size = image.Manifest.ToBytes().Length,
            Platform = new Platform { Os = "linux", Architecture = architecture },
        };
        var index = new ImageManifest { MediaType = MediaTypes.OciIndex, Manifests = [Entry(amd64, "amd64"), Entry(arm64, "arm64")] };
        using var client = new RegistryClient(s_registry.Address);
        var digest = await client.PutManifestAsync(repository, "multi", index.ToBytes(), MediaTypes.OciIndex);
        return (ImageReference.Parse($"{s_registry.Address}/{repository}@{digest}"), amd64.Digest, arm64.Digest);
    }

    private static async Task<IReadOnlyList<(ManifestSignatures Manifest, Core.BakeryDiagnostic? Problem)>> JudgeAsync(ImageReference image, params SignaturePublicKey[] keys)
    {
        using var client = new RegistryClient(image.Registry);
        return ImageSignatures.Judge(await ImageSignatures.ReadAsync(client, image, keys, default), keys, requireProvenance: false, "the test");
    }

    [TestMethod]
    public async Task Every_platform_manifest_and_the_index_are_signed_in_the_cosign_tag_schema_and_verify()
    {
        var (index, amd64, arm64) = await PushIndexAsync("sign/multi");
        var (key, publicKey) = NewKey("multi");
        using var client = new RegistryClient(s_registry.Address);
        var signed = await ExistingImageSigning.SignAsync(client, index, Setup(key), null, default);
        CollectionAssert.AreEquivalent(new[] { index.Digest!.Value.ToString(), amd64.ToString(), arm64.ToString() }, signed.Select(s => s.Digest).ToArray());

        var tags = (await client.ListTagsAsync("sign/multi")).ToList();
        foreach (var digest in new[] { index.Digest!.Value, amd64, arm64 })
        {
            CollectionAssert.Contains(tags, $"sha256-{digest.Hex}.sig", "cosign's tag schema");
            var layer = (await client.GetManifestAsync("sign/multi", $"sha256-{digest.Hex}.sig")).Parse().Layers!.Single();
            Assert.AreEqual("application/vnd.dev.cosign.simplesigning.v1+json", layer.MediaType);
            Assert.IsTrue(layer.Annotations!.ContainsKey("dev.cosignproject.cosign/signature"));
            using var payload = JsonDocument.Parse(await client.GetBlobAsync("sign/multi", layer.ParsedDigest));
            var critical = payload.RootElement.GetProperty("critical");
            Assert.AreEqual(digest.ToString(), critical.GetProperty("image").GetProperty("docker-manifest-digest").GetString());
            Assert.AreEqual($"{s_registry.Address}/sign/multi", critical.GetProperty("identity").GetProperty("docker-reference").GetString());
            Assert.AreEqual("cosign container image signature", critical.GetProperty("type").GetString());
        }

        var judged = await JudgeAsync(index, publicKey);
        Assert.HasCount(3, judged);
        Assert.IsTrue(judged.All(j => j.Problem is null), string.Join("\n", judged.Select(j => j.Problem?.Message)));
        CollectionAssert.AreEquivalent(new[] { "linux/amd64", "linux/arm64" }, judged.Where(j => j.Manifest.Platform is not null).Select(j => j.Manifest.Platform).ToArray());

        var again = await ExistingImageSigning.SignAsync(client, index, Setup(key), null, default);
        Assert.IsTrue(again.All(s => !s.SignatureWritten), "signing again with the same key adds nothing (ECDSA signatures are deterministic here)");
    }

    [TestMethod]
    public async Task Unsigned_is_BAKE220_another_key_is_BAKE222_and_a_second_trusted_key_verifies_during_a_rotation()
    {
        var image = await TestImages.PushBaseAsync(s_registry.Address, "sign/rotation");
        var reference = ImageReference.Parse(image.Reference);
        var (oldKey, oldPublic) = NewKey("old");
        var (_, newPublic) = NewKey("new", KeyAlgorithm.Ed25519);

        Assert.AreEqual("BAKE220", (await JudgeAsync(reference, oldPublic)).Single().Problem?.Code, "no signature at all");

        using var client = new RegistryClient(s_registry.Address);
        await ExistingImageSigning.SignAsync(client, reference, Setup(oldKey), null, default);
        var wrong = (await JudgeAsync(reference, newPublic)).Single().Problem;
        Assert.AreEqual("BAKE222", wrong?.Code, "signed, but not by the key trusted");
        StringAssert.Contains(wrong!.Message, oldPublic.ShortId, "it names the key that did sign");

        Assert.IsNull((await JudgeAsync(reference, newPublic, oldPublic)).Single().Problem, "either key of a rotation verifies");
    }

    [TestMethod]
    public async Task A_tampered_payload_is_BAKE221_and_a_signature_copied_from_another_image_is_refused()
    {
        var image = await TestImages.PushBaseAsync(s_registry.Address, "sign/tamper", "tamper");
        var other = await TestImages.PushBaseAsync(s_registry.Address, "sign/tamper", "other");
        var (key, publicKey) = NewKey("tamper");
        using var client = new RegistryClient(s_registry.Address);
        await ExistingImageSigning.SignAsync(client, ImageReference.Parse(image.Reference), Setup(key), null, default);

        // The forger keeps the signature and changes the payload: it now claims another repository.
        var tag = $"sha256-{image.Digest.Hex}.sig";
        var manifest = (await client.GetManifestAsync("sign/tamper", tag)).Parse();
        var layer = manifest.Layers!.Single();
        var payload = Encoding.UTF8.GetString(await client.GetBlobAsync("sign/tamper", layer.ParsedDigest)).Replace("sign/tamper", "sign/elsewhere", StringComparison.Ordinal);
        var forged = ArtifactBlob.FromBytes(Encoding.UTF8.GetBytes(payload), layer.MediaType!);
        await client.UploadBlobAsync("sign/tamper", forged.Content);
        var tampered = manifest with { Layers = [layer with { Digest = forged.Descriptor.Digest, Size = forged.Descriptor.Size }] };
        await client.PushManifestAsync("sign/tamper", tag, tampered.ToBytes(), MediaTypes.OciManifest);

        var problem = (await JudgeAsync(ImageReference.Parse(image.Reference), publicKey)).Single().Problem;
        Assert.AreEqual("BAKE221", problem?.Code, problem?.Message);
        StringAssert.Contains(problem!.Message, "does not verify");

        // The genuine signature of one image put under another image's tag: it verifies, but is about the first.
        await client.PushManifestAsync("sign/tamper", $"sha256-{other.Digest.Hex}.sig", manifest.ToBytes(), MediaTypes.OciManifest);
        var copied = (await JudgeAsync(ImageReference.Parse(other.Reference), publicKey)).Single().Problem;
        Assert.AreEqual("BAKE221", copied?.Code);
        StringAssert.Contains(copied!.Message, image.Digest.ToString());
    }

    [TestMethod]
    public async Task A_signing_command_signs_as_a_KMS_would_and_a_command_with_another_key_is_BAKE433()
    {
        var work = TestPaths.NewTempDirectory("signer-command");
        try
        {
            var openssl = ProcessRunner.Run("openssl", ["genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256", "-out", "kms.pem"], work);
            if (openssl.ExitCode != 0) Assert.Inconclusive("Skipped: openssl cannot make a P-256 key here: " + openssl.Output);
            Assert.AreEqual(0, ProcessRunner.Run("openssl", ["pkey", "-in", "kms.pem", "-pubout", "-out", "kms.pub"], work).ExitCode);
            var (_, otherPublic) = NewKey("not-the-kms");
            File.WriteAllText(Path.Combine(work, "other.pub"), otherPublic.Pem);
            var command = $"openssl dgst -sha256 -sign '{Path.Combine(work, "kms.pem")}' | base64 -w0";

            var image = await TestImages.PushBaseAsync(s_registry.Address, "sign/command");
            var setup = SigningSetup.FromProperties(null, command, Path.Combine(work, "kms.pub"), null, null, _ => null)!;
            using var client = new RegistryClient(s_registry.Address);
            await ExistingImageSigning.SignAsync(client, ImageReference.Parse(image.Reference), setup, null, default);
            Assert.IsNull((await JudgeAsync(ImageReference.Parse(image.Reference), setup.Signer.PublicKey)).Single().Problem);

            var lying = SigningSetup.FromProperties(null, command, Path.Combine(work, "other.pub"), null, null, _ => null)!;
            var error = await Assert.ThrowsExactlyAsync<Core.BakeryException>(() => ExistingImageSigning.SignAsync(client, ImageReference.Parse(image.Reference), lying, null, default));
            Assert.AreEqual("BAKE433", error.Code, error.Message);

            var failing = SigningSetup.FromProperties(null, "echo 'HSM offline' >&2; exit 7", Path.Combine(work, "kms.pub"), null, null, _ => null)!;
            var failed = await Assert.ThrowsExactlyAsync<Core.BakeryException>(() => ExistingImageSigning.SignAsync(client, ImageReference.Parse(image.Reference), failing, null, default));
            Assert.AreEqual("BAKE432", failed.Code);
            StringAssert.Contains(failed.Message, "HSM offline");
        }
        finally { Directory.Delete(work, recursive: true); }
    }

    [TestMethod]
    public async Task An_SBOM_is_attached_as_a_signed_DSSE_in_toto_attestation_and_read_back()
    {
        var image = await TestImages.PushBaseAsync(s_registry.Address, "sign/sbom");
        var (key, publicKey) = NewKey("sbom", KeyAlgorithm.Ed25519);
        var sbom = Path.Combine(s_keys, "sbom.cdx.json");
        File.WriteAllText(sbom, """{"bomFormat":"CycloneDX","specVersion":"1.6","components":[{"type":"library","name":"zlib","version":"1.3"}]}""");
        using var client = new RegistryClient(s_registry.Address);
        await ExistingImageSigning.SignAsync(client, ImageReference.Parse(image.Reference), Setup(key), sbom, default);

        var found = (await ImageSignatures.ReadAsync(client, ImageReference.Parse(image.Reference), [publicKey], default)).Single();
        var attestation = found.Attestations.Single();
        Assert.IsTrue(attestation.Verified, attestation.Problem);
        Assert.AreEqual(BakeSigning.CycloneDxPredicateType, attestation.PredicateType);
        Assert.IsTrue(attestation.Statement!.IsAbout(image.Digest));
        Assert.AreEqual("zlib", attestation.Statement.Predicate.GetProperty("components")[0].GetProperty("name").GetString());

        var envelope = DsseEnvelope.Parse(await client.GetBlobAsync("sign/sbom", (await client.GetManifestAsync("sign/sbom", $"sha256-{image.Digest.Hex}.att")).Parse().Layers!.Single().ParsedDigest));
        Assert.AreEqual("application/vnd.in-toto+json", envelope.PayloadType);
        Assert.HasCount(1, envelope.SignedBy([publicKey]));
        var (_, stranger) = NewKey("stranger");
        Assert.IsFalse((await ImageSignatures.ReadAsync(client, ImageReference.Parse(image.Reference), [stranger], default)).Single().Attestations.Single().Verified);
    }

    [TestMethod]
    public async Task A_new_statement_of_one_kind_replaces_this_keys_earlier_one_and_keeps_other_keys_attestations()
    {
        var image = await TestImages.PushBaseAsync(s_registry.Address, "sign/replace");
        var reference = ImageReference.Parse(image.Reference);
        var (key, publicKey) = NewKey("replace");
        var (otherKey, otherPublic) = NewKey("replace-other", KeyAlgorithm.Ed25519);
        string Sbom(string name, string version)
        {
            var path = Path.Combine(s_keys, $"{name}.cdx.json");
            File.WriteAllText(path, $$"""{"bomFormat":"CycloneDX","specVersion":"1.6","components":[{"type":"library","name":"{{name}}","version":"{{version}}"}]}""");
            return path;
        }
        using var client = new RegistryClient(s_registry.Address);
        async Task<IReadOnlyList<OciDescriptor>> AttestationLayersAsync() =>
            (await client.GetManifestAsync("sign/replace", $"sha256-{image.Digest.Hex}.att")).Parse().Layers!;

        await ExistingImageSigning.SignAsync(client, reference, Setup(key), Sbom("first", "1"), default);
        await ExistingImageSigning.SignAsync(client, reference, Setup(otherKey), Sbom("other", "1"), default);
        // Nine rebuilds of one digest, each with its own statement (a new build id in a real bake).
        for (var run = 2; run <= 10; run++)
            await ExistingImageSigning.SignAsync(client, reference, Setup(key), Sbom("run", run.ToString()), default);

        Assert.HasCount(2, await AttestationLayersAsync(), "this key's newest statement and the other key's");
        var found = (await ImageSignatures.ReadAsync(client, reference, [publicKey, otherPublic], default)).Single();
        var names = found.Attestations.Select(a => (a.Verified, Name: a.Statement!.Predicate.GetProperty("components")[0].GetProperty("version").GetString() + "/"
            + a.Statement.Predicate.GetProperty("components")[0].GetProperty("name").GetString())).ToList();
        CollectionAssert.AreEquivalent(new[] { (true, "1/other"), (true, "10/run") }, names);

        await ExistingImageSigning.SignAsync(client, reference, Setup(key), Sbom("run", "10"), default);
        Assert.HasCount(2, await AttestationLayersAsync(), "the same statement again changes nothing");
    }

    [TestMethod]
    public async Task Tool_keys_generate_sign_verify_signatures_and_attestations()
    {
        using var workspace = new BakeryWorkspace("signing-tool");
        var env = new Dictionary<string, string> { ["NUGET_PACKAGES"] = workspace.Packages, [SigningKeyFile.PasswordVariable] = Password };
        ProcessResult Tool(params string[] args) =>
            ProcessRunner.Run("dotnet", [Path.Combine(AppContext.BaseDirectory, "Bakery.Tool.dll"), .. args], workspace.Root, env);

        var generate = Tool("keys", "generate", "--output", "release.key", "--algorithm", "EcdsaP256", "--format", "Cosign");
        Assert.AreEqual(0, generate.ExitCode, generate.Output);
        StringAssert.Contains(File.ReadAllText(Path.Combine(workspace.Root, "release.key")), "ENCRYPTED SIGSTORE PRIVATE KEY");
        Assert.AreEqual(1, Tool("keys", "generate", "--output", "release.key").ExitCode, "a key is never overwritten");
        Assert.AreEqual(0, Tool("keys", "generate", "--output", "other.key", "--format", "Pkcs8").ExitCode);

        var (index, _, _) = await PushIndexAsync("sign/tool");
        var tagged = $"{s_registry.Address}/sign/tool:multi";
        Assert.AreEqual(3, Tool("verify", tagged, "--signatures", "--key", "release.key.pub").ExitCode, "unsigned: not in good standing");

        var sbom = Path.Combine(workspace.Root, "sbom.json");
        File.WriteAllText(sbom, """{"bomFormat":"CycloneDX","specVersion":"1.6","components":[]}""");
        var sign = Tool("sign", tagged, "--key", "release.key", "--sbom", sbom, "--referrers", "Never", "--json");
        Assert.AreEqual(0, sign.ExitCode, sign.Output);
        using (var doc = JsonDocument.Parse(sign.Output)) Assert.AreEqual(3, doc.RootElement.GetProperty("manifests").GetArrayLength());

        var verify = Tool("verify", tagged, "--signatures", "--key", "release.key.pub", "--json");
        Assert.AreEqual(0, verify.ExitCode, verify.Output);
        using (var doc = JsonDocument.Parse(verify.Output))
        {
            Assert.IsTrue(doc.RootElement.GetProperty("passed").GetBoolean());
            Assert.AreEqual(3, doc.RootElement.GetProperty("manifests").GetArrayLength());
        }
        var wrongKey = Tool("verify", index.ToString(), "--signatures", "--key", "other.key.pub");
        Assert.AreEqual(3, wrongKey.ExitCode, wrongKey.Output);
        StringAssert.Contains(wrongKey.Output, "BAKE222");
        var noProvenance = Tool("verify", index.ToString(), "--signatures", "--key", "release.key.pub", "--require-provenance");
        Assert.AreEqual(3, noProvenance.ExitCode, "bakery sign attaches no provenance: " + noProvenance.Output);
        StringAssert.Contains(noProvenance.Output, "BAKE224");
        Assert.AreEqual(1, Tool("verify", index.ToString(), "--signatures").ExitCode, "an image without a package needs --key");
        Assert.AreEqual(1, Tool("verify", index.ToString(), "--key", "release.key.pub").ExitCode, "--key without --signatures");

        var list = Tool("attestations", index.ToString(), "--key", "release.key.pub", "--json");
        Assert.AreEqual(0, list.ExitCode, list.Output);
        using (var doc = JsonDocument.Parse(list.Output))
        {
            var manifests = doc.RootElement.EnumerateArray().ToList();
            Assert.HasCount(3, manifests);
            Assert.IsTrue(manifests.All(m => m.GetProperty("signatures").EnumerateArray().Single().GetProperty("verified").GetBoolean()));
            Assert.AreEqual(2, manifests.Sum(m => m.GetProperty("attestations").GetArrayLength()), "the SBOM goes on each platform's image, not on the index");
        }
        var show = Tool("attestations", index.ToString(), "--key", "release.key.pub", "--show", "sbom");
        Assert.AreEqual(0, show.ExitCode, show.Output);
        StringAssert.Contains(show.Output, "\"bomFormat\": \"CycloneDX\"");
        Assert.AreEqual(3, Tool("attestations", index.ToString(), "--show", "provenance").ExitCode, "no provenance attached");
        Assert.AreEqual(1, Tool("sign", index.ToString()).ExitCode, "no key");
        var missing = Tool("sign", $"{s_registry.Address}/sign/tool@sha256:{new string('1', 64)}", "--key", "release.key");
        Assert.AreEqual(1, missing.ExitCode, missing.Output);
        StringAssert.Contains(missing.Output, "BAKE437");

        // A KMS through --command: here OpenSSL with a key of its own.
        var openssl = ProcessRunner.Run("openssl", ["genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256", "-out", "kms.pem"], workspace.Root);
        Assert.AreEqual(0, openssl.ExitCode, openssl.Output);
        Assert.AreEqual(0, ProcessRunner.Run("openssl", ["pkey", "-in", "kms.pem", "-pubout", "-out", "kms.pub"], workspace.Root).ExitCode);
        var byCommand = Tool("sign", tagged, "--command", "openssl dgst -sha256 -sign kms.pem | base64 -w0", "--public-key", "kms.pub");
        Assert.AreEqual(0, byCommand.ExitCode, byCommand.Output);
        Assert.AreEqual(0, Tool("verify", tagged, "--signatures", "--key", "kms.pub").ExitCode, "the command's signatures verify");
        Assert.AreEqual(0, Tool("verify", tagged, "--signatures", "--key", "other.key.pub", "--key", "kms.pub").ExitCode, "any of the keys given");
        Assert.AreEqual(1, Tool("sign", tagged, "--command", "true").ExitCode, "--command needs --public-key");
    }

    [TestMethod]
    public async Task A_registry_that_holds_something_else_under_the_signature_tag_is_BAKE436_and_nothing_is_overwritten()
    {
        var image = await TestImages.PushBaseAsync(s_registry.Address, "sign/hostile");
        var (key, _) = NewKey("hostile");
        using var client = new RegistryClient(s_registry.Address);
        var squatter = new ImageManifest { MediaType = MediaTypes.OciIndex, Manifests = [] };
        await client.PutManifestAsync("sign/hostile", $"sha256-{image.Digest.Hex}.sig", squatter.ToBytes(), MediaTypes.OciIndex);
        var error = await Assert.ThrowsExactlyAsync<Core.BakeryException>(() => ExistingImageSigning.SignAsync(client, ImageReference.Parse(image.Reference), Setup(key), null, default));
        Assert.AreEqual("BAKE436", error.Code, error.Message);
        Assert.IsTrue(MediaTypes.IsIndex((await client.GetManifestAsync("sign/hostile", $"sha256-{image.Digest.Hex}.sig")).MediaType), "the tag is left as it was");
    }
}
