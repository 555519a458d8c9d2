using Bakery.Core.Descriptors;

namespace Bakery.Core.Verification;

public enum CommandTestMode { Auto, Always, Never }

/// <summary>The verification files a bake runs: the project's own and every ancestor's, parsed up front.</summary>
public sealed record VerificationPlan(IReadOnlyList<StructureTestFile> Files, CommandTestMode CommandTests)
{
    public static readonly VerificationPlan None = new([], CommandTestMode.Auto);

    public bool IsEmpty => Files.Count == 0;

    public bool HasCommandTests => Files.Any(f => f.Commands.Count > 0);

    /// <param name="ownFiles">BakeryVerify items of the project.</param>
    /// <param name="baseDescriptor">The base-image package's descriptor; its verify list holds every ancestor's files.</param>
    /// <param name="descriptorPath">Where that descriptor lies (the package root is its folder's parent).</param>
    public static VerificationPlan Create(IEnumerable<string> ownFiles, BaseImageDescriptor? baseDescriptor, string? descriptorPath, string? commandTests)
    {
        var files = ownFiles.Select(f => StructureTestParser.Load(f)).ToList();
        if (baseDescriptor is not null && descriptorPath is not null)
        {
            var packageRoot = Path.GetFullPath(Path.Combine(Path.GetDirectoryName(descriptorPath)!, ".."));
            foreach (var relative in baseDescriptor.Verify)
            {
                var owner = relative.Split('/') is { Length: >= 4 } parts ? parts[2] : baseDescriptor.Id;
                files.Add(StructureTestParser.Load(Path.Combine(packageRoot, relative), owner));
            }
        }
        var mode = (commandTests ?? "auto").Trim().ToLowerInvariant() switch
        {
            "" or "auto" => CommandTestMode.Auto,
            "true" => CommandTestMode.Always,
            "false" => CommandTestMode.Never,
            var other => throw BakeryException.Create("BAKE502", "BakeryRunCommandTests", other, "use auto, true or false"),
        };
        return new VerificationPlan(files, mode);
    }
}
