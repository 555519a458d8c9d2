namespace Bakery.Core.Running;

/// <summary>A BakeryRun step: a shell command run as <see cref="User"/> in a container of the image so far.</summary>
public sealed record RunStep(string Command, string? User, TimeSpan Timeout)
{
    public string Display => Command.Length <= 60 ? Command : Command[..57] + "...";
}
