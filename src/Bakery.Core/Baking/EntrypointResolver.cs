namespace Bakery.Core.Baking;

/// <summary>
/// Entrypoint and Cmd from the SDK's container properties, with the SDK's rules:
/// ContainerEntrypoint wins when set; otherwise ContainerAppCommandInstruction decides where the app
/// command goes (Entrypoint when the base has none, DefaultArgs when the base has one, or None).
/// </summary>
public static class EntrypointResolver
{
    public static (IReadOnlyList<string>? Entrypoint, IReadOnlyList<string>? Cmd) Resolve(
        ContainerSettings c, IReadOnlyList<string> baseEntrypoint, IReadOnlyList<string> baseCmd)
    {
        if (c.Entrypoint.Count > 0)
            return (c.Entrypoint, c.EntrypointArgs.Count > 0 ? c.EntrypointArgs : NullIfEmpty(c.DefaultArgs));

        var instruction = string.IsNullOrWhiteSpace(c.AppCommandInstruction)
            ? (baseEntrypoint.Count > 0 ? "DefaultArgs" : "Entrypoint")
            : c.AppCommandInstruction.Trim();
        var app = c.AppCommand.Concat(c.AppCommandArgs).ToList();

        return instruction.ToLowerInvariant() switch
        {
            "entrypoint" => (NullIfEmpty(app) ?? NullIfEmpty(baseEntrypoint), NullIfEmpty(c.DefaultArgs)),
            "defaultargs" => (NullIfEmpty(baseEntrypoint), NullIfEmpty(app.Concat(c.DefaultArgs).ToList())),
            "none" => (NullIfEmpty(baseEntrypoint), NullIfEmpty(c.DefaultArgs) ?? NullIfEmpty(baseCmd)),
            _ => throw Messages.BAKE502("ContainerAppCommandInstruction", c.AppCommandInstruction, "use Entrypoint, DefaultArgs or None").Exception(),
        };
    }

    private static IReadOnlyList<string>? NullIfEmpty(IReadOnlyList<string> values) => values.Count > 0 ? values : null;
}
