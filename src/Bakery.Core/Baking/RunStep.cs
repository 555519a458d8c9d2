using Bakery.Oci.Model;

namespace Bakery.Core.Baking;

/// <summary>A BakeryRun step: a shell command run as <see cref="User"/> in a container of the image so far.</summary>
/// <param name="Name">The BakeryRun item's name when its command is in <c>Command</c> metadata.</param>
/// <param name="Platforms">The platforms it runs for (<c>Platform</c> metadata); null: every platform.</param>
public sealed record RunStep(string Command, string? User, TimeSpan Timeout, string? Name = null, string? After = null, IReadOnlyList<Platform>? Platforms = null) : IBakeStep
{
    public string StepName => Name ?? Command;

    public string Display => Command.Length <= 60 ? Command : Command[..57] + "...";
}
