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

/// <summary>A message with its code, ready to be thrown, logged as an error, or logged as a warning.</summary>
public readonly record struct BakeryMessage(string Code, string Text)
{
    public BakeryException Exception(Exception? inner = null) => new(Code, Text, inner);
    public BakeryDiagnostic Error() => new(Code, true, Text);
    public BakeryDiagnostic Warning() => new(Code, false, Text);
    public override string ToString() => $"{Code}: {Text}";
}

public static class BakeryMessages
{
    private static readonly ResourceManager Resources = new("Bakery.Core.Resources.Strings", typeof(BakeryMessages).Assembly);

    public static ResourceManager ResourceManager => Resources;

    /// <summary>
    /// The message of <paramref name="code"/> with its named placeholders ({image}) or numbered ones
    /// ({0}, passed as arg0) filled in; used by the generated <see cref="Messages"/> accessors.
    /// </summary>
    public static BakeryMessage Create(string code, params (string Name, object? Value)[] arguments)
    {
        var text = Template(code);
        foreach (var (name, value) in arguments)
        {
            var placeholder = name.StartsWith("arg", StringComparison.Ordinal) && int.TryParse(name.AsSpan(3), out var index) ? $"{{{index}}}" : $"{{{name}}}";
            text = text.Replace(placeholder, Convert.ToString(value, CultureInfo.InvariantCulture), StringComparison.Ordinal);
        }
        return new BakeryMessage(code, text.Trim());
    }

    private static string Template(string code)
    {
        var template = Resources.GetString(code, CultureInfo.InvariantCulture)
            ?? throw new InvalidOperationException($"No message is defined for {code}.");
        var prefix = code + ": ";
        return template.StartsWith(prefix, StringComparison.Ordinal) ? template[prefix.Length..] : template;
    }

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
