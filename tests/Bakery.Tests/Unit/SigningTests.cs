using System.Security.Cryptography;
using System.Text;
using Bakery.Core;
using Bakery.Core.Descriptors;
using Bakery.Core.Signing;
using Bakery.Core.Trust;
using Bakery.Oci.Model;
using Bakery.Oci.Registry;
using Bakery.Tests.Infrastructure;

namespace Bakery.Tests.Unit;

/// <summary>Keys, DSSE, in-toto, simple signing and the trust rules, without a registry.</summary>
[TestClass]
public sealed class SigningTests
{
    private const string Password = "unit test password";
    private static readonly Digest Image = Digest.Compute(Encoding.UTF8.GetBytes("image"));
    private static readonly Digest Other = Digest.Compute(Encoding.UTF8.GetBytes("other"));

    private static KeySigner NewSigner(KeyAlgorithm algorithm, KeyFileFormat format = KeyFileFormat.Pkcs8) =>
        SigningKeyFile.Parse(KeyPairs.Generate(algorithm, format, Password).PrivatePem, "test.key", Password);

    [TestMethod]
    [DataRow(KeyAlgorithm.EcdsaP256, KeyFileFormat.Pkcs8)]
    [DataRow(KeyAlgorithm.EcdsaP256, KeyFileFormat.Cosign)]
    [DataRow(KeyAlgorithm.Ed25519, KeyFileFormat.Pkcs8)]
    [DataRow(KeyAlgorithm.Ed25519, KeyFileFormat.Cosign)]
    public async Task Generated_keys_open_with_their_password_only_and_sign_a_DSSE_in_toto_envelope_that_round_trips(KeyAlgorithm algorithm, KeyFileFormat format)
    {
        var pair = KeyPairs.Generate(algorithm, format, Password);
        var signer = SigningKeyFile.Parse(pair.PrivatePem, "test.key", Password);
        Assert.AreEqual(pair.PublicKey, signer.PublicKey);
        var wrong = Assert.ThrowsExactly<BakeryException>(() => SigningKeyFile.Parse(pair.PrivatePem, "test.key", "not the password"));
        Assert.AreEqual("BAKE431", wrong.Code);
        Assert.AreEqual("BAKE431", Assert.ThrowsExactly<BakeryException>(() => SigningKeyFile.Parse(pair.PrivatePem, "test.key", null)).Code);

        var statement = InTotoStatement.Create([new StatementSubject("registry.example/app", Image)], "https://example.com/predicate", json =>
        {
            json.WriteStartObject();
            json.WriteString("answer", "42");
            json.WriteEndObject();
        });
        var envelope = await DsseEnvelope.SignAsync(DsseEnvelope.InTotoPayloadType, statement, signer, default);
        var parsed = DsseEnvelope.Parse(envelope.ToJson());
        Assert.HasCount(1, parsed.SignedBy([pair.PublicKey]));
        var read = InTotoStatement.Parse(parsed.Payload);
        Assert.IsTrue(read.IsAbout(Image));
        Assert.AreEqual("42", read.Predicate.GetProperty("answer").GetString());

        var forged = parsed with { Payload = Encoding.UTF8.GetBytes(Encoding.UTF8.GetString(parsed.Payload).Replace("42", "43", StringComparison.Ordinal)) };
        Assert.IsEmpty(forged.SignedBy([pair.PublicKey]), "a changed payload does not verify");
        Assert.IsEmpty(parsed.SignedBy([NewSigner(KeyAlgorithm.EcdsaP256).PublicKey]), "nor with another key");
    }

    [TestMethod]
    public void The_DSSE_pre_authentication_encoding_is_the_specification_s()
    {
        // DSSE v1 protocol: "DSSEv1" SP LEN(type) SP type SP LEN(body) SP body.
        CollectionAssert.AreEqual(Encoding.UTF8.GetBytes("DSSEv1 29 http://example.com/HelloWorld 11 hello world"),
            DsseEnvelope.PreAuthenticationEncoding("http://example.com/HelloWorld", Encoding.UTF8.GetBytes("hello world")));
    }

    [TestMethod]
    public async Task A_simple_signing_payload_names_digest_identity_and_type_and_openssl_style_ECDSA_verifies()
    {
        var payload = SimpleSigning.Payload("registry.example/team/app", Image);
        var (claims, problem) = SimpleSigning.Parse(payload);
        Assert.IsNull(problem);
        Assert.AreEqual(Image, claims!.ManifestDigest);
        Assert.AreEqual("registry.example/team/app", claims.DockerReference);
        StringAssert.Contains(Encoding.UTF8.GetString(payload), "\"type\":\"cosign container image signature\"");

        using var ecdsa = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var key = SignaturePublicKey.FromSubjectPublicKeyInfo(ecdsa.ExportSubjectPublicKeyInfo());
        Assert.IsTrue(key.Verify(payload, ecdsa.SignData(payload, HashAlgorithmName.SHA256, DSASignatureFormat.Rfc3279DerSequence)));
        var signer = KeySigner.FromEcdsa(ecdsa, "memory");
        Assert.IsTrue(ecdsa.VerifyData(payload, await signer.SignAsync(payload), HashAlgorithmName.SHA256, DSASignatureFormat.Rfc3279DerSequence),
            "Bakery's ECDSA signatures are ASN.1 DER, as cosign and containers/image read them");
    }

