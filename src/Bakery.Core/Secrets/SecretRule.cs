namespace Bakery.Core.Secrets;

/// <summary>
/// One kind of secret. A rule runs only where one of its keywords occurs (the scanner's pre-filter finds
/// every keyword in a single vectorised pass); it reports each match to the sink, so a line with several
/// secrets gives several findings.
/// </summary>
internal abstract class SecretRule(string name, int priority, params string[] keywords)
{
    public string Name { get; } = name;

    /// <summary>Where two rules match the same characters the higher priority names the finding (a JWT in a "token" key is a jwt).</summary>
    public int Priority { get; } = priority;

    /// <summary>Case-insensitive, at least 3 characters each (shorter ones would slow the pre-filter down).</summary>
    public IReadOnlyList<string> Keywords { get; } = keywords;

    /// <summary>True: <see cref="Scan"/> runs at every keyword occurrence; false: once per line that has one.</summary>
    public abstract bool PerHit { get; }

    /// <summary>A per-line rule's bit in the scanner's per-line mask, so a line runs it once however many of its keywords it holds.</summary>
    public ulong LineBit { get; set; }

    /// <summary>
    /// Scans around <paramref name="hit"/> (per-hit rules) or the line [lineStart, lineEnd) (per-line rules) of
    /// <paramref name="text"/>, which may continue past the line for multi-line formats. Returns the position
    /// the keyword search may resume at (past a value already judged).
    /// </summary>
    public abstract int Scan(ReadOnlySpan<char> text, int hit, int lineStart, int lineEnd, FindingSink sink);

    public const int GenericPriority = 1;
    public const int FormatPriority = 2;
    public const int KeyPriority = 3;
}
