using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace Bakery.Core.Verification;

/// <summary>
/// Reads container-structure-test v2 files: every key CST knows, decoded as CST's yaml.v2 decodes
/// them (see <see cref="YamlFields"/>), checked as CST validates them, so a file that works with CST
/// works here and a typo never silently disables a check (BAKE300 with file and line). The names
/// CST used before 1.13 (<c>env</c>, <c>unboundEnv</c>) still load, with warning BAKE335.
/// containerRunOptions that reach outside the container (<c>privileged</c>, <c>bindMounts</c>) are
/// refused unless <c>allowPrivileged</c>.
/// </summary>
public static class StructureTestParser
{
    private static readonly string[] TopKeys = ["schemaVersion", "globalEnvVars", "fileExistenceTests", "fileContentTests", "metadataTest", "licenseTests", "commandTests", "containerRunOptions"];
    private static readonly string[] FileExistenceKeys = ["name", "path", "shouldExist", "permissions", "uid", "gid", "isExecutableBy"];
    private static readonly string[] FileContentKeys = ["name", "path", "expectedContents", "excludedContents"];
    private static readonly string[] MetadataKeys = ["envVars", "unboundEnvVars", "exposedPorts", "unexposedPorts", "entrypoint", "cmd", "workdir", "volumes", "unmountedVolumes", "labels", "user"];
    private static readonly string[] LicenseKeys = ["debian", "files"];
    private static readonly string[] CommandKeys = ["name", "setup", "teardown", "envVars", "exitCode", "command", "args", "expectedOutput", "excludedOutput", "expectedError", "excludedError"];
    private static readonly string[] RunOptionKeys = ["user", "privileged", "allocateTty", "envVars", "envFile", "capabilities", "bindMounts"];
    private static readonly string[] PairKeys = ["key", "value", "isRegex"];
    private static readonly string[] ExecutableBy = ["any", "owner", "group", "other"];
    private static readonly Dictionary<string, string> RenamedMetadataKeys = new(StringComparer.Ordinal) { ["env"] = "envVars", ["unboundEnv"] = "unboundEnvVars" };
    private static readonly string[] AllKeys = [.. TopKeys, .. FileExistenceKeys, .. FileContentKeys, .. MetadataKeys, .. LicenseKeys, .. CommandKeys, .. RunOptionKeys, .. PairKeys];

    public static StructureTestFile Load(string path, string? inheritedFrom = null, bool allowPrivileged = false)
    {
        if (!File.Exists(path)) throw Messages.BAKE300(path, 0, "the file does not exist").Exception();
        return Parse(File.ReadAllText(path), path, inheritedFrom, allowPrivileged);
    }

