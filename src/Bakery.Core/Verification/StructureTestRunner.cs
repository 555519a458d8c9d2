using System.Text;
using Bakery.Oci.Layers;
using Bakery.Oci.Model;

namespace Bakery.Core.Verification;

/// <summary>
/// Runs the daemonless parts of structure tests (files, contents, metadata, licenses) on the merged
/// layers, judging as container-structure-test's docker driver does: file existence is an lstat
/// (a symlink is itself, a dangling one exists), paths expand <c>$VAR</c> from the image's
/// environment plus globalEnvVars, permissions are Go's FileMode strings, regexes are Go's.
/// </summary>
public static class StructureTestRunner
{
    private const string DebianDocs = "usr/share/doc";
    // CST's built-in license policy: these words in a copyright file fail it; this package always passes.
    private static readonly string[] RefusedLicenses = ["AGPL", "WTFPL"];
    private static readonly string[] AllowedPackages = ["libgnutls30"];

    public static IEnumerable<CheckResult> Run(StructureTestFile file, ImageFilesystem fs, ImageConfig config)
    {
        var name = Path.GetFileName(file.Path);
        CheckResult Result(string suite, string test, string? failure) => new(name, suite, test, failure is null, failure, InheritedFrom: file.InheritedFrom);
        var image = config.Environment;
        var environment = EnvExpansion.Merge(image, EnvExpansion.Globals(image, file.GlobalEnvVars));

        foreach (var t in file.FileExistence) yield return Result("fileExistenceTests", t.Name, FileExistence(t, fs, environment));
        foreach (var t in file.FileContent) yield return Result("fileContentTests", t.Name, FileContent(t, fs));
        if (file.Metadata is { IsEmpty: false } m) yield return Result("metadataTest", "metadata", Metadata(m, config));
        foreach (var t in file.License) yield return Result("licenseTests", t.Debian ? "debian copyright files" : "license files", License(t, fs));
    }

    private static string? FileExistence(FileExistenceTest t, ImageFilesystem fs, IReadOnlyDictionary<string, string> environment)
    {
        var path = EnvExpansion.Expand(t.Path, environment);
        var shown = path == t.Path ? t.Path : $"{t.Path} ({path})";
        var node = fs.Resolve(path, followLast: false);
        if (node is null) return t.ShouldExist ? $"{shown} does not exist" : null;
        if (!t.ShouldExist) return $"{shown} exists but should not";
        var problems = new List<string>();
        var mode = GoFileMode.Format(node);
        if (t.Permissions is { } wanted && mode != wanted) problems.Add($"{shown} has permissions {mode}, expected {wanted}");
        if (t.IsExecutableBy is { } who)
        {
            var bits = who switch { "owner" => 0x40, "group" => 0x8, "other" => 0x1, _ => 0x49 };
            var perms = node.Type == LayerEntryType.SymbolicLink ? 0x1FF : node.Mode;
            if ((perms & bits) == 0) problems.Add($"{shown} is not executable by {who} (mode {mode})");
        }
        if (t.Uid is { } uid && node.Uid != uid) problems.Add($"{shown} is owned by uid {node.Uid}, expected {uid}");
        if (t.Gid is { } gid && node.Gid != gid) problems.Add($"{shown} has gid {node.Gid}, expected {gid}");
        return problems.Count == 0 ? null : string.Join("; ", problems);
    }

    private static string? FileContent(FileContentTest t, ImageFilesystem fs)
    {
        var node = fs.Resolve(t.Path);
        if (node is null) return $"{t.Path} does not exist";
        if (node.Type == LayerEntryType.Directory) return $"{t.Path} is a directory, not a file";
        var bytes = fs.ReadFile(node);
        if (bytes is null) return $"{t.Path} is not a regular file";
        var text = Encoding.UTF8.GetString(bytes);
        var problems = new List<string>();
        foreach (var pattern in t.ExpectedContents)
            if (!GoRegex.IsMatch(pattern, text, out var error)) problems.Add(error ?? $"{t.Path} does not match /{pattern}/");
        foreach (var pattern in t.ExcludedContents)
            if (GoRegex.IsMatch(pattern, text, out var error) || error is not null) problems.Add(error ?? $"{t.Path} matches excluded /{pattern}/");
        return problems.Count == 0 ? null : string.Join("; ", problems);
    }

