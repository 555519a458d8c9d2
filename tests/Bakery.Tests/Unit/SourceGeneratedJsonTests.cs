using System.Text.Json;
using System.Text.Json.Serialization;
using System.Text.Json.Serialization.Metadata;
using Bakery.Core.Descriptors;
using Bakery.Oci.Model;

namespace Bakery.Tests.Unit;

/// <summary>
/// The source-generated readers must read what the reflection serializer read: in particular, a property
/// missing from the JSON keeps its default (the generated reader drops the defaults of init-only properties).
/// </summary>
[TestClass]
public sealed class SourceGeneratedJsonTests
{
    public static IEnumerable<object[]> Contexts =>
    [
        [DescriptorJson.Default, typeof(BaseImageDescriptor)],
        [LineageJson.Default, typeof(List<LineageEntry>)],
        [ManifestJson.Default, typeof(ImageManifest)],
        [Bakery.Core.Baking.OutcomeJson.Default, typeof(Bakery.Core.Baking.VerifiedOutcome)],
    ];

    [TestMethod]
    [DynamicData(nameof(Contexts))]
    public void Every_object_type_read_from_an_empty_object_gets_the_reflection_readers_defaults(JsonSerializerContext context, Type root)
    {
        var reflection = new JsonSerializerOptions(context.Options) { TypeInfoResolver = new DefaultJsonTypeInfoResolver() };
        var types = ObjectTypes(context, root);
        Assert.IsGreaterThan(0, types.Count, $"no object types found under {root.Name}");
        foreach (var type in types)
        {
            var generated = Read(() => JsonSerializer.Deserialize("{}", context.GetTypeInfo(type)!));
            var expected = Read(() => JsonSerializer.Deserialize("{}", type, reflection));
            Assert.AreEqual(expected.Error, generated.Error, $"{type.Name}: whether an empty object is refused");
            if (expected.Error is not null) continue;
            Assert.AreEqual(JsonSerializer.Serialize(expected.Value, type, reflection), JsonSerializer.Serialize(generated.Value, type, reflection),
                $"{type.Name} read from {{}} differs between the generated and the reflection reader");
        }
    }

    [TestMethod]
    public void A_written_manifest_has_only_the_spec_fields()
    {
        var digest = "sha256:" + new string('a', 64);
        var manifest = new ImageManifest
        {
            MediaType = MediaTypes.OciManifest,
            Config = new OciDescriptor { MediaType = MediaTypes.OciConfig, Digest = digest, Size = 2 },
            Layers = [new OciDescriptor { MediaType = MediaTypes.OciLayerGzip, Digest = digest, Size = 3, Platform = Platform.LinuxAmd64 }],
        };
        using var written = JsonDocument.Parse(manifest.ToBytes());
        CollectionAssert.AreEquivalent(new[] { "schemaVersion", "mediaType", "config", "layers" }, Names(written.RootElement));
        CollectionAssert.AreEquivalent(new[] { "mediaType", "digest", "size" }, Names(written.RootElement.GetProperty("config")));
        CollectionAssert.AreEquivalent(new[] { "mediaType", "digest", "size", "platform" }, Names(written.RootElement.GetProperty("layers")[0]));
        Assert.AreEqual(2, ImageManifest.Parse("""{"mediaType":"x"}"""u8).SchemaVersion, "a manifest without schemaVersion reads as 2, as before");
    }

