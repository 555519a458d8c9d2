using System.Globalization;
using System.Resources;

namespace Bakery.Core;

/// <summary>
/// A failure with a BAKE code whose text lives in Resources/Strings.resx as "BAKEnnn: message".
/// Tasks log it with its code; the tool prints it; nothing else formats error text.
/// </summary>
public sealed class BakeryException(string code, string message, Exception? inner = null) : Exception(message, inner)
{
    public string Code { get; } = code;

    /// <summary>Set when a bake stopped at verification or a gate: the report of what was checked.</summary>
    public Baking.BakeResult? FailedBake { get; init; }

    public static BakeryException Create(string code, params object?[] args) => new(code, BakeryMessages.Format(code, args));

    public static BakeryException Wrap(Exception inner, string code, params object?[] args) => new(code, BakeryMessages.Format(code, args), inner);
}

public static class BakeryMessages
{
    private static readonly ResourceManager Resources = new("Bakery.Core.Resources.Strings", typeof(BakeryMessages).Assembly);

    public static ResourceManager ResourceManager => Resources;

    /// <summary>The message text without its "BAKEnnn: " prefix, arguments filled in.</summary>
    public static string Format(string code, params object?[] args)
    {
        var template = Resources.GetString(code, CultureInfo.InvariantCulture)
            ?? throw new InvalidOperationException($"No message is defined for {code}.");
        var prefix = code + ": ";
        if (template.StartsWith(prefix, StringComparison.Ordinal)) template = template[prefix.Length..];
        return string.Format(CultureInfo.InvariantCulture, template, args).Trim();
    }
}

/// <summary>A warning or error found while baking that does not stop the current step by itself.</summary>
public sealed record BakeryDiagnostic(string Code, bool IsError, string Message)
{
    public static BakeryDiagnostic Error(string code, params object?[] args) => new(code, true, BakeryMessages.Format(code, args));
    public static BakeryDiagnostic Warning(string code, params object?[] args) => new(code, false, BakeryMessages.Format(code, args));
}
