using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace Bakery.Core.Verification;

/// <summary>
/// Reads container-structure-test v2 YAML. Existing files work unchanged; an unknown key is an
/// error (BAKE300) naming the file and line, so a typo never silently disables a check.
/// </summary>
public static class StructureTestParser
{
    private static readonly string[] TopKeys = ["schemaVersion", "globalEnvVars", "fileExistenceTests", "fileContentTests", "metadataTest", "licenseTests", "commandTests", "containerRunOptions"];

    public static StructureTestFile Load(string path, string? inheritedFrom = null)
    {
        if (!File.Exists(path)) throw BakeryException.Create("BAKE300", path, 0, "the file does not exist");
        return Parse(File.ReadAllText(path), path, inheritedFrom);
    }

    public static StructureTestFile Parse(string yaml, string path, string? inheritedFrom = null)
    {
        var stream = new YamlStream();
        try { stream.Load(new StringReader(yaml)); }
        catch (YamlException e) { throw BakeryException.Create("BAKE300", path, e.Start.Line, e.Message); }
        var file = new StructureTestFile(path, inheritedFrom);
        if (stream.Documents.Count == 0) return file;
        var root = Mapping(stream.Documents[0].RootNode, path, "the document");
        Check(root, path, TopKeys);
        var version = Scalar(root, "schemaVersion", path);
        if (version is not null && !version.StartsWith("2.", StringComparison.Ordinal))
            throw BakeryException.Create("BAKE300", path, Line(root), $"schemaVersion {version} is not supported; use 2.0.0");

        foreach (var node in Sequence(root, "fileExistenceTests", path))
        {
            var m = Mapping(node, path, "a fileExistenceTests entry");
            Check(m, path, "name", "path", "shouldExist", "permissions", "uid", "gid", "isExecutableBy");
            file.FileExistence.Add(new FileExistenceTest(Required(m, "name", path), Required(m, "path", path),
                Bool(m, "shouldExist", path) ?? true, Scalar(m, "permissions", path), Int(m, "uid", path), Int(m, "gid", path), Scalar(m, "isExecutableBy", path)));
        }
        foreach (var node in Sequence(root, "fileContentTests", path))
        {
            var m = Mapping(node, path, "a fileContentTests entry");
            Check(m, path, "name", "path", "expectedContents", "excludedContents");
            file.FileContent.Add(new FileContentTest(Required(m, "name", path), Required(m, "path", path), Strings(m, "expectedContents", path), Strings(m, "excludedContents", path)));
        }
        if (root.Children.TryGetValue(new YamlScalarNode("metadataTest"), out var metaNode))
        {
            var m = Mapping(metaNode, path, "metadataTest");
            Check(m, path, "envVars", "labels", "exposedPorts", "unexposedPorts", "entrypoint", "cmd", "workdir", "volumes", "user");
            file.Metadata = new MetadataTest
            {
                EnvVars = Pairs(m, "envVars", path),
                Labels = Pairs(m, "labels", path),
                ExposedPorts = Strings(m, "exposedPorts", path),
                UnexposedPorts = Strings(m, "unexposedPorts", path),
                Entrypoint = m.Children.ContainsKey(new YamlScalarNode("entrypoint")) ? Strings(m, "entrypoint", path) : null,
                Cmd = m.Children.ContainsKey(new YamlScalarNode("cmd")) ? Strings(m, "cmd", path) : null,
                Workdir = Scalar(m, "workdir", path),
                Volumes = Strings(m, "volumes", path),
                User = Scalar(m, "user", path),
            };
        }
        foreach (var node in Sequence(root, "licenseTests", path))
        {
            var m = Mapping(node, path, "a licenseTests entry");
            Check(m, path, "debian", "files");
            file.License.Add(new LicenseTest(Bool(m, "debian", path) ?? false, Strings(m, "files", path)));
        }
        foreach (var node in Sequence(root, "commandTests", path))
        {
            var m = Mapping(node, path, "a commandTests entry");
            Check(m, path, "name", "command", "args", "envVars", "expectedOutput", "excludedOutput", "expectedError", "excludedError", "exitCode", "setup", "teardown");
            file.Commands.Add(new CommandTest(Required(m, "name", path), Required(m, "command", path), Strings(m, "args", path),
                Pairs(m, "envVars", path).Select(p => (p.Key, p.Value)).ToList(),
                Strings(m, "expectedOutput", path), Strings(m, "excludedOutput", path), Strings(m, "expectedError", path), Strings(m, "excludedError", path),
                Int(m, "exitCode", path) ?? 0, Sequence(m, "setup", path).Select(s => (IReadOnlyList<string>)StringList(s, path)).ToList(),
                Sequence(m, "teardown", path).Select(s => (IReadOnlyList<string>)StringList(s, path)).ToList()));
        }
        return file;
    }

