namespace Bakery.Core.Verification;

/// <summary>A container-structure-test v2 file, every key CST knows, with where it came from.</summary>
public sealed record StructureTestFile(string Path, string? InheritedFrom)
{
    public List<EnvVar> GlobalEnvVars { get; } = [];
    public List<FileExistenceTest> FileExistence { get; } = [];
    public List<FileContentTest> FileContent { get; } = [];
    public MetadataTest? Metadata { get; set; }
    public List<LicenseTest> License { get; } = [];
    public List<CommandTest> Commands { get; } = [];
    public ContainerRunOptions RunOptions { get; set; } = ContainerRunOptions.None;

    /// <summary>What the file does that still works but should change (renamed keys: BAKE335).</summary>
    public List<BakeryDiagnostic> Warnings { get; } = [];
}

/// <summary>An environment variable or label pair (<c>key</c>, <c>value</c>, <c>isRegex</c>).</summary>
public sealed record EnvVar(string Key, string Value, bool IsRegex = false);

/// <param name="Permissions">Go's FileMode string of the lstat; null: not checked.</param>
/// <param name="Uid">Null: not checked (CST's -1).</param>
public sealed record FileExistenceTest(string Name, string Path, bool ShouldExist = true, string? Permissions = null, int? Uid = null, int? Gid = null, string? IsExecutableBy = null);

public sealed record FileContentTest(string Name, string Path, IReadOnlyList<string> ExpectedContents, IReadOnlyList<string> ExcludedContents);

/// <summary>metadataTest. Empty lists and null or empty strings are not checked; an empty entrypoint or cmd list is (it must be empty).</summary>
public sealed record MetadataTest
{
    public IReadOnlyList<EnvVar> EnvVars { get; init; } = [];
    public IReadOnlyList<string> UnboundEnvVars { get; init; } = [];
    public IReadOnlyList<EnvVar> Labels { get; init; } = [];
    public IReadOnlyList<string> ExposedPorts { get; init; } = [];
    public IReadOnlyList<string> UnexposedPorts { get; init; } = [];
    public IReadOnlyList<string>? Entrypoint { get; init; }
    public IReadOnlyList<string>? Cmd { get; init; }
    public string? Workdir { get; init; }
    public IReadOnlyList<string> Volumes { get; init; } = [];
    public IReadOnlyList<string> UnmountedVolumes { get; init; } = [];
    public string? User { get; init; }

    /// <summary>As CST: a metadataTest that checks nothing is not run (and not reported).</summary>
    public bool IsEmpty => EnvVars.Count == 0 && UnboundEnvVars.Count == 0 && Labels.Count == 0 && ExposedPorts.Count == 0 && UnexposedPorts.Count == 0
        && Entrypoint is null && Cmd is null && string.IsNullOrEmpty(Workdir) && string.IsNullOrEmpty(User) && Volumes.Count == 0 && UnmountedVolumes.Count == 0;
}

public sealed record LicenseTest(bool Debian, IReadOnlyList<string> Files);

public sealed record CommandTest(string Name, string Command, IReadOnlyList<string> Args, IReadOnlyList<EnvVar> EnvVars,
    IReadOnlyList<string> ExpectedOutput, IReadOnlyList<string> ExcludedOutput, IReadOnlyList<string> ExpectedError, IReadOnlyList<string> ExcludedError,
    int ExitCode, IReadOnlyList<IReadOnlyList<string>> Setup, IReadOnlyList<IReadOnlyList<string>> Teardown);

/// <summary>
/// containerRunOptions: how every command test of the file runs. <see cref="EnvVars"/> names
/// variables passed through from Bakery's own environment; <see cref="EnvFile"/> entries come from
/// the file it names (read when the verification file is loaded).
/// </summary>
public sealed record ContainerRunOptions
{
    public static readonly ContainerRunOptions None = new();

    public string? User { get; init; }
    public bool Privileged { get; init; }
    public bool AllocateTty { get; init; }
    public IReadOnlyList<string> EnvVars { get; init; } = [];
    public string? EnvFile { get; init; }
    public IReadOnlyList<KeyValuePair<string, string>> EnvFileEntries { get; init; } = [];
    public IReadOnlyList<string> Capabilities { get; init; } = [];
    public IReadOnlyList<string> BindMounts { get; init; } = [];

    /// <summary>Needs BakeryAllowPrivilegedCommandTests: privileged containers and host folders reach outside the container.</summary>
    public bool NeedsPrivilege => Privileged || BindMounts.Count > 0;
}

/// <summary>One check's outcome, for the console, the reports and JUnit.</summary>
public sealed record CheckResult(string File, string Suite, string Name, bool Passed, string? Failure, bool Skipped = false, string? InheritedFrom = null)
{
    /// <summary>The platform image the check ran on, in a multi-platform bake; null for a single image.</summary>
    public string? Platform { get; init; }
}