    [TestMethod]
    public void A_public_key_as_BakerySigningKey_is_BAKE430_and_both_signers_or_a_command_without_its_public_key_is_BAKE434()
    {
        var directory = TestPaths.NewTempDirectory("signing-setup");
        try
        {
            var pair = KeyPairs.Generate(KeyAlgorithm.EcdsaP256, KeyFileFormat.Pkcs8, Password);
            var publicKey = Path.Combine(directory, "key.pub");
            File.WriteAllText(publicKey, pair.PublicKey.Pem);
            var privateKey = Path.Combine(directory, "key");
            File.WriteAllText(privateKey, pair.PrivatePem);
            string? Env(string name) => name == SigningKeyFile.PasswordVariable ? Password : null;

            Assert.AreEqual("BAKE430", Assert.ThrowsExactly<BakeryException>(() => SigningSetup.FromProperties(publicKey, null, null, null, null, Env)).Code);
            Assert.AreEqual("BAKE430", Assert.ThrowsExactly<BakeryException>(() => SigningSetup.FromProperties(Path.Combine(directory, "missing"), null, null, null, null, Env)).Code);
            var both = Assert.ThrowsExactly<BakeryException>(() => SigningSetup.FromProperties(privateKey, "kms-sign", publicKey, null, null, Env));
            Assert.AreEqual("BAKE434", both.Code);
            StringAssert.Contains(both.Message, "BakerySigningCommand");
            var noPublic = Assert.ThrowsExactly<BakeryException>(() => SigningSetup.FromProperties(null, "kms-sign", null, null, null, Env));
            Assert.AreEqual("BAKE434", noPublic.Code);
            StringAssert.Contains(noPublic.Message, "BakerySigningPublicKey");
            var other = Path.Combine(directory, "other.pub");
            File.WriteAllText(other, KeyPairs.Generate(KeyAlgorithm.Ed25519, KeyFileFormat.Pkcs8, Password).PublicKey.Pem);
            Assert.AreEqual("BAKE434", Assert.ThrowsExactly<BakeryException>(() => SigningSetup.FromProperties(privateKey, null, other, null, null, Env)).Code,
                "BakerySigningPublicKey that is not the key's own");
            Assert.IsNull(SigningSetup.FromProperties(null, null, null, null, null, Env), "no signing unless asked");
            Assert.AreEqual("BAKE227", Assert.ThrowsExactly<BakeryException>(() =>
                TrustedSigningKeys.Rules([new TrustedSigningKeyItem(privateKey, "Some.Base", null)], null, "app")).Code, "a private key is no trusted key");
        }
        finally { Directory.Delete(directory, recursive: true); }
    }

    [TestMethod]
    public void BakeryBuilderId_overrides_the_CI_s_builder_and_the_CI_run_is_the_invocation()
    {
        var github = new Dictionary<string, string>
        {
            ["GITHUB_ACTIONS"] = "true", ["GITHUB_SERVER_URL"] = "https://github.com", ["GITHUB_REPOSITORY"] = "contoso/app",
            ["GITHUB_RUN_ID"] = "7", ["GITHUB_RUN_ATTEMPT"] = "2",
        };
        var fromCi = BuilderIdentity.From(null, "43", n => github.GetValueOrDefault(n));
        Assert.AreEqual("https://github.com/actions/runner/github-hosted", fromCi.Id);
        Assert.AreEqual("https://github.com/contoso/app/actions/runs/7/attempts/2", fromCi.InvocationId);
        Assert.AreEqual("https://builders.contoso.example/global-bakery", BuilderIdentity.From("https://builders.contoso.example/global-bakery", "43", n => github.GetValueOrDefault(n)).Id);
        var local = BuilderIdentity.From(null, "43", _ => null);
        Assert.AreEqual(BuilderIdentity.Local, local.Id);
        Assert.AreEqual("43", local.InvocationId);
    }

    private static TrustRule Rule(string subject, bool provenance, params SignaturePublicKey[] keys) =>
        new() { Subject = subject, Keys = keys.Select(k => TrustedKey.Of(k, null)).ToList(), Provenance = provenance, SetBy = "Contoso.Global" };

