using System.Globalization;
using System.Resources;

namespace Bakery.Core;

/// <summary>
/// A failure with a BAKE code whose text lives in Resources/Strings.resx as "BAKEnnn: message",
/// made through its generated accessor (<c>Messages.BAKEnnn(...).Exception()</c>). Tasks log it with
/// its code; the tool prints it; nothing else formats error text.
/// </summary>
public sealed class BakeryException(string code, string message, Exception? inner = null) : Exception(message, inner)
{
    public string Code { get; } = code;

    /// <summary>Set when a bake stopped at verification or a gate: the report of what was checked.</summary>
    public Baking.BakeResult? FailedBake { get; init; }
}

/// <summary>A message with its code, ready to be thrown, logged as an error, or logged as a warning.</summary>
public readonly record struct BakeryMessage(string Code, string Text)
{
    public BakeryException Exception(Exception? inner = null) => new(Code, Text, inner);
    public BakeryDiagnostic Error() => new(Code, true, Text);
    public BakeryDiagnostic Warning() => new(Code, false, Text);
    public override string ToString() => $"{Code}: {Text}";
}

public static partial class BakeryMessages
{
    private static readonly ResourceManager Resources = new("Bakery.Core.Resources.Strings", typeof(BakeryMessages).Assembly);

    public static ResourceManager ResourceManager => Resources;

    /// <summary>
    /// The message of <paramref name="code"/> with its named placeholders ({image}) or numbered ones
    /// ({0}, passed as arg0) filled in; used by the generated <see cref="Messages"/> accessors.
    /// </summary>
    public static BakeryMessage Create(string code, params (string Name, object? Value)[] arguments)
    {
        var values = arguments.ToDictionary(a => a.Name.StartsWith("arg", StringComparison.Ordinal) && int.TryParse(a.Name.AsSpan(3), out var index)
            ? index.ToString(CultureInfo.InvariantCulture) : a.Name, a => Convert.ToString(a.Value, CultureInfo.InvariantCulture) ?? "", StringComparer.Ordinal);
        // One pass, so an argument's own text ("{0}" in a user's value) is never filled in again.
        var text = Placeholder().Replace(Template(code), m => values.TryGetValue(m.Groups[1].Value, out var value) ? value : m.Value);
        return new BakeryMessage(code[..7], text.Trim());
    }

    [System.Text.RegularExpressions.GeneratedRegex(@"\{([A-Za-z][A-Za-z0-9]*|[0-9]+)\}")]
    private static partial System.Text.RegularExpressions.Regex Placeholder();

    private static string Template(string code)
    {
        var template = Resources.GetString(code, CultureInfo.InvariantCulture)
            ?? throw new InvalidOperationException($"No message is defined for {code}.");
        var prefix = code[..7] + ": ";
        return template.StartsWith(prefix, StringComparison.Ordinal) ? template[prefix.Length..] : template;
    }
}

/// <summary>A warning or error found while baking that does not stop the current step by itself.</summary>
public sealed record BakeryDiagnostic(string Code, bool IsError, string Message);
