using Bakery.Core.Descriptors;

namespace Bakery.Core.Verification;

public enum CommandTestMode { Auto, Always, Never }

/// <summary>The verification files a bake runs: the project's own and every ancestor's, parsed up front.</summary>
/// <param name="AllowPrivileged">BakeryAllowPrivilegedCommandTests: containerRunOptions privileged and bindMounts may be used.</param>
public sealed record VerificationPlan(IReadOnlyList<(string Path, string? InheritedFrom)> Sources, CommandTestMode CommandTests, bool AllowPrivileged = false)
{
    public static readonly VerificationPlan None = new([], CommandTestMode.Auto);

    private IReadOnlyList<StructureTestFile>? _files;

    /// <summary>The parsed files (BAKE300 for a malformed one); parsed on first use, so a cached verification skips it.</summary>
    public IReadOnlyList<StructureTestFile> Files => _files ??= Sources.Select(s => StructureTestParser.Load(s.Path, s.InheritedFrom, AllowPrivileged)).ToList();

    public bool IsEmpty => Sources.Count == 0;

    public bool HasCommandTests => Files.Any(f => f.Commands.Count > 0);

    /// <summary>
    /// What the outcome depends on besides the image: every file's content, the command-test mode and
    /// privilege, and what containerRunOptions bring in from outside the file (envFile entries, passed-through variables).
    /// </summary>
    public string Fingerprint() =>
        string.Join("\n", Sources.Select(s => $"{s.InheritedFrom}|{Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(File.ReadAllBytes(s.Path)))}")
            .Concat(Files.Where(f => f.Commands.Count > 0).Select(f => Hash(string.Join("\n",
                f.RunOptions.EnvFileEntries.Select(e => $"{e.Key}={e.Value}")
                    .Concat(f.RunOptions.EnvVars.Select(name => $"{name}={Environment.GetEnvironmentVariable(name)}"))))))
            .Append(CommandTests.ToString()).Append(AllowPrivileged ? "privileged" : ""));

    private static string Hash(string text) => Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(text)));

    /// <param name="ownFiles">BakeryVerify items of the project.</param>
    /// <param name="baseDescriptor">The base-image package's descriptor; its verify list holds every ancestor's files.</param>
    /// <param name="descriptorPath">Where that descriptor lies (the package root is its folder's parent).</param>
    /// <param name="allowPrivileged">BakeryAllowPrivilegedCommandTests (or bakery verify --allow-privileged).</param>
    public static VerificationPlan Create(IEnumerable<string> ownFiles, BaseImageDescriptor? baseDescriptor, string? descriptorPath, string? commandTests,
        bool allowPrivileged = false)
    {
        var sources = new List<(string, string?)>();
        foreach (var file in ownFiles)
        {
            if (!File.Exists(file)) throw Messages.BAKE300(file, 0, "the file does not exist").Exception();
            sources.Add((file, null));
        }
        if (baseDescriptor is not null && descriptorPath is not null)
        {
            foreach (var relative in baseDescriptor.Verify)
            {
                var owner = PackageLayout.VerifyOwner(relative) ?? baseDescriptor.Id;
                var path = PackageLayout.FileIn(descriptorPath, relative);
                if (!File.Exists(path)) throw Messages.BAKE300(path, 0, $"the verification file of {owner} is missing from its package").Exception();
                sources.Add((path, owner));
            }
        }
        var mode = (commandTests ?? "auto").Trim().ToLowerInvariant() switch
        {
            "" or "auto" => CommandTestMode.Auto,
            "true" => CommandTestMode.Always,
            "false" => CommandTestMode.Never,
            var other => throw Messages.BAKE502("BakeryRunCommandTests", other, "use auto, true or false").Exception(),
        };
        return new VerificationPlan(sources, mode, allowPrivileged);
    }
}
