namespace Bakery.Core.Verification;

/// <summary>A container-structure-test v2 file (the subset Bakery runs), with where it came from.</summary>
public sealed record StructureTestFile(string Path, string? InheritedFrom)
{
    public List<FileExistenceTest> FileExistence { get; } = [];
    public List<FileContentTest> FileContent { get; } = [];
    public MetadataTest? Metadata { get; set; }
    public List<LicenseTest> License { get; } = [];
    public List<CommandTest> Commands { get; } = [];
}

public sealed record FileExistenceTest(string Name, string Path, bool ShouldExist = true, string? Permissions = null, int? Uid = null, int? Gid = null, string? IsExecutableBy = null);

public sealed record FileContentTest(string Name, string Path, IReadOnlyList<string> ExpectedContents, IReadOnlyList<string> ExcludedContents);

public sealed record MetadataTest
{
    public IReadOnlyList<(string Key, string Value, bool IsRegex)> EnvVars { get; init; } = [];
    public IReadOnlyList<(string Key, string Value, bool IsRegex)> Labels { get; init; } = [];
    public IReadOnlyList<string> ExposedPorts { get; init; } = [];
    public IReadOnlyList<string> UnexposedPorts { get; init; } = [];
    public IReadOnlyList<string>? Entrypoint { get; init; }
    public IReadOnlyList<string>? Cmd { get; init; }
    public string? Workdir { get; init; }
    public IReadOnlyList<string> Volumes { get; init; } = [];
    public string? User { get; init; }
}

public sealed record LicenseTest(bool Debian, IReadOnlyList<string> Files);

public sealed record CommandTest(string Name, string Command, IReadOnlyList<string> Args, IReadOnlyList<(string Key, string Value)> EnvVars,
    IReadOnlyList<string> ExpectedOutput, IReadOnlyList<string> ExcludedOutput, IReadOnlyList<string> ExpectedError, IReadOnlyList<string> ExcludedError,
    int ExitCode, IReadOnlyList<IReadOnlyList<string>> Setup, IReadOnlyList<IReadOnlyList<string>> Teardown);

/// <summary>One check's outcome, for the console, the reports and JUnit.</summary>
public sealed record CheckResult(string File, string Suite, string Name, bool Passed, string? Failure, bool Skipped = false, string? InheritedFrom = null);
