using System.Security.Cryptography;
using System.Text;
using Bakery.Oci.Layers;

namespace Bakery.Core.Secrets;

/// <summary>
/// Scans what a bake adds for secrets: every file of its layers (text in any common encoding, archives inside
/// them, key material by content and name) and the image configuration. Streaming, one file at a time, in
/// windows of a few MiB: memory stays bounded whatever the layer holds. Nothing of a secret leaves the scanner
/// but its length and a short hash (<see cref="SecretRedaction"/>).
/// </summary>
public sealed class SecretScanner
{
    private const int Window = 4 << 20;
    private const int Lookahead = 16 << 10;
    private const int MaxLine = 16 << 20;
    private const int HeadBytes = 64 << 10;

    private readonly SecretAllowlist _allowlist;
    private readonly NestedArchiveLimits _archiveLimits;
    private readonly TextScanner _text = new(SecretRules.Default);
    private readonly List<UnscannedContent> _unscanned = [];
    private readonly byte[] _bytes = new byte[Window];
    private char[] _chars = new char[Window + 2 * Lookahead];
    private List<SecretFinding> _findings = [];
    private FindingSink _sink;

    public SecretScanner(SecretAllowlist allowlist, NestedArchiveLimits? archiveLimits = null)
    {
        _allowlist = allowlist;
        _archiveLimits = archiveLimits ?? new NestedArchiveLimits();
        _sink = new FindingSink(allowlist, _findings);
    }

    /// <summary>Identifies the rule set; a cached verdict made with other rules is not reused.</summary>
    public static string RulesVersion => SecretRules.Version;

    /// <summary>Text bytes scanned so far (binary files are only sniffed).</summary>
    public long BytesScanned { get; private set; }

    /// <summary>Values that looked like secrets by their key but were placeholders, references or published examples.</summary>
    public int ValuesIgnored => _sink.Ignored;

    /// <summary>Archives that were not opened or not read to the end, and why.</summary>
    public IReadOnlyList<UnscannedContent> Unscanned => _unscanned;

    /// <summary>Scans every file of a layer (tar or tar+gzip), read through <see cref="SafeLayerReader"/>.</summary>
    public List<SecretFinding> ScanLayer(Stream layer)
    {
        var findings = Begin();
        var archives = Archives();
        SafeLayerReader.Read(layer, new LayerReadLimits { AllowDevices = true }, (entry, content) =>
        {
            if (content is null || entry.Type != LayerEntryType.File) return;
            try
            {
                ScanEntry("/" + entry.Path, Path.GetFileName(entry.Path), content, entry.Size, 0, archives);
            }
            catch (Exception e) when (e is not (UnsafeLayerException or IOException or OutOfMemoryException))
            {
                // A file the rules cannot handle is reported, not passed in silence, and the layer's other files are still scanned.
                _unscanned.Add(new UnscannedContent("/" + entry.Path, $"the scan of this file failed ({e.GetType().Name}: {e.Message})"));
            }
        });
        return findings;
    }

    /// <summary>Scans one file (for a file outside any layer, e.g. `bakery verify` of a directory, and tests).</summary>
    public List<SecretFinding> ScanFile(string path, Stream content, long size = -1)
    {
        var findings = Begin();
        ScanEntry(path, Path.GetFileName(path), content, size, 0, Archives());
        return findings;
    }

    /// <summary>
    /// Scans the image configuration: environment, labels, entrypoint, cmd, healthcheck and history, with the same rules.
    /// Entries the base image's configuration already has were scanned when that image was baked and are skipped.
    /// </summary>
    public List<SecretFinding> ScanImageConfig(ReadOnlySpan<byte> config, ReadOnlySpan<byte> baseConfig = default)
    {
        var findings = Begin();
        foreach (var (field, value) in ImageConfigFields.Added(config, baseConfig))
            ScanString(field, value, reportLines: value.Contains('\n'));
        return findings;
    }

    /// <summary>Scans text already in memory, named <paramref name="file"/>.</summary>
    public List<SecretFinding> ScanText(string file, string text)
    {
        var findings = Begin();
        ScanString(file, text, reportLines: true);
        return findings;
    }

    private List<SecretFinding> Begin()
    {
        _findings = [];
        var ignored = _sink.Ignored;
        _sink = new FindingSink(_allowlist, _findings) { Ignored = ignored };
        return _findings;
    }