    public static StructureTestFile Parse(string yaml, string path, string? inheritedFrom = null, bool allowPrivileged = false)
    {
        var stream = new YamlStream();
        try { stream.Load(new StringReader(yaml)); }
        catch (YamlException e)
        {
            const string duplicate = "Duplicate key ";
            throw Messages.BAKE300(path, e.Start.Line, e.Message.StartsWith(duplicate, StringComparison.Ordinal)
                ? $"duplicate key '{e.Message[duplicate.Length..]}' (container-structure-test's yaml.v2 refuses it too)"
                : e.Message).Exception();
        }
        var file = new StructureTestFile(path, inheritedFrom);
        if (stream.Documents.Count == 0 || YamlFields.IsNull(stream.Documents[0].RootNode)) return file;
        if (stream.Documents[0].RootNode is not YamlMappingNode rootNode)
            throw Messages.BAKE300(path, (int)stream.Documents[0].RootNode.Start.Line, "the document must be a mapping (schemaVersion, fileExistenceTests, …)").Exception();
        var root = Fields(rootNode, path, "the document", TopKeys);
        var version = root.String("schemaVersion");
        if (version is { Length: > 0 } && !version.StartsWith("2.", StringComparison.Ordinal))
            throw root.Error("schemaVersion", $"schemaVersion {version} is not supported; use 2.0.0");

        file.GlobalEnvVars.AddRange(Pairs(root, "globalEnvVars", valueRequired: false));
        foreach (var node in root.Mappings("fileExistenceTests", "fileExistenceTests"))
            file.FileExistence.Add(FileExistence(Fields(node, path, "a fileExistenceTests entry", FileExistenceKeys)));
        foreach (var node in root.Mappings("fileContentTests", "fileContentTests"))
        {
            var m = Fields(node, path, "a fileContentTests entry", FileContentKeys);
            file.FileContent.Add(new FileContentTest(m.Required("name"), m.Required("path"), Regexes(m, "expectedContents"), Regexes(m, "excludedContents")));
        }
        if (root.Mapping("metadataTest") is { } metadataNode)
        {
            var m = Fields(metadataNode, path, "metadataTest", MetadataKeys, RenamedMetadataKeys);
            file.Warnings.AddRange(m.Warnings);
            var metadata = Metadata(m);
            if (!metadata.IsEmpty) file.Metadata = metadata;
        }
        foreach (var node in root.Mappings("licenseTests", "licenseTests"))
        {
            var m = Fields(node, path, "a licenseTests entry", LicenseKeys);
            file.License.Add(new LicenseTest(m.Bool("debian") ?? false, m.Strings("files") ?? []));
        }
        foreach (var node in root.Mappings("commandTests", "commandTests"))
            file.Commands.Add(Command(Fields(node, path, "a commandTests entry", CommandKeys)));
        if (root.Mapping("containerRunOptions") is { } optionsNode)
            file.RunOptions = RunOptions(Fields(optionsNode, path, "containerRunOptions", RunOptionKeys), path, allowPrivileged);
        return file;
    }

    private static YamlFields Fields(YamlMappingNode node, string path, string what, string[] allowed, IReadOnlyDictionary<string, string>? renamed = null) =>
        new(node, path, what, allowed, AllKeys, renamed);

    private static FileExistenceTest FileExistence(YamlFields m)
    {
        var executableBy = m.String("isExecutableBy");
        if (executableBy is { Length: > 0 } && !ExecutableBy.Contains(executableBy))
        {
            var near = ExecutableBy.FirstOrDefault(e => string.Equals(e, executableBy, StringComparison.OrdinalIgnoreCase));
            throw m.Error("isExecutableBy", $"isExecutableBy must be any, owner, group or other, not '{executableBy}'" + (near is null ? "" : $"; did you mean '{near}'?"));
        }
        static int? Owner(int? id) => id is null or -1 ? null : id; // -1 is CST's "not checked"
        return new FileExistenceTest(m.Required("name"), m.Required("path"), m.Bool("shouldExist") ?? true, NullIfEmpty(m.String("permissions")),
            Owner(m.Int("uid")), Owner(m.Int("gid")), NullIfEmpty(executableBy));
    }

    private static MetadataTest Metadata(YamlFields m)
    {
        foreach (var key in new[] { "exposedPorts", "volumes" })
            if (m.Strings(key)?.Any(v => v.Length == 0) == true) throw m.Error(key, $"an entry of '{key}' in metadataTest is empty");
        return new MetadataTest
        {
            EnvVars = Pairs(m, "envVars", valueRequired: false, regexes: true),
            UnboundEnvVars = Pairs(m, "unboundEnvVars", valueRequired: false).Select(p => p.Key).ToList(),
            Labels = Pairs(m, "labels", valueRequired: false, regexes: true),
            ExposedPorts = m.Strings("exposedPorts") ?? [],
            UnexposedPorts = m.Strings("unexposedPorts") ?? [],
            Entrypoint = m.Strings("entrypoint"),
            Cmd = m.Strings("cmd"),
            Workdir = NullIfEmpty(m.String("workdir")),
            Volumes = m.Strings("volumes") ?? [],
            UnmountedVolumes = m.Strings("unmountedVolumes") ?? [],
            User = NullIfEmpty(m.String("user")),
        };
    }