    [TestMethod]
    public void A_verified_outcome_reads_back_as_saved_and_a_damaged_entry_is_a_miss()
    {
        var directory = Path.Combine(Path.GetTempPath(), "bakery-tests", "outcomes-" + Guid.NewGuid().ToString("N"));
        try
        {
            var sbom = Path.Combine(directory, "in", "sbom.cdx.json");
            Directory.CreateDirectory(Path.GetDirectoryName(sbom)!);
            File.WriteAllText(sbom, """{"bomFormat":"CycloneDX"}""");
            var outcome = new Bakery.Core.Baking.VerifiedOutcome(
                [new("checks.yaml", "file", "app exists", true, null) { Platform = "linux/arm64" }, new("base.yaml", "command", "runs", false, "skipped: no engine", Skipped: true, InheritedFrom: "Contoso.Base")],
                [new("/app/appsettings.json", 3, "generic-assignment", "pass****", 12, "abc", AllowedBecause: "a test fixture")],
                97,
                [new("DSA-1", "openssl", "Debian", "3.0.1", "3.0.2", Bakery.Core.Security.Severity.High, "a flaw", "sha256:1")]);
            var outcomes = new Bakery.Core.Baking.VerifiedOutcomes(Path.Combine(directory, "cache"));
            outcomes.Save("key", outcome, sbom);

            var copy = Path.Combine(directory, "out", "sbom.cdx.json");
            var read = outcomes.TryGet("key", copy);
            Assert.IsNotNull(read);
            Assert.IsTrue(read.FromCache);
            CollectionAssert.AreEqual(outcome.Checks.ToList(), read.Checks.ToList());
            CollectionAssert.AreEqual(outcome.AllowedSecrets.ToList(), read.AllowedSecrets.ToList());
            CollectionAssert.AreEqual(outcome.Vulnerabilities.ToList(), read.Vulnerabilities.ToList());
            Assert.AreEqual(97, read.SbomComponents);
            Assert.AreEqual(File.ReadAllText(sbom), File.ReadAllText(copy), "the cached SBOM is copied where the bake writes it");

            File.WriteAllText(Path.Combine(directory, "cache", "key.json"), """{"Checks":[{"File":""");
            Assert.IsNull(outcomes.TryGet("key", copy), "a damaged entry is verified again, not a crash");
        }
        finally
        {
            if (Directory.Exists(directory)) Directory.Delete(directory, recursive: true);
        }
    }

    [TestMethod]
    public void Every_enum_in_the_report_is_written_as_a_camel_case_string()
    {
        var context = Bakery.Core.Reports.ReportJson.Default;
        var seen = new HashSet<Type>();
        var enums = new SortedSet<string>(StringComparer.Ordinal);
        void Walk(Type type)
        {
            type = Nullable.GetUnderlyingType(type) ?? type;
            if (!seen.Add(type)) return;
            if (type.IsEnum) { enums.Add(type.Name); return; }
            var info = context.GetTypeInfo(type);
            if (info is null) return;
            foreach (var property in info.Properties) Walk(property.PropertyType);
            if (info.ElementType is { } element) Walk(element);
            if (info.KeyType is { } key) Walk(key);
        }
        Walk(typeof(Bakery.Core.Baking.BakeResult));
        var converted = context.Options.Converters.Select(c => c.GetType()).Where(t => t.IsGenericType).Select(t => t.GetGenericArguments()[0].Name).ToHashSet();
        var missing = enums.Where(e => !converted.Contains(e)).ToList();
        Assert.IsEmpty(missing, "enums in the report without CamelCaseEnumConverter in ReportJson's options: " + string.Join(", ", missing));
    }

    private static List<string> Names(JsonElement element) => element.EnumerateObject().Select(p => p.Name).ToList();

    private static (object? Value, string? Error) Read(Func<object?> read)
    {
        try { return (read(), null); }
        catch (JsonException e) { return (null, e.GetType().Name); }
    }

    private static List<Type> ObjectTypes(JsonSerializerContext context, Type root)
    {
        var seen = new HashSet<Type>();
        var objects = new List<Type>();
        void Walk(Type? type)
        {
            if (type is null || !seen.Add(type)) return;
            var info = context.GetTypeInfo(type);
            if (info is null) return;
            if (info.Kind == JsonTypeInfoKind.Object && info.Converter.GetType().Namespace?.StartsWith("System.Text.Json", StringComparison.Ordinal) == true)
            {
                objects.Add(type);
                foreach (var property in info.Properties) Walk(property.PropertyType);
            }
            Walk(info.ElementType);
            Walk(info.KeyType);
            Walk(Nullable.GetUnderlyingType(type));
        }
        Walk(root);
        return objects;
    }
}