    private static AttestationCheck Provenance(SignaturePublicKey key, Digest subject, Digest? recordedBase, bool verified = true)
    {
        var statement = InTotoStatement.Parse(InTotoStatement.Create([new StatementSubject("registry.example/team", subject)], SlsaProvenance.PredicateType, json =>
        {
            json.WriteStartObject();
            json.WriteStartObject("buildDefinition");
            json.WriteStartArray("resolvedDependencies");
            if (recordedBase is { } b)
            {
                json.WriteStartObject();
                json.WriteString("name", SlsaProvenance.BaseDependency);
                json.WriteStartObject("digest");
                json.WriteString("sha256", b.Hex);
                json.WriteEndObject();
                json.WriteEndObject();
            }
            json.WriteEndArray();
            json.WriteEndObject();
            json.WriteEndObject();
        }));
        return new AttestationCheck("tag", SlsaProvenance.PredicateType, verified, key.KeyId, verified ? null : "its statement is about another image", statement);
    }

    [TestMethod]
    public void The_judge_names_missing_copied_and_mismatched_provenance_BAKE223_BAKE224_BAKE225()
    {
        var key = NewSigner(KeyAlgorithm.EcdsaP256).PublicKey;
        var expectedBase = Digest.Compute(Encoding.UTF8.GetBytes("global"));
        var subject = new TrustSubject(ImageReference.Parse($"registry.example/team@{Image}"), "Contoso.Team", "Contoso.Team 1.0.0", expectedBase);
        var signed = new List<SignatureCheck> { new("tag", true, key.KeyId, key.KeyId, null, "registry.example/team") };
        Assert.IsNull(TrustJudge.Judge(Rule("Contoso.Team", false, key), subject, signed, []), "no provenance demanded");
        Assert.AreEqual("BAKE224", TrustJudge.Judge(Rule("Contoso.Team", true, key), subject, signed, [])?.Code);

        var copied = Provenance(key, Other, expectedBase, verified: false);
        Assert.AreEqual("BAKE223", TrustJudge.Judge(Rule("Contoso.Team", true, key), subject, signed, [copied])?.Code);
        var otherChain = Provenance(key, Image, Digest.Compute(Encoding.UTF8.GetBytes("a different global")));
        var mismatch = TrustJudge.Judge(Rule("Contoso.Team", true, key), subject, signed, [otherChain]);
        Assert.AreEqual("BAKE225", mismatch?.Code);
        StringAssert.Contains(mismatch!.Message, expectedBase.ToString());
        Assert.IsNull(TrustJudge.Judge(Rule("Contoso.Team", true, key), subject, signed, [Provenance(key, Image, expectedBase)]));
    }

    [TestMethod]
    public void A_team_adds_rules_and_never_loses_inherited_ones_and_signing_once_required_stays_required()
    {
        var globalKey = NewSigner(KeyAlgorithm.EcdsaP256).PublicKey;
        var teamKey = NewSigner(KeyAlgorithm.Ed25519).PublicKey;
        var inherited = new TrustPolicy { RequireSigning = true, Rules = [Rule("Contoso.Global", true, globalKey)] };
        var own = new TrustPolicy { Rules = [Rule("Contoso.Team", false, teamKey), Rule("Contoso.Global", true, globalKey)] };
        var merged = TrustPolicy.Merge(own, inherited)!;
        Assert.IsTrue(merged.RequireSigning);
        Assert.HasCount(2, merged.Rules, "the same demand once, the team's new one added");
        Assert.AreEqual("Contoso.Global", merged.Rules[0].Subject, "inherited first, unchanged");
        Assert.IsTrue(TrustPolicy.Merge(new TrustPolicy(), inherited)!.Rules.Any(r => r.Subject == "Contoso.Global"), "an empty own policy removes nothing");
        Assert.IsNull(new TrustPolicy { Rules = [Rule("Contoso.Global", true, globalKey)] }.Validate());
        StringAssert.Contains(new TrustPolicy { Rules = [new TrustRule { Subject = "X" }] }.Validate(), "trust.rules[0].keys");
    }

