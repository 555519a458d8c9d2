using System.Text;
using Bakery.Core.Signing;
using Bakery.Core.Trust;
using Bakery.Oci.Model;
using Bakery.Oci.Registry;
using Bakery.Tests.Infrastructure;

namespace Bakery.Tests.Integration;

/// <summary>
/// Bakery's signatures against clients nobody here wrote: skopeo and podman (Debian's, with a
/// policy.json sigstoreSigned requirement and use-sigstore-attachments) and OpenSSL for the
/// cryptography. Debian bookworm builds skopeo 1.9.3 and podman 4.3.1 with sigstore verification and
/// signing disabled; what those versions can do is tested, and a sigstore-enabled build is held to
/// the full requirement (accept the signed image, refuse the tampered one).
/// </summary>
[TestClass]
[TestCategory("Integration")]
public sealed class SigstoreInteropTests
{
    private const string Password = "interop";
    private const string DebianDisabled = "sigstore disabled";
    private static RegistryProcess s_registry = null!;
    private static string s_work = null!;

    [ClassInitialize]
    public static void Initialize(TestContext _)
    {
        s_registry = RegistryProcess.Start();
        s_work = TestPaths.NewTempDirectory("sigstore-interop");
        Directory.CreateDirectory(Path.Combine(s_work, "registries.d"));
        File.WriteAllText(Path.Combine(s_work, "registries.d", "bakery-test.yaml"), "default-docker:\n  use-sigstore-attachments: true\n");
        File.WriteAllText(Path.Combine(s_work, "open.json"), """{"default":[{"type":"insecureAcceptAnything"}]}""");
    }

    [ClassCleanup]
    public static void Cleanup()
    {
        s_registry?.Dispose();
        if (s_work is not null && Directory.Exists(s_work)) Directory.Delete(s_work, recursive: true);
    }

    private static void RequireTool(string name)
    {
        if (!File.Exists($"/usr/bin/{name}")) Assert.Inconclusive($"Skipped: {name} is not installed (apt-get install -y {name}).");
    }

    private static (KeySigner Signer, string PublicKeyPath, string PrivateKeyPath) NewKey(string name, KeyAlgorithm algorithm = KeyAlgorithm.EcdsaP256)
    {
        var pair = KeyPairs.Generate(algorithm, KeyFileFormat.Pkcs8, Password);
        var path = Path.Combine(s_work, name + ".key");
        File.WriteAllText(path, pair.PrivatePem);
        File.WriteAllText(path + ".pub", pair.PublicKey.Pem);
        return (SigningKeyFile.Load(path, Password), path + ".pub", path);
    }

    private static string Policy(string name, string repository, string publicKey)
    {
        var path = Path.Combine(s_work, name + ".policy.json");
        var rule = $"{{\"type\":\"sigstoreSigned\",\"keyPath\":\"{publicKey}\",\"signedIdentity\":{{\"type\":\"matchRepository\"}}}}";
        File.WriteAllText(path, $"{{\"default\":[{{\"type\":\"reject\"}}],\"transports\":{{\"docker\":{{\"{s_registry.Address}/{repository}\":[{rule}]}}}}}}");
        return path;
    }

    private static ProcessResult SkopeoPull(string policy, string image) =>
        ProcessRunner.Run("skopeo", ["--debug", "--policy", policy, "copy", "--registries.d", Path.Combine(s_work, "registries.d"), "--src-tls-verify=false",
            $"docker://{image}", $"dir:{Path.Combine(s_work, "out-" + Guid.NewGuid().ToString("N"))}"], s_work, timeout: TimeSpan.FromMinutes(2));

    private static async Task<(TestImages.PushedImage Image, OciDescriptor Descriptor)> PushAsync(string repository, string marker)
    {
        var image = await TestImages.PushBaseAsync(s_registry.Address, repository, marker);
        return (image, new OciDescriptor { MediaType = MediaTypes.OciManifest, Digest = image.Digest.ToString(), Size = image.Manifest.ToBytes().Length });
    }

    [TestMethod]
    public async Task Skopeo_copies_Bakery_signatures_to_the_promoted_name_and_Bakery_verifies_what_skopeo_wrote()
    {
        RequireTool("skopeo");
        var (signer, _, _) = NewKey("promote");
        var (image, descriptor) = await PushAsync("interop/staging", "promote");
        using var client = new RegistryClient(s_registry.Address);
        // Signed for the name it is promoted to, as a release pipeline signs before `skopeo copy`.
        await new ImageSigner(signer, client).SignAsync("interop/staging", descriptor, $"{s_registry.Address}/interop/production", []);

        var copy = ProcessRunner.Run("skopeo", ["--policy", Path.Combine(s_work, "open.json"), "copy", "--registries.d", Path.Combine(s_work, "registries.d"),
            "--src-tls-verify=false", "--dest-tls-verify=false", $"docker://{image.Reference}", $"docker://{s_registry.Address}/interop/production:1.0"], s_work, timeout: TimeSpan.FromMinutes(2));
        Assert.AreEqual(0, copy.ExitCode, copy.Output);
        CollectionAssert.Contains((await client.ListTagsAsync("interop/production")).ToList(), $"sha256-{image.Digest.Hex}.sig", "skopeo carried the signature");

        var production = ImageReference.Parse($"{s_registry.Address}/interop/production@{image.Digest}");
        var judged = ImageSignatures.Judge(await ImageSignatures.ReadAsync(client, production, [signer.PublicKey], default), [signer.PublicKey], false, "test").Single();
        Assert.IsNull(judged.Problem, judged.Problem?.Message);
        Assert.AreEqual(1, judged.Manifest.Signatures.Count(s => s.Verified));

        var staging = ImageSignatures.Judge(await ImageSignatures.ReadAsync(client, ImageReference.Parse(image.Reference), [signer.PublicKey], default), [signer.PublicKey], false, "test").Single();
        Assert.AreEqual("BAKE221", staging.Problem?.Code, "the identity is checked: it was signed for production, not staging");
    }