    private static CommandTest Command(YamlFields m) => new(m.Required("name"), m.Required("command"), m.Strings("args") ?? [],
        Pairs(m, "envVars", valueRequired: true),
        Regexes(m, "expectedOutput"), Regexes(m, "excludedOutput"), Regexes(m, "expectedError"), Regexes(m, "excludedError"),
        m.Int("exitCode") ?? 0, m.Commands("setup"), m.Commands("teardown"));

    private static ContainerRunOptions RunOptions(YamlFields m, string path, bool allowPrivileged)
    {
        string? envFile = null;
        IReadOnlyList<KeyValuePair<string, string>> entries = [];
        if (m.String("envFile") is { Length: > 0 } named)
        {
            // CST resolves it against its working directory; Bakery against the verification file's folder, so the file carries its meaning.
            envFile = Path.GetFullPath(Path.Combine(Path.GetDirectoryName(Path.GetFullPath(path)) ?? ".", named));
            if (!File.Exists(envFile)) throw m.Error("envFile", $"envFile {named} does not exist (looked for {envFile}, next to the verification file)");
            try { entries = DotEnvFile.Parse(File.ReadAllText(envFile)); }
            catch (FormatException e) { throw m.Error("envFile", $"envFile {envFile} is not an env file: {e.Message}"); }
        }
        var options = new ContainerRunOptions
        {
            User = NullIfEmpty(m.String("user")),
            Privileged = m.Bool("privileged") ?? false,
            AllocateTty = m.Bool("allocateTty") ?? false,
            EnvVars = m.Strings("envVars") ?? [],
            EnvFile = envFile,
            EnvFileEntries = entries,
            Capabilities = m.Strings("capabilities") ?? [],
            BindMounts = m.Strings("bindMounts") ?? [],
        };
        if (!allowPrivileged && options.Privileged)
            throw m.Error("privileged", "containerRunOptions.privileged runs command tests in a privileged container, with the host's devices and no confinement. It is refused unless BakeryAllowPrivilegedCommandTests=true (bakery verify --allow-privileged)");
        if (!allowPrivileged && options.BindMounts.Count > 0)
            throw m.Error("bindMounts", $"containerRunOptions.bindMounts ({string.Join(", ", options.BindMounts)}) gives command tests host folders. It is refused unless BakeryAllowPrivilegedCommandTests=true (bakery verify --allow-privileged)");
        if (options.EnvVars.Any(string.IsNullOrWhiteSpace)) throw m.Error("envVars", "an entry of containerRunOptions.envVars is empty; list the names of variables to pass through");
        return options;
    }

    /// <summary>key/value(/isRegex) entries; CST refuses an empty key, and for command tests an empty value.</summary>
    private static List<EnvVar> Pairs(YamlFields m, string key, bool valueRequired, bool regexes = false) =>
        m.Mappings(key, key).Select(node =>
        {
            var pair = new YamlFields(node, m.File, $"an entry of '{key}'", PairKeys, AllKeys);
            var name = pair.Required("key");
            var value = pair.String("value") ?? "";
            if (valueRequired && value.Length == 0) throw pair.Error("value", $"'value' is required in an entry of '{key}' and must not be empty (container-structure-test refuses it too)");
            var isRegex = pair.Bool("isRegex") ?? false;
            if (regexes && isRegex && GoRegex.Validate(value) is { } problem) throw pair.Error("value", problem);
            return new EnvVar(name, value, isRegex);
        }).ToList();

    /// <summary>A list of regular expressions, each checked now: CST would fail the test on one it cannot compile.</summary>
    private static List<string> Regexes(YamlFields m, string key)
    {
        var patterns = m.Strings(key) ?? [];
        foreach (var pattern in patterns)
            if (GoRegex.Validate(pattern) is { } problem) throw m.Error(key, problem);
        return patterns;
    }

    private static string? NullIfEmpty(string? value) => string.IsNullOrEmpty(value) ? null : value;
}