    private NestedArchives Archives() => new(_archiveLimits, (file, name, content, size, depth) => ScanEntry(file, name, content, size, depth, Archives()), _unscanned);

    private void ScanString(string file, string text, bool reportLines)
    {
        _sink.StartFile(file, FileKind.Config, reportLines);
        _sink.StartWindow();
        _text.Scan(text, text.Length, _sink);
        BytesScanned += text.Length;
    }

    private void ScanEntry(string file, string name, Stream content, long size, int depth, NestedArchives archives)
    {
        var want = size >= 0 ? (int)Math.Min(size, HeadBytes) : HeadBytes;
        var head = content.ReadAtLeast(_bytes.AsSpan(0, want), want, throwOnEndOfStream: false);
        if (head == 0) return;
        var headSpan = _bytes.AsSpan(0, head);
        var keyRule = KeyFiles.Detect(name, headSpan[..Math.Min(head, KeyFiles.HeaderBytes)], size);

        var kind = NestedArchives.Detect(headSpan);
        if (kind != ArchiveKind.None && keyRule is null)
        {
            // The head lives in the shared buffer, which the members' scans reuse: hand the archive a copy.
            archives.Scan(file, kind, headSpan.ToArray(), content, size, depth);
            return;
        }

        var encoding = TextDecoding.Detect(headSpan, out var bom);
        if (encoding is null)
        {
            if (keyRule is null) return;
            var whole = ReadWhole(headSpan, content);
            if (keyRule == "keystore-file" && KeyFiles.IsJavaTruststore(whole)) return;
            _sink.AddFile(file, keyRule, size >= 0 ? size : whole.Length, Convert.ToHexStringLower(SHA256.HashData(whole))[..SecretRedaction.HashLength]);
            return;
        }
        var before = _findings.Count;
        using var hash = keyRule is null ? null : IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        ScanTextStream(file, name, content, head, bom, encoding, hash);
        if (keyRule is not null && _findings.Count == before)
            _sink.AddFile(file, keyRule, size >= 0 ? size : head, Convert.ToHexStringLower(hash!.GetHashAndReset())[..SecretRedaction.HashLength]);
    }

    /// <summary>Decodes and scans in windows that end at a line break, keeping a little text after each for multi-line formats.</summary>
    private void ScanTextStream(string file, string name, Stream content, int filled, int offset, Encoding encoding, IncrementalHash? hash)
    {
        _sink.StartFile(file, KindOf(file, name));
        var secretNamed = IsSecretNamed(name);
        var decoder = encoding.GetDecoder();
        var carry = 0;
        var first = true;
        while (true)
        {
            if (filled < Window) filled += content.ReadAtLeast(_bytes.AsSpan(filled), Window - filled, throwOnEndOfStream: false);
            var final = filled < Window;
            hash?.AppendData(_bytes, 0, filled);
            var needed = carry + encoding.GetMaxCharCount(filled - offset);
            if (_chars.Length < needed) Array.Resize(ref _chars, needed);
            decoder.Convert(_bytes.AsSpan(offset, filled - offset), _chars.AsSpan(carry), final, out _, out var produced, out _);
            BytesScanned += filled - offset;
            var total = carry + produced;
            var text = _chars.AsSpan(0, total);
            var scanEnd = final ? total : WindowEnd(text);
            if (scanEnd > 0)
            {
                _sink.StartWindow();
                _text.Scan(text, scanEnd, _sink);
                if (secretNamed)
                {
                    _text.ScanEveryLine(text, scanEnd, _sink);
                    if (final && first) LoneValue(text);
                }
                _sink.EndWindow(text, scanEnd);
            }
            carry = total - scanEnd;
            first = false;
            text[scanEnd..].CopyTo(_chars);
            filled = offset = 0;
            if (final) return;
        }
    }

    /// <summary>A file that is nothing but one generated-looking value (a token file, a mounted secret) is a secret.</summary>
    private void LoneValue(ReadOnlySpan<char> text)
    {
        var value = text.Trim();
        if (value.Length is < 8 or > 4096 || value.IndexOfAny(" \t\r\n") >= 0) return;
        if (!AssignmentRule.IsSecretValue("secret", KeyFamily.Secret, value, FileKind.Config)) return;
        _sink.Offer(text, text.Length - text.TrimStart().Length, value.Length, "secret-file", SecretRule.GenericPriority, checkMarkers: false);
    }