    [TestMethod]
    public async Task A_sigstoreSigned_policy_makes_skopeo_and_podman_refuse_an_unsigned_image_and_skopeo_finds_Bakery_s_signature()
    {
        RequireTool("skopeo");
        var (signer, publicKey, _) = NewKey("policy");
        var policy = Policy("policy", "interop/app", publicKey);
        var (unsigned, _) = await PushAsync("interop/app", "unsigned");
        var refused = SkopeoPull(policy, unsigned.Reference);
        Assert.AreNotEqual(0, refused.ExitCode, refused.Output);
        StringAssert.Contains(refused.Output, "no signature exists");

        if (File.Exists("/usr/bin/podman"))
        {
            var podman = ProcessRunner.Run("podman", ["pull", "--tls-verify=false", "--signature-policy", policy, unsigned.Reference], s_work, timeout: TimeSpan.FromMinutes(2));
            Assert.AreNotEqual(0, podman.ExitCode, podman.Output);
            StringAssert.Contains(podman.Output, "Source image rejected");
        }

        var (signed, descriptor) = await PushAsync("interop/app", "signed");
        using var client = new RegistryClient(s_registry.Address);
        await new ImageSigner(signer, client).SignAsync("interop/app", descriptor, $"{s_registry.Address}/interop/app", []);
        var pulled = SkopeoPull(policy, signed.Reference);
        StringAssert.Contains(pulled.Output, "Found a sigstore attachment manifest with 1 layers", "skopeo reads Bakery's tag schema");
        if (pulled.Output.Contains(DebianDisabled, StringComparison.Ordinal))
        {
            // Debian's build stops here; it cannot check the signature either way.
            Assert.AreNotEqual(0, pulled.ExitCode);
            return;
        }
        Assert.AreEqual(0, pulled.ExitCode, "a sigstore-enabled skopeo accepts the Bakery-signed image: " + pulled.Output);

        // Tampered: the payload now claims another digest; the signature no longer holds.
        var tag = $"sha256-{signed.Digest.Hex}.sig";
        var manifest = (await client.GetManifestAsync("interop/app", tag)).Parse();
        var layer = manifest.Layers!.Single();
        var forged = ArtifactBlob.FromBytes(Encoding.UTF8.GetBytes(Encoding.UTF8.GetString(await client.GetBlobAsync("interop/app", layer.ParsedDigest)).Replace("cosign container image signature", "cosign container image signaturE", StringComparison.Ordinal)), layer.MediaType!);
        await client.UploadBlobAsync("interop/app", forged.Content);
        await client.PushManifestAsync("interop/app", tag, (manifest with { Layers = [layer with { Digest = forged.Descriptor.Digest, Size = forged.Descriptor.Size }] }).ToBytes(), MediaTypes.OciManifest);
        Assert.AreNotEqual(0, SkopeoPull(policy, signed.Reference).ExitCode, "a tampered signature is refused");
    }

    [TestMethod]
    [DataRow(KeyAlgorithm.EcdsaP256)]
    [DataRow(KeyAlgorithm.Ed25519)]
    public async Task OpenSSL_verifies_Bakery_s_signatures_over_the_simple_signing_payload_and_the_DSSE_encoding(KeyAlgorithm algorithm)
    {
        RequireTool("openssl");
        var (signer, publicKey, privateKey) = NewKey("openssl-" + algorithm);
        Assert.AreEqual(0, ProcessRunner.Run("openssl", ["pkey", "-in", privateKey, "-passin", "pass:" + Password, "-noout"], s_work).ExitCode,
            "OpenSSL opens the encrypted PKCS#8 key Bakery wrote");
        var payload = SimpleSigning.Payload($"{s_registry.Address}/interop/openssl", Digest.Compute(Encoding.UTF8.GetBytes(algorithm.ToString())));
        var pae = DsseEnvelope.PreAuthenticationEncoding(DsseEnvelope.InTotoPayloadType, Encoding.UTF8.GetBytes("""{"_type":"https://in-toto.io/Statement/v1"}"""));
        foreach (var (name, data) in new[] { ("payload", payload), ("pae", pae) })
        {
            var dataPath = Path.Combine(s_work, $"{algorithm}-{name}.bin");
            var signaturePath = dataPath + ".sig";
            File.WriteAllBytes(dataPath, data);
            File.WriteAllBytes(signaturePath, await signer.SignAsync(data));
            var verify = algorithm == KeyAlgorithm.Ed25519
                ? ProcessRunner.Run("openssl", ["pkeyutl", "-verify", "-pubin", "-inkey", publicKey, "-rawin", "-in", dataPath, "-sigfile", signaturePath], s_work)
                : ProcessRunner.Run("openssl", ["dgst", "-sha256", "-verify", publicKey, "-signature", signaturePath, dataPath], s_work);
            Assert.AreEqual(0, verify.ExitCode, $"{name}: {verify.Output}");
            StringAssert.Contains(verify.Output, "Verified");
        }
    }
}