    [TestMethod]
    public async Task Offline_the_package_s_recorded_signatures_are_checked_BAKE229_and_a_changed_package_is_BAKE226()
    {
        var signer = NewSigner(KeyAlgorithm.EcdsaP256);
        var repository = "registry.example/contoso/global";
        var payload = SimpleSigning.Payload(repository, Image);
        var signature = await signer.SignAsync(payload);
        var image = new TestImages.PushedImage("registry.example", "contoso/global", Image, new ImageManifest());
        TrustEvidence Record(byte[] p, byte[] s) => new() { Image = repository, Digest = Image.ToString(), Payload = Convert.ToBase64String(p), Signature = Convert.ToBase64String(s) };
        BaseImageSelection Selection(TrustEvidence evidence) => new(ImageReference.Parse($"{repository}@{Image}"),
            BasePackageWriter.Descriptor("Contoso.Global", "1.0.0", image) with
            {
                Trust = new TrustPolicy { Rules = [Rule("Contoso.Global", false, signer.PublicKey)], Evidence = [evidence] },
            });
        var offline = new BaseImageTrustCheck { Offline = true };

        var good = await offline.CheckAsync(Selection(Record(payload, signature)), new RegistryClientOptions(), default);
        Assert.IsFalse(good.HasErrors, string.Join("\n", good.Diagnostics.Select(d => d.Message)));
        Assert.AreEqual("BAKE229", good.Diagnostics.Single().Code);
        Assert.HasCount(1, good.Verified);

        var changed = await offline.CheckAsync(Selection(Record(SimpleSigning.Payload(repository, Other), signature)), new RegistryClientOptions(), default);
        Assert.AreEqual("BAKE226", changed.Diagnostics.First(d => d.IsError).Code);
    }

    [TestMethod]
    public async Task Signatures_that_cannot_be_read_from_the_registry_are_BAKE228()
    {
        var key = NewSigner(KeyAlgorithm.EcdsaP256).PublicKey;
        // Nothing listens on this loopback port: the check cannot read signatures and says so.
        var registry = $"127.0.0.1:{RegistryProcess.FreePort()}";
        var image = new TestImages.PushedImage(registry, "contoso/global", Image, new ImageManifest());
        var selection = new BaseImageSelection(ImageReference.Parse($"{registry}/contoso/global@{Image}"),
            BasePackageWriter.Descriptor("Contoso.Global", "1.0.0", image) with { Trust = new TrustPolicy { Rules = [Rule("Contoso.Global", false, key)] } });
        var error = await Assert.ThrowsAsync<BakeryException>(() => new BaseImageTrustCheck().CheckAsync(selection,
            new RegistryClientOptions(), default));
        Assert.AreEqual("BAKE228", error.Code, error.Message);
    }

    [TestMethod]
    public async Task An_index_a_registry_serves_under_a_generic_media_type_is_signed_and_read_with_each_platform_image()
    {
        var registry = new InMemoryRegistry();
        ImageManifest Image(string arch)
        {
            var config = Encoding.UTF8.GetBytes($"{{\"architecture\":\"{arch}\",\"os\":\"linux\",\"rootfs\":{{\"type\":\"layers\",\"diff_ids\":[]}}}}");
            var configDigest = registry.AddBlob("team/app", config);
            return new ImageManifest
            {
                SchemaVersion = 2, MediaType = MediaTypes.OciManifest, Layers = [],
                Config = new OciDescriptor { MediaType = MediaTypes.OciConfig, Digest = configDigest.ToString(), Size = config.Length },
            };
        }
        var entries = new[] { "amd64", "arm64" }.Select(arch =>
        {
            var manifest = Image(arch);
            var digest = registry.AddManifest("team/app", manifest, MediaTypes.OciManifest);
            return new OciDescriptor { MediaType = MediaTypes.OciManifest, Digest = digest.ToString(), Size = manifest.ToBytes().Length, Platform = new Platform { Os = "linux", Architecture = arch } };
        }).ToList();
        // No mediaType field, served as application/json: only its shape says it is an index.
        var index = new ImageManifest { SchemaVersion = 2, Manifests = entries };
        registry.AddManifest("team/app", index, "application/json", "1.0.0");
        using var ecdsa = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var key = SignaturePublicKey.FromSubjectPublicKeyInfo(ecdsa.ExportSubjectPublicKeyInfo());
        Assert.IsTrue(ImageReference.TryParse("memory.example/team/app:1.0.0", out var reference, out _));

        var signed = await ExistingImageSigning.SignAsync(registry, reference!, new SigningSetup(KeySigner.FromEcdsa(ecdsa, "memory"), new BuilderIdentity("test", null)), null, CancellationToken.None);
        var read = await ImageSignatures.ReadAsync(registry, reference!, [key], CancellationToken.None);

        Assert.AreEqual(3, signed.Count, "the index and each platform's image are signed");
        CollectionAssert.AreEquivalent(entries.Select(e => e.Digest).ToList(), signed.Skip(1).Select(s => s.Digest).ToList());
        Assert.AreEqual(3, read.Count, "the index and each platform's image are read");
        Assert.IsTrue(read.All(m => m.Signed), "every signature verifies with the key");
        CollectionAssert.AreEquivalent(new[] { null, "linux/amd64", "linux/arm64" }, read.Select(m => m.Platform).ToList());
    }
}