    /// <summary>After the last line break that leaves <see cref="Lookahead"/> characters behind it; 0 to read on (a long line); a forced cut at a separator past <see cref="MaxLine"/>.</summary>
    private static int WindowEnd(ReadOnlySpan<char> text)
    {
        var cutoff = text.Length - Lookahead;
        if (cutoff <= 0) return 0;
        var newline = text[..cutoff].LastIndexOf('\n');
        if (newline >= 0) return newline + 1;
        if (text.Length < MaxLine) return 0;
        var separator = text[(cutoff - 4096)..cutoff].LastIndexOfAny(" \t,;>");
        return separator < 0 ? cutoff : cutoff - 4096 + separator + 1;
    }

    /// <summary>
    /// A file whose name says it holds a credential (github_token, api.key, credentials.csv, /run/secrets/db-password) is
    /// looked at line by line with every vendor format, keyword or not; and a lone value in it is a secret itself.
    /// </summary>
    private static bool IsSecretNamed(string name)
    {
        var dot = name.LastIndexOf('.');
        var extension = dot > 0 ? name.AsSpan(dot) : default;
        var stem = (dot > 0 ? name.AsSpan(0, dot) : name.AsSpan()).TrimStart('.');
        foreach (var e in (ReadOnlySpan<string>)[".token", ".secret", ".pat", ".apikey"])
            if (extension.Equals(e, StringComparison.OrdinalIgnoreCase)) return true;
        foreach (var n in (ReadOnlySpan<string>)["token", "secret", "secrets", "password", "passwd", "pass", "credentials", "credential", "creds", "apikey", "api_key", "api-key", "auth", "pat", "accesskeys", "access_keys"])
            if (stem.Equals(n, StringComparison.OrdinalIgnoreCase)) return true;
        foreach (var suffix in (ReadOnlySpan<string>)["_token", "-token", ".token", "_secret", "-secret", "_password", "-password", "_apikey", "-apikey", "_api_key", "-api-key", "_credentials", "-credentials", "_accesskeys"])
            if (stem.EndsWith(suffix, StringComparison.OrdinalIgnoreCase)) return true;
        return false;
    }

    private static readonly string[] LocalizationExtensions = [".resx", ".po", ".pot", ".xlf", ".xliff", ".strings", ".arb", ".ftl"];
    private static readonly string[] LocalizationFolders = ["/i18n/", "/locales/", "/locale/", "/translations/", "/l10n/", "/lang/"];
    private static readonly string[] CodeExtensions =
        [".cs", ".vb", ".fs", ".java", ".kt", ".scala", ".go", ".py", ".rb", ".php", ".js", ".mjs", ".cjs", ".ts", ".tsx", ".jsx", ".c", ".cc", ".cpp", ".h", ".hpp",
         ".rs", ".swift", ".razor", ".cshtml", ".vue", ".svelte", ".dart", ".lua", ".pl", ".ps1", ".psm1", ".tf", ".hcl", ".groovy", ".gradle", ".kts", ".pp", ".pas", ".dpr"];

    private static FileKind KindOf(string file, string name)
    {
        var dot = name.LastIndexOf('.');
        var extension = dot >= 0 ? name.AsSpan(dot) : default;
        foreach (var e in LocalizationExtensions)
            if (extension.Equals(e, StringComparison.OrdinalIgnoreCase)) return FileKind.Localization;
        foreach (var folder in LocalizationFolders)
            if (file.Contains(folder, StringComparison.OrdinalIgnoreCase)) return FileKind.Localization;
        foreach (var e in CodeExtensions)
            if (extension.Equals(e, StringComparison.OrdinalIgnoreCase)) return FileKind.Code;
        return FileKind.Config;
    }

    /// <summary>A key file's content (keystores are small; at most <see cref="MaxLine"/> bytes are read).</summary>
    private static byte[] ReadWhole(ReadOnlySpan<byte> head, Stream content)
    {
        var whole = new MemoryStream();
        whole.Write(head);
        var buffer = new byte[81920];
        int read;
        while (whole.Length < MaxLine && (read = content.Read(buffer, 0, buffer.Length)) > 0) whole.Write(buffer, 0, read);
        return whole.ToArray();
    }
}