    private static int Line(YamlNode node) => (int)node.Start.Line;

    private static void Check(YamlMappingNode m, string path, params string[] allowed)
    {
        foreach (var (key, _) in m.Children)
            if (key is not YamlScalarNode { Value: { } name } || !allowed.Contains(name))
                throw BakeryException.Create("BAKE300", path, Line(key), $"unknown key '{key}' (allowed here: {string.Join(", ", allowed)})");
    }

    private static YamlMappingNode Mapping(YamlNode node, string path, string what) =>
        node as YamlMappingNode ?? throw BakeryException.Create("BAKE300", path, Line(node), $"{what} must be a mapping");

    private static IEnumerable<YamlNode> Sequence(YamlMappingNode m, string key, string path)
    {
        if (!m.Children.TryGetValue(new YamlScalarNode(key), out var node) || node is YamlScalarNode { Value: null or "" }) return [];
        return node as YamlSequenceNode ?? throw BakeryException.Create("BAKE300", path, Line(node), $"'{key}' must be a list");
    }

    private static string? Scalar(YamlMappingNode m, string key, string path)
    {
        if (!m.Children.TryGetValue(new YamlScalarNode(key), out var node)) return null;
        return node is YamlScalarNode s ? s.Value : throw BakeryException.Create("BAKE300", path, Line(node), $"'{key}' must be a single value");
    }

    private static string Required(YamlMappingNode m, string key, string path) =>
        Scalar(m, key, path) is { Length: > 0 } value ? value : throw BakeryException.Create("BAKE300", path, Line(m), $"'{key}' is required");

    private static bool? Bool(YamlMappingNode m, string key, string path) => Scalar(m, key, path) switch
    {
        null => null,
        var v when bool.TryParse(v, out var b) => b,
        var v => throw BakeryException.Create("BAKE300", path, Line(m), $"'{key}' must be true or false, not '{v}'"),
    };

    private static int? Int(YamlMappingNode m, string key, string path) => Scalar(m, key, path) switch
    {
        null => null,
        var v when int.TryParse(v, out var i) => i,
        var v => throw BakeryException.Create("BAKE300", path, Line(m), $"'{key}' must be a whole number, not '{v}'"),
    };

    private static List<string> Strings(YamlMappingNode m, string key, string path) =>
        Sequence(m, key, path).Select(n => n is YamlScalarNode s ? s.Value ?? "" : throw BakeryException.Create("BAKE300", path, Line(n), $"'{key}' must be a list of strings")).ToList();

    private static List<string> StringList(YamlNode node, string path) =>
        node is YamlSequenceNode seq ? seq.Select(n => (n as YamlScalarNode)?.Value ?? "").ToList()
            : throw BakeryException.Create("BAKE300", path, Line(node), "a setup or teardown step must be a list of strings");

    private static List<(string Key, string Value, bool IsRegex)> Pairs(YamlMappingNode m, string key, string path) =>
        Sequence(m, key, path).Select(n =>
        {
            var pair = Mapping(n, path, $"a '{key}' entry");
            Check(pair, path, "key", "value", "isRegex");
            return (Required(pair, "key", path), Scalar(pair, "value", path) ?? "", Bool(pair, "isRegex", path) ?? false);
        }).ToList();
}
