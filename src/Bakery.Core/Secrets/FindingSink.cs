namespace Bakery.Core.Secrets;

/// <summary>How a file is written, where that changes what an assignment is.</summary>
internal enum FileKind
{
    /// <summary>Configuration, scripts, logs, data: an unquoted value is a literal.</summary>
    Config,
    /// <summary>Program source and bundles: an unquoted right-hand side is an expression, only string literals count.</summary>
    Code,
    /// <summary>Translations (i18n folders, .resx, .po, .xlf): a password key holds the word "password" in some language.</summary>
    Localization,
}

/// <summary>
/// Collects what the rules find in one decoded window of a file: drops published examples and marked
/// placeholders, keeps one finding per secret (the most specific rule wins where two rules match the
/// same characters), numbers lines, redacts, and applies the allowlist.
/// </summary>
internal sealed class FindingSink(SecretAllowlist allowlist, List<SecretFinding> findings)
{
    private readonly List<(int Start, int End, int Priority, int Index)> _spans = [];
    private int _countedPosition;
    private int _countedLine;

    public string File { get; private set; } = "";
    public FileKind Kind { get; private set; }
    public bool ReportLines { get; private set; } = true;
    public int FirstFindingOfFile { get; private set; }

    private readonly List<(int Start, int End)> _consumed = [];

    /// <summary>The end of the last block a rule consumed (a PEM block): keywords before it are not looked at again.</summary>
    public int SkipUntil { get; private set; }

    /// <summary>A rule read [start, end) as one secret spanning lines; no other rule looks inside it.</summary>
    public void Consume(int start, int end)
    {
        _consumed.Add((start, end));
        SkipUntil = Math.Max(SkipUntil, end);
    }

    public bool IsConsumed(int position)
    {
        foreach (var (start, end) in _consumed)
            if (position >= start && position < end) return true;
        return false;
    }

    /// <summary>Values dropped as placeholders or published examples (for the log, never shown).</summary>
    public int Ignored { get; set; }

    public List<SecretFinding> Findings => findings;

    public void StartFile(string file, FileKind kind, bool reportLines = true)
    {
        File = file;
        Kind = kind;
        ReportLines = reportLines;
        FirstFindingOfFile = findings.Count;
        _countedLine = 1;
    }

    /// <summary>A new window of the same file, whose first line is <see cref="_countedLine"/> (carried on from the last window).</summary>
    public void StartWindow()
    {
        _spans.Clear();
        _consumed.Clear();
        _countedPosition = 0;
        SkipUntil = 0;
    }

    /// <summary>Moves the line count to the end of a scanned window, so the next window starts on the right line.</summary>
    public void EndWindow(ReadOnlySpan<char> text, int scanEnd) => LineAt(text, scanEnd);

    public int LineAt(ReadOnlySpan<char> text, int position)
    {
        if (position < _countedPosition)
        {
            _countedLine -= text[position.._countedPosition].Count('\n');
            _countedPosition = position;
        }
        _countedLine += text[_countedPosition..position].Count('\n');
        _countedPosition = position;
        return _countedLine;
    }

    /// <summary>
    /// Offers text[start..start+length] as a secret. Format rules pass <paramref name="checkMarkers"/> so a
    /// match holding a documentation marker (xxxx, EXAMPLE, your-…) is dropped; generic rules judged the value already.
    /// </summary>
    public bool Offer(ReadOnlySpan<char> text, int start, int length, string rule, int priority, bool checkMarkers = true)
    {
        if (length <= 0) return false;
        var secret = text.Slice(start, length);
        if (PublishedExamples.IsPublished(secret) || checkMarkers && Placeholders.HasMarker(secret))
        {
            Ignored++;
            return false;
        }
        var end = start + length;
        for (var i = 0; i < _spans.Count; i++)
        {
            var span = _spans[i];
            if (span.End <= start || span.Start >= end) continue;
            if (span.Priority >= priority) return false;
            findings[span.Index] = Finding(text, start, secret, rule);
            _spans[i] = (start, end, priority, span.Index);
            return true;
        }
        _spans.Add((start, end, priority, findings.Count));
        findings.Add(Finding(text, start, secret, rule));
        return true;
    }

    private SecretFinding Finding(ReadOnlySpan<char> text, int start, ReadOnlySpan<char> secret, string rule)
    {
        var line = ReportLines ? LineAt(text, start) : 0;
        var hash = SecretRedaction.Hash(secret);
        return WithAllowance(new SecretFinding(File, line, rule, SecretRedaction.Describe(secret.Length, hash), secret.Length, hash));
    }

    /// <summary>A whole file is the secret (a keystore, a key pair): its size and the hash of its bytes.</summary>
    public void AddFile(string file, string rule, long size, string hash) =>
        findings.Add(WithAllowance(new SecretFinding(file, 0, rule, SecretRedaction.Describe((int)Math.Min(size, int.MaxValue), hash, bytes: true),
            (int)Math.Min(size, int.MaxValue), hash)));

    private SecretFinding WithAllowance(SecretFinding finding) =>
        allowlist.Reason(finding.File, finding.Rule) is { } reason ? finding with { AllowedBecause = reason } : finding;
}
