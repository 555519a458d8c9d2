using System.Text;
using System.Text.RegularExpressions;
using Bakery.Oci.Layers;
using Bakery.Oci.Model;

namespace Bakery.Core.Verification;

/// <summary>Runs the daemonless parts of structure tests (files, contents, metadata, licenses) against an image.</summary>
public static class StructureTestRunner
{
    public static IEnumerable<CheckResult> Run(StructureTestFile file, ImageFilesystem fs, ImageConfig config)
    {
        var name = Path.GetFileName(file.Path);
        CheckResult Result(string suite, string test, string? failure) => new(name, suite, test, failure is null, failure, InheritedFrom: file.InheritedFrom);

        foreach (var t in file.FileExistence) yield return Result("fileExistenceTests", t.Name, FileExistence(t, fs));
        foreach (var t in file.FileContent) yield return Result("fileContentTests", t.Name, FileContent(t, fs));
        if (file.Metadata is { } m) yield return Result("metadataTest", "metadata", Metadata(m, config));
        foreach (var t in file.License) yield return Result("licenseTests", t.Debian ? "debian copyright files" : "license files", License(t, fs));
    }

    private static string? FileExistence(FileExistenceTest t, ImageFilesystem fs)
    {
        var node = fs.Resolve(t.Path);
        if (node is null) return t.ShouldExist ? $"{t.Path} does not exist" : null;
        if (!t.ShouldExist) return $"{t.Path} exists but should not";
        if (t.Permissions is { } wanted && ModeString(node) != wanted) return $"{t.Path} has permissions {ModeString(node)}, expected {wanted}";
        if (t.Uid is { } uid && node.Uid != uid) return $"{t.Path} is owned by uid {node.Uid}, expected {uid}";
        if (t.Gid is { } gid && node.Gid != gid) return $"{t.Path} has gid {node.Gid}, expected {gid}";
        if (t.IsExecutableBy is { } who)
        {
            var bits = who.ToLowerInvariant() switch
            {
                "owner" => 0x40, "group" => 0x8, "other" => 0x1, "any" => 0x49,
                _ => throw BakeryException.Create("BAKE300", t.Path, 0, $"isExecutableBy must be owner, group, other or any, not '{who}'"),
            };
            if ((node.Mode & bits) == 0) return $"{t.Path} is not executable by {who} (mode {ModeString(node)})";
        }
        return null;
    }

    private static string? FileContent(FileContentTest t, ImageFilesystem fs)
    {
        var node = fs.Resolve(t.Path);
        if (node is null) return $"{t.Path} does not exist";
        var bytes = fs.ReadFile(node);
        if (bytes is null) return $"{t.Path} is not a regular file";
        var text = Encoding.UTF8.GetString(bytes);
        var missing = t.ExpectedContents.Where(p => !Regex.IsMatch(text, p, RegexOptions.Multiline)).ToList();
        var present = t.ExcludedContents.Where(p => Regex.IsMatch(text, p, RegexOptions.Multiline)).ToList();
        if (missing.Count > 0) return $"{t.Path} does not match {string.Join(", ", missing.Select(p => $"/{p}/"))}";
        if (present.Count > 0) return $"{t.Path} matches excluded {string.Join(", ", present.Select(p => $"/{p}/"))}";
        return null;
    }

    private static string? Metadata(MetadataTest m, ImageConfig config)
    {
        var problems = new List<string>();
        void Pairs(IReadOnlyList<(string Key, string Value, bool IsRegex)> expected, IReadOnlyDictionary<string, string> actual, string what)
        {
            foreach (var (key, value, isRegex) in expected)
            {
                if (!actual.TryGetValue(key, out var found)) problems.Add($"{what} {key} is not set");
                else if (isRegex ? !Regex.IsMatch(found, value) : found != value) problems.Add($"{what} {key} is '{found}', expected {(isRegex ? $"/{value}/" : $"'{value}'")}");
            }
        }
        Pairs(m.EnvVars, config.Environment, "environment variable");
        Pairs(m.Labels, config.Labels, "label");
        static string Port(string p) => p.Contains('/') ? p : p + "/tcp";
        var ports = config.ExposedPorts.Select(Port).ToHashSet();
        problems.AddRange(m.ExposedPorts.Where(p => !ports.Contains(Port(p))).Select(p => $"port {p} is not exposed"));
        problems.AddRange(m.UnexposedPorts.Where(p => ports.Contains(Port(p))).Select(p => $"port {p} is exposed"));
        if (m.Entrypoint is { } e && !e.SequenceEqual(config.Entrypoint)) problems.Add($"entrypoint is [{string.Join(", ", config.Entrypoint)}], expected [{string.Join(", ", e)}]");
        if (m.Cmd is { } c && !c.SequenceEqual(config.Cmd)) problems.Add($"cmd is [{string.Join(", ", config.Cmd)}], expected [{string.Join(", ", c)}]");
        if (m.Workdir is { } w && w.TrimEnd('/') != (config.WorkingDir ?? "").TrimEnd('/')) problems.Add($"workdir is '{config.WorkingDir}', expected '{w}'");
        if (m.User is { } u && u != (config.User ?? "")) problems.Add($"user is '{config.User}', expected '{u}'");
        var volumes = config.Volumes.ToHashSet();
        problems.AddRange(m.Volumes.Where(v => !volumes.Contains(v)).Select(v => $"volume {v} is not declared"));
        return problems.Count == 0 ? null : string.Join("; ", problems);
    }

    private static string? License(LicenseTest t, ImageFilesystem fs)
    {
        var problems = new List<string>();
        if (t.Debian)
            foreach (var package in fs.ChildrenOf("usr/share/doc").Where(p => fs.Resolve(p)?.Type == LayerEntryType.Directory))
                if (fs.Resolve(package + "/copyright") is null) problems.Add($"/{package} has no copyright file");
        problems.AddRange(t.Files.Where(f => fs.Resolve(f) is null).Select(f => $"{f} does not exist"));
        return problems.Count == 0 ? null : string.Join("; ", problems.Take(10)) + (problems.Count > 10 ? $" (and {problems.Count - 10} more)" : "");
    }

    /// <summary>Go's FileMode string, as container-structure-test writes permissions: "-rwxr-xr-x", "drwxr-xr-x".</summary>
    public static string ModeString(ImageFilesystem.Node node)
    {
        var type = node.Type switch { LayerEntryType.Directory => 'd', LayerEntryType.SymbolicLink => 'L', _ => '-' };
        var text = new StringBuilder().Append(type);
        const string letters = "rwxrwxrwx";
        for (var i = 0; i < 9; i++) text.Append((node.Mode & (1 << (8 - i))) != 0 ? letters[i] : '-');
        return text.ToString();
    }
}
