namespace Bakery.Core.Remediation;

/// <summary>
/// Applies version edits in place, touching only the version text on its line, so the change reads
/// as a one-line diff per file. Every edit is checked before any file is written: nothing is half-applied.
/// </summary>
public static class VersionEditor
{
    public static IReadOnlyList<string> Apply(IEnumerable<VersionEdit> edits)
    {
        var byFile = edits.GroupBy(e => e.File).ToList();
        var updated = new List<(string File, string Text)>();
        foreach (var file in byFile)
        {
            var text = File.ReadAllText(file.Key);
            var newline = text.Contains("\r\n", StringComparison.Ordinal) ? "\r\n" : "\n";
            var lines = text.Split(newline);
            foreach (var edit in file.OrderBy(e => e.Line))
            {
                var index = edit.Line - 1;
                var column = index >= 0 && index < lines.Length ? lines[index].IndexOf(edit.OldText, StringComparison.Ordinal) : -1;
                if (column < 0 || !IsWholeValue(lines[index], column, edit.OldText.Length))
                    throw Messages.BAKE313(file.Key, edit.Line, edit.OldText).Exception();
                lines[index] = string.Concat(lines[index].AsSpan(0, column), edit.NewText, lines[index].AsSpan(column + edit.OldText.Length));
            }
            updated.Add((file.Key, string.Join(newline, lines)));
        }
        foreach (var (file, text) in updated) Oci.AtomicFile.WriteAllText(file, text);
        return updated.Select(u => u.File).ToList();
    }

    /// <summary>The old text must be a whole attribute or element value, not part of a longer version.</summary>
    private static bool IsWholeValue(string line, int start, int length)
    {
        var before = start == 0 ? '\0' : line[start - 1];
        var after = start + length >= line.Length ? '\0' : line[start + length];
        return before is '"' or '\'' or '>' && after is '"' or '\'' or '<';
    }
}