    private static string? Metadata(MetadataTest m, ImageConfig config)
    {
        var problems = new List<string>();
        void Pairs(IReadOnlyList<EnvVar> expected, IReadOnlyDictionary<string, string> actual, string what)
        {
            foreach (var (key, value, isRegex) in expected)
            {
                if (!actual.TryGetValue(key, out var found)) problems.Add($"{what} {key} is not set");
                else if (isRegex ? !GoRegex.IsMatch(value, found, out _) : found != value)
                    problems.Add($"{what} {key} is '{found}', expected {(isRegex ? $"/{value}/" : $"'{value}'")}");
            }
        }
        var environment = config.Environment;
        Pairs(m.EnvVars, environment, "environment variable");
        problems.AddRange(m.UnboundEnvVars.Where(environment.ContainsKey).Select(k => $"environment variable {k} is set but should not be"));
        Pairs(m.Labels, config.Labels, "label");
        var ports = config.ExposedPorts;
        problems.AddRange(m.ExposedPorts.Where(p => !IsExposed(p, ports)).Select(p => $"port {p} is not exposed"));
        problems.AddRange(m.UnexposedPorts.Where(p => IsExposed(p, ports)).Select(p => $"port {p} is exposed but should not be"));
        if (m.Entrypoint is { } e && !e.SequenceEqual(config.Entrypoint)) problems.Add($"entrypoint is [{string.Join(", ", config.Entrypoint)}], expected [{string.Join(", ", e)}]");
        if (m.Cmd is { } c && !c.SequenceEqual(config.Cmd)) problems.Add($"cmd is [{string.Join(", ", config.Cmd)}], expected [{string.Join(", ", c)}]");
        if (m.Workdir is { } w && w != (config.WorkingDir ?? "")) problems.Add($"workdir is '{config.WorkingDir}', expected '{w}'");
        if (m.User is { } u && u != (config.User ?? "")) problems.Add($"user is '{config.User}', expected '{u}'");
        var volumes = config.Volumes;
        problems.AddRange(m.Volumes.Where(v => !volumes.Contains(v)).Select(v => $"volume {v} is not declared"));
        problems.AddRange(m.UnmountedVolumes.Where(volumes.Contains).Select(v => $"volume {v} is declared but should not be"));
        return problems.Count == 0 ? null : string.Join("; ", problems);
    }

    /// <summary>
    /// CST compares the port number alone (it drops "/tcp" from the image's ports), so "8080" means
    /// 8080 over any protocol. A port written with its protocol ("8080/tcp", "53/udp") is matched
    /// with that protocol, where CST would never match it.
    /// </summary>
    public static bool IsExposed(string port, IReadOnlyList<string> exposed)
    {
        var slash = port.IndexOf('/');
        return slash < 0
            ? exposed.Any(e => (e.IndexOf('/') is var s && s >= 0 ? e[..s] : e) == port)
            : exposed.Any(e => string.Equals(e.Contains('/') ? e : e + "/tcp", port, StringComparison.OrdinalIgnoreCase));
    }

    private static string? License(LicenseTest t, ImageFilesystem fs)
    {
        var problems = new List<string>();
        if (t.Debian)
        {
            if (fs.Resolve(DebianDocs) is not { Type: LayerEntryType.Directory } && !fs.DirectoryHasEntries(DebianDocs))
                problems.Add($"/{DebianDocs} cannot be read");
            else
                foreach (var package in fs.ChildrenOf(DebianDocs).Order(StringComparer.Ordinal))
                {
                    var packageName = package[(package.LastIndexOf('/') + 1)..];
                    if (fs.Resolve(package, followLast: false)?.Type != LayerEntryType.Directory || AllowedPackages.Contains(packageName)) continue;
                    var copyright = package + "/copyright";
                    if (fs.Resolve(copyright, followLast: false) is null) problems.Add($"/{package} has no copyright file");
                    else if (LicenseProblem(fs, copyright) is { } problem) problems.Add(problem);
                }
        }
        foreach (var licenseFile in t.Files)
            if (LicenseProblem(fs, licenseFile) is { } problem) problems.Add(problem);
        return problems.Count == 0 ? null : string.Join("; ", problems.Take(10)) + (problems.Count > 10 ? $" (and {problems.Count - 10} more)" : "");
    }

    private static string? LicenseProblem(ImageFilesystem fs, string path)
    {
        var shown = "/" + path.TrimStart('/');
        var node = fs.Resolve(path);
        if (node is null) return $"{shown} does not exist";
        if (fs.ReadFile(node) is not { } bytes) return $"{shown} is not a readable file";
        var text = Encoding.UTF8.GetString(bytes).ToUpperInvariant();
        return RefusedLicenses.FirstOrDefault(text.Contains) is { } word ? $"{shown} names the {word} license, which container-structure-test's license check refuses" : null;
    }
}
