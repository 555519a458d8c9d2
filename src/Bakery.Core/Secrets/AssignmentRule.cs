namespace Bakery.Core.Secrets;

/// <summary>
/// The generic rule: a key that names a secret, assigned a value, in any syntax configuration is written in —
/// <c>KEY=v</c> (.env, shell, properties, INI, connection strings), <c>key: v</c> (YAML), <c>"key": "v"</c> (JSON, also
/// minified and escaped inside strings), <c>key = "v"</c> (TOML, code), <c>&lt;key&gt;v&lt;/key&gt;</c> and
/// <c>key="v"</c> (XML), <c>&lt;add key="Password" value="v"/&gt;</c> and <c>- name: DB_PASSWORD / value: v</c>
/// (named values), <c>--password v</c> (command lines), <c>.netrc</c>. Hand-written rather than a regular expression:
/// it runs at every occurrence of its keywords, which in configuration is most lines.
/// </summary>
internal sealed class AssignmentRule() : SecretRule("config-secret", GenericPriority, "pass", "pwd", "secret", "token", "key", "cred")
{
    private const int MaxKey = 96;
    private const int MaxValue = 4096;

    public override bool PerHit => true;

    public override int Scan(ReadOnlySpan<char> text, int hit, int lineStart, int lineEnd, FindingSink sink)
    {
        var s = hit;
        var floor = Math.Max(0, hit - MaxKey);
        while (s > floor && IsKeyChar(text[s - 1])) s--;
        var e = hit;
        var ceiling = Math.Min(text.Length, hit + MaxKey);
        while (e < ceiling && IsKeyChar(text[e])) e++;
        if (e - s >= MaxKey) return e;
        var key = text[s..e];
        var before = s > 0 ? text[s - 1] : '\n';
        var before2 = s > 1 ? text[s - 2] : '\n';
        // The name of a variable inside a reference (${DB_PASSWORD}, #{Secret}#, $(Token), %PASSWORD%, __Password__) is not a key.
        if (before == '{' && before2 is '$' or '#' or '{' || before == '(' && before2 == '$' || before == '%'
            || key.StartsWith("__", StringComparison.Ordinal) && key.EndsWith("__", StringComparison.Ordinal)) return e;

        Span<char> buffer = stackalloc char[64];
        var family = SecretKeyNames.Classify(key, default, buffer, out var name);
        if (family == KeyFamily.None && name.SequenceEqual("key") && key.Length <= 5)
            family = SecretKeyNames.Classify(key, ParentKey(text, s), buffer, out name);
        if (family == KeyFamily.None) return e;

        var i = e;
        var open = s;
        var quotedKey = false;
        if (before is '"' or '\'' && i < text.Length && text[i] == before) { quotedKey = true; i++; open = s - 1; }
        else if (before is ':' or '.' && i < text.Length && text[i] is '"' or '\'' && OpeningQuote(text, s, text[i]) is var q and >= 0) { quotedKey = true; i++; open = q; }
        else if (before == '"' && before2 == '\\' && i + 1 < text.Length && text[i] == '\\' && text[i + 1] == '"') { quotedKey = true; i += 2; open = s - 2; }

        if (IsNamedValueName(text, open, quotedKey))
            return NamedValue(text, key, family, i, sink);

        // The separator.
        var afterKey = i;
        while (i < text.Length && text[i] is ' ' or '\t') i++;
        if (i >= text.Length) return e;
        var separator = text[i];
        var whitespace = false;
        switch (separator)
        {
            case '=' when i + 1 < text.Length && text[i + 1] is '=' or '~':
                return e;
            case '=':
                i++;
                if (i < text.Length && text[i] == '>') i++;
                break;
            case ':' when i + 1 < text.Length && text[i + 1] == ':':
                return e;
            case ':' when i == afterKey && IsDebianArchitecture(text, i + 1):
                return e;                             // base-passwd:amd64 in dpkg's logs and lists is a package, not an assignment
            case ':':
                i++;
                if (i < text.Length && text[i] == '=') i++;
                break;
            case '?' when i + 1 < text.Length && text[i + 1] == '=':
                i += 2;
                break;
            case '>' when before == '<' && i == afterKey:
                return Element(text, key, family, i + 1, sink);
            case ',' when quotedKey && key.StartsWith('-'):
                i++;                                  // ["--password", "v"]
                whitespace = true;
                break;
            default:
                if (i > afterKey && (key.StartsWith('-') || IsNetrcLine(text, s))) { whitespace = true; break; }
                return e;
        }
        while (i < text.Length && text[i] is ' ' or '\t') i++;
        if (!ParseValue(text, i, sink.Kind, out var vs, out var ve, out var terminator)) return e;
        if (whitespace && ve == vs) return e;
        // "Password: see the vault." is a sentence, not an assignment.
        if (terminator == ' ' && Placeholders.IsWord(text[vs..ve]) && IsProse(text, ve)) return e;
        // In code (also in snippets in docs and logs), a bare right-hand side is an expression: const secret = alice.computeSecret(key).
        if (ve > vs && text[vs - 1] is not ('"' or '\'' or '`') && IsExpression(text, s, vs, ve)) return e;
        var inConnectionString = separator == '=' && family == KeyFamily.Password
            && (before is ';' or ',' || terminator is ';' or ',' || LooksLikeConnectionString(text, s));
        // Keywords inside a value still run their own rules (a URL, a JWT, a vendor token); inside a placeholder there is nothing to find.
        return Judge(text, key, family, vs, ve, inConnectionString, sink) ? ve : e;
    }

    /// <summary>Offers the value when it is not a placeholder, a reference, UI text, a path or a plain word; true when it was a placeholder.</summary>
    private static bool Judge(ReadOnlySpan<char> text, ReadOnlySpan<char> key, KeyFamily family, int vs, int ve, bool inConnectionString, FindingSink sink)
    {
        var value = text[vs..ve];
        // The common references first, cheaply: ${VAR}, $(Var), #{Var}, {{ x }}.
        if (value.Length > 3 && value[1] is '{' or '(' && value[0] is '$' or '#' or '{')
        {
            sink.Ignored++;
            return true;
        }
        if (!IsSecretValue(key, family, value, sink.Kind))
        {
            sink.Ignored++;
            return false;
        }
        // A value with a vendor's shape is named after it (and a documentation marker in it, xxxx or EXAMPLE, makes it a stand-in).
        if (VendorTokens.Identify(value) is { } vendor) sink.Offer(text, vs, ve - vs, vendor.Name, FormatPriority);
        else sink.Offer(text, vs, ve - vs, SecretKeyNames.RuleFor(key, family, inConnectionString), GenericPriority, checkMarkers: false);
        return false;
    }

    public static bool IsSecretValue(ReadOnlySpan<char> key, KeyFamily family, ReadOnlySpan<char> value, FileKind kind)
    {
        var strict = family != KeyFamily.Password || kind == FileKind.Localization;
        if (value.Length < (strict ? 8 : 3) || IsPathOrUrl(value) || Placeholders.IsPlaceholder(value) || IsLiteral(value)) return false;
        if (value[0] == '^' && value[^1] == '$' || value.Contains(' ') && Placeholders.IsNaturalLanguage(value)) return false;
        if (kind == FileKind.Localization && Placeholders.IsText(value)) return false;
        if (IsVersion(value) || Placeholders.IsDummyPhrase(value) || IsEncodedPlaceholder(value)) return false;
        var segment = SecretKeyNames.LastSegment(key, out _);
        if (Math.Abs(value.Length - segment.Length) <= 4 && value.Length <= 64)
        {
            Span<char> a = stackalloc char[64], b = stackalloc char[64];
            if (Placeholders.Normalize(value, a).SequenceEqual(Placeholders.Normalize(segment, b))) return false;
        }
        if (!strict) return true;
        return !IsPlainWords(value) && !IsAllDigits(value) && Entropy.Bits(value) >= 2.5;
    }

    /// <summary>
    /// Letters and separators only, each word plain (lower, UPPER or Capitalised: "development", "X-Api-Key", "NONE"), or one
    /// PascalCase name of at most two words ("AccessToken"). "MySuperSecretKey" has four humps and counts as a chosen secret.
    /// </summary>
    private static bool IsPlainWords(ReadOnlySpan<char> value)
    {
        var words = 0;
        var maxHumps = 0;
        var humps = 0;
        for (var i = 0; i < value.Length; i++)
        {
            var c = value[i];
            if (c is '-' or '_' or '.' or ' ' or ':' or '/')
            {
                humps = 0;
                continue;
            }
            if (!char.IsAsciiLetter(c)) return false;
            if (i == 0 || value[i - 1] is '-' or '_' or '.' or ' ' or ':' or '/') words++;
            if (char.IsAsciiLetterUpper(c) && i > 0 && char.IsAsciiLetterLower(value[i - 1])) maxHumps = Math.Max(maxHumps, ++humps);
        }
        return words > 1 ? maxHumps <= 2 : maxHumps <= 1;
    }

    /// <summary>1.2.3, v10.0.1, 7.9.0-rc.42413: a package version (deps.json, lock files), not a credential.</summary>
    private static bool IsVersion(ReadOnlySpan<char> value)
    {
        var v = value.TrimStart('v');
        var dash = v.IndexOfAny('-', '+');
        var core = dash < 0 ? v : v[..dash];
        return core.Length >= 3 && core.Contains('.') && core.IndexOfAnyExcept("0123456789.") < 0 && char.IsAsciiDigit(core[0]);
    }

    /// <summary>A base64 value that decodes to a placeholder or to words ("bm90IG15IHJlYWwgcGFzc3dvcmQ=" is "not my real password").</summary>
    private static bool IsEncodedPlaceholder(ReadOnlySpan<char> value)
    {
        if (value.Length is < 8 or > 512 || value.Length % 4 != 0) return false;
        Span<byte> bytes = stackalloc byte[384];
        if (!Convert.TryFromBase64Chars(value, bytes, out var written) || written == 0) return false;
        var decoded = bytes[..written];
        foreach (var b in decoded) if (b is < 0x20 or > 0x7E) return false;
        Span<char> text = stackalloc char[written];
        for (var i = 0; i < written; i++) text[i] = (char)decoded[i];
        return Placeholders.IsPlaceholder(text) || Placeholders.IsNaturalLanguage(text) || Placeholders.IsDummyPhrase(text);
    }

    private static bool IsAllDigits(ReadOnlySpan<char> value) => value.IndexOfAnyExceptInRange('0', '9') < 0 && value.Length <= 10;

    private static bool IsLiteral(ReadOnlySpan<char> v) => v.Length switch
    {
        1 => v[0] == '~',
        2 => v.Equals("no", StringComparison.OrdinalIgnoreCase) || v.Equals("on", StringComparison.OrdinalIgnoreCase),
        3 => v.Equals("yes", StringComparison.OrdinalIgnoreCase),
        4 => v.Equals("true", StringComparison.OrdinalIgnoreCase),
        5 => v.Equals("false", StringComparison.OrdinalIgnoreCase),
        _ => false,
    };

    private static bool IsPathOrUrl(ReadOnlySpan<char> v)
    {
        switch (v[0])
        {
            case '.' when v.StartsWith("./", StringComparison.Ordinal) || v.StartsWith("../", StringComparison.Ordinal):
            case '~' when v.StartsWith("~/", StringComparison.Ordinal):
                return true;
            case '/':
                return v.Length > 1 && v[1..].Contains('/') && v.IndexOfAny(" @;=") < 0;
        }
        if (v.Length > 2 && char.IsAsciiLetter(v[0]) && v[1] == ':' && v[2] is '\\' or '/') return true;
        var scheme = v.IndexOf("://", StringComparison.Ordinal);
        if (scheme <= 0 || scheme >= 16 || !char.IsAsciiLetter(v[0]))
            return v.StartsWith("file:", StringComparison.OrdinalIgnoreCase);
        var authority = v[(scheme + 3)..];
        var slash = authority.IndexOfAny('/', '?', '#');
        return (slash < 0 ? authority : authority[..slash]).IndexOf('@') < 0; // credentials in a URL are the URL rule's
    }

    /// <summary>The value that follows a separator: quoted (with escapes), escaped-quoted inside a JSON string, or bare.</summary>
    private static bool ParseValue(ReadOnlySpan<char> text, int i, FileKind kind, out int start, out int end, out char terminator)
    {
        start = end = i;
        terminator = '\n';
        if (i >= text.Length) return true;
        var c = text[i];
        if (c is '"' or '\'' or '`')
        {
            var j = i + 1;
            var limit = Math.Min(text.Length, j + MaxValue);
            while (j < limit && text[j] != c && text[j] != '\n')
                j += text[j] == '\\' ? 2 : 1;
            if (j >= limit || text[j] != c) return false;
            start = i + 1;
            end = j;
            terminator = c;
            return true;
        }
        if (c == '\\' && i + 1 < text.Length && text[i + 1] == '"')
        {
            var rest = text[(i + 2)..Math.Min(text.Length, i + 2 + MaxValue)];
            var close = rest.IndexOf("\\\"", StringComparison.Ordinal);
            var newline = rest.IndexOf('\n');
            if (close < 0 || newline >= 0 && newline < close) return false;
            start = i + 2;
            end = i + 2 + close;
            terminator = '"';
            return true;
        }
        // A bare right-hand side in program source is an expression, not a literal; '[', '{', '|', '>' open structures and block scalars.
        if (kind == FileKind.Code || c is '[' or '{' or '|' or '>' or '(' or '\r' or '\n') return c is '\r' or '\n';
        var k = i;
        var max = Math.Min(text.Length, i + MaxValue);
        while (k < max && !IsValueEnd(text[k])) k++;
        end = k;
        terminator = k < text.Length ? text[k] : '\n';
        return true;
    }

    private static bool IsValueEnd(char c) => c is ' ' or '\t' or '\r' or '\n' or '"' or '\'' or '`' or ';' or ',' or '&' or '<' or '}' or ']' or ')';

    /// <summary>&lt;Password&gt;v&lt;/Password&gt;: the value runs to the closing tag of the same name.</summary>
    private static int Element(ReadOnlySpan<char> text, ReadOnlySpan<char> key, KeyFamily family, int i, FindingSink sink)
    {
        var rest = text[i..Math.Min(text.Length, i + MaxValue)];
        var lt = rest.IndexOfAny('<', '\n');
        if (lt < 0 || rest[lt] != '<' || !rest[(lt + 1)..].StartsWith('/') || !rest[(lt + 2)..].StartsWith(key, StringComparison.Ordinal)) return i;
        var value = rest[..lt];
        var trimmedStart = value.Length - value.TrimStart().Length;
        var vs = i + trimmedStart;
        var ve = i + value.TrimEnd().Length;
        if (ve > vs) Judge(text, key, family, vs, ve, inConnectionString: false, sink);
        return i;
    }

    /// <summary>Is the key itself the value of a name field: &lt;add key="Password" …&gt;, "name": "DB_PASSWORD", - name: DB_PASSWORD?</summary>
    private static bool IsNamedValueName(ReadOnlySpan<char> text, int open, bool quoted)
    {
        var j = open - 1;
        while (j >= 0 && text[j] is ' ' or '\t') j--;
        if (j < 0 || text[j] is not ('=' or ':')) return false;
        j--;
        while (j >= 0 && text[j] is ' ' or '\t') j--;
        if (j >= 0 && text[j] is '"' or '\'') j--;
        var end = j + 1;
        while (j >= 0 && (char.IsAsciiLetterOrDigit(text[j]) || text[j] == '_')) j--;
        var field = text[(j + 1)..end];
        if (!quoted && !(j < 0 || text[j] is ' ' or '\t' or '{' or ',' or '-')) return false;
        return field.Equals("key", StringComparison.OrdinalIgnoreCase) || field.Equals("name", StringComparison.OrdinalIgnoreCase)
            || field.Equals("variable", StringComparison.OrdinalIgnoreCase) || field.Equals("param", StringComparison.OrdinalIgnoreCase)
            || field.Equals("parameter", StringComparison.OrdinalIgnoreCase) || field.Equals("setting", StringComparison.OrdinalIgnoreCase)
            || field.Equals("property", StringComparison.OrdinalIgnoreCase) || field.Equals("envName", StringComparison.OrdinalIgnoreCase);
    }

    /// <summary>The value of a named entry: a value field on the same line, the element's text, or a value line right below.</summary>
    private static int NamedValue(ReadOnlySpan<char> text, ReadOnlySpan<char> key, KeyFamily family, int i, FindingSink sink)
    {
        var lineEnd = LineEnd(text, i);
        if (ValueField(text, i, lineEnd, out var vs, out var ve))
        {
            Judge(text, key, family, vs, ve, inConnectionString: false, sink);
            return i;
        }
        var gt = text[i..lineEnd].IndexOf('>');
        if (gt >= 0 && text[i + gt - 1] != '/')
        {
            var after = i + gt + 1;
            var lt = text[after..lineEnd].IndexOf('<');
            var value = lt < 0 ? default : text[after..(after + lt)];
            if (!value.Trim().IsEmpty)
            {
                Judge(text, key, family, after + (value.Length - value.TrimStart().Length), after + value.TrimEnd().Length, inConnectionString: false, sink);
                return i;
            }
        }
        // The next two lines: "value: v" (Kubernetes, compose), "<value>v</value>" (.resx, applicationSettings).
        var next = lineEnd + 1;
        for (var n = 0; n < 2 && next < text.Length; n++)
        {
            var end = LineEnd(text, next);
            if (ValueField(text, next, end, out vs, out ve) || ValueElement(text, next, end, out vs, out ve))
            {
                Judge(text, key, family, vs, ve, inConnectionString: false, sink);
                break;
            }
            next = end + 1;
        }
        return i;
    }

    /// <summary>value="v", "value": "v", value: v within [from, to).</summary>
    private static bool ValueField(ReadOnlySpan<char> text, int from, int to, out int vs, out int ve)
    {
        vs = ve = 0;
        var at = from;
        while (at < to)
        {
            var found = text[at..to].IndexOf("value", StringComparison.OrdinalIgnoreCase);
            if (found < 0) return false;
            var v = at + found;
            at = v + 5;
            if (v > 0 && (char.IsAsciiLetterOrDigit(text[v - 1]) || text[v - 1] == '_')) continue;
            var j = v + 5;
            if (j < to && (char.IsAsciiLetterOrDigit(text[j]) || text[j] == '_')) continue;
            if (j < to && text[j] is '"' or '\'') j++;
            while (j < to && text[j] is ' ' or '\t') j++;
            if (j >= to || text[j] is not ('=' or ':')) continue;
            j++;
            while (j < to && text[j] is ' ' or '\t') j++;
            if (!ParseValue(text, j, FileKind.Config, out vs, out ve, out _) || ve > to) return false;
            return ve > vs;
        }
        return false;
    }

    private static bool ValueElement(ReadOnlySpan<char> text, int from, int to, out int vs, out int ve)
    {
        vs = ve = 0;
        var line = text[from..to];
        var trimmed = line.TrimStart();
        if (!trimmed.StartsWith("<value>", StringComparison.OrdinalIgnoreCase)) return false;
        vs = from + (line.Length - trimmed.Length) + 7;
        var close = text[vs..to].IndexOf('<');
        if (close < 0) return false;
        ve = vs + close;
        return ve > vs;
    }

    /// <summary>
    /// The key of the object or mapping that holds a bare "Key": "Jwt" in <c>"Jwt": { "Key": … }</c>, in <c>"Jwt": {</c> a few
    /// lines up (the nearest less-indented line that opens an object), or in a YAML <c>Jwt:</c> above.
    /// </summary>
    private static ReadOnlySpan<char> ParentKey(ReadOnlySpan<char> text, int s)
    {
        // "Jwt:Key", Jwt.Key: the segment right before.
        if (s > 1 && text[s - 1] is ':' or '.' && IsKeyChar(text[s - 2])) return KeyBefore(text[..(s - 1)]);
        var region = text[Math.Max(0, s - 800)..s];
        var newline = region.LastIndexOf('\n');
        var brace = region.LastIndexOf('{');
        if (brace > newline) return KeyBefore(region[..brace]);
        if (newline < 0) return default;
        var indent = Indent(region[(newline + 1)..]);
        region = region[..newline];
        for (var n = 0; n < 12 && region.Length > 0; n++)
        {
            var start = region.LastIndexOf('\n') + 1;
            var line = region[start..];
            var trimmed = line.TrimEnd();
            if (trimmed.Trim().Length > 0 && Indent(line) < indent)
                return trimmed.EndsWith('{') || trimmed.EndsWith(':') ? KeyBefore(trimmed[..^1]) : default;
            if (start == 0) break;
            region = region[..(start - 1)];
        }
        return default;
    }

    private static int Indent(ReadOnlySpan<char> line)
    {
        var n = 0;
        while (n < line.Length && line[n] is ' ' or '\t' or '-') n++;
        return n;
    }

    private static ReadOnlySpan<char> KeyBefore(ReadOnlySpan<char> region)
    {
        region = region.TrimEnd().TrimEnd(':').TrimEnd().TrimEnd('"').TrimEnd('\'');
        var j = region.Length;
        while (j > 0 && IsKeyChar(region[j - 1])) j--;
        return region[j..];
    }

    /// <summary>.netrc: "machine h login u password p", on one line or a token per line after "machine".</summary>
    private static bool IsNetrcLine(ReadOnlySpan<char> text, int s)
    {
        var region = text[Math.Max(0, s - 256)..s];
        var newline = region.LastIndexOf('\n');
        var line = region[(newline + 1)..].TrimStart();
        if (line.StartsWith("machine ", StringComparison.Ordinal) || line.StartsWith("default ", StringComparison.Ordinal) || line.StartsWith("login ", StringComparison.Ordinal)) return true;
        return line.IsEmpty && (region.Contains("machine ", StringComparison.Ordinal) && region.Contains("login ", StringComparison.Ordinal));
    }

    /// <summary>After a one-word value, plain words follow: prose ("Password: see the vault."), not an assignment ("password=x host=db", "pass: x # note").</summary>
    private static bool IsProse(ReadOnlySpan<char> text, int from)
    {
        var rest = text[from..LineEnd(text, from)].Trim();
        var words = 0;
        foreach (var range in rest.Split(' '))
        {
            var word = rest[range].TrimEnd(".,;!?");
            if (word.IsEmpty) continue;
            if (!Placeholders.IsWord(word)) return false;
            if (++words == 2) break;
        }
        return words > 0;
    }

    private static readonly string[] Declarations = ["const", "let", "var", "val", "my", "local", "private", "public", "protected", "internal", "static", "final", "def", "string", "String", "auto", "dim", "Dim", "readonly", "export const"];
    private static readonly string[] ExpressionWords = ["new", "await", "function", "typeof", "this", "self", "require", "import", "lambda", "null", "nil", "None", "undefined", "fn", "async", "yield", "return"];

    /// <summary>An unquoted value that is code: a call or member access, an operator word, or the value of a declared variable.</summary>
    private static bool IsExpression(ReadOnlySpan<char> text, int keyStart, int vs, int ve)
    {
        var value = text[vs..ve];
        if (value.Contains('(') || ve < text.Length && text[ve] == '(') return true;
        if (ve < text.Length && text[ve] == ' ')
            foreach (var word in ExpressionWords)
                if (value.SequenceEqual(word)) return true;
        var lineStart = text[Math.Max(0, keyStart - 64)..keyStart].LastIndexOf('\n') + 1 + Math.Max(0, keyStart - 64);
        var before = text[lineStart..keyStart].Trim();
        foreach (var declaration in Declarations)
            if (before.EndsWith(declaration, StringComparison.Ordinal) && (before.Length == declaration.Length || before[^(declaration.Length + 1)] is ' ' or '\t')) return true;
        return false;
    }

    /// <summary>The quote a key like <c>"Authentication:Google:ClientSecret"</c> opens with, when its last segment is <paramref name="s"/>.</summary>
    private static int OpeningQuote(ReadOnlySpan<char> text, int s, char quote)
    {
        for (var j = s - 1; j >= 0 && s - j < MaxKey; j--)
        {
            if (text[j] == quote) return j;
            if (!IsKeyChar(text[j]) && text[j] is not (':' or '.')) return -1;
        }
        return -1;
    }

    private static bool LooksLikeConnectionString(ReadOnlySpan<char> text, int s)
    {
        var floor = Math.Max(0, s - 128);
        var region = text[floor..s];
        var newline = region.LastIndexOf('\n');
        region = region[(newline + 1)..];
        return region.Contains(';') && region.Contains('=');
    }

    /// <summary>The end of the line at <paramref name="from"/>, looking no further than a value can be long.</summary>
    public static int LineEnd(ReadOnlySpan<char> text, int from)
    {
        var limit = Math.Min(text.Length, from + MaxValue);
        var newline = text[from..limit].IndexOf('\n');
        return newline < 0 ? limit : from + newline;
    }

    private static readonly string[] DebianArchitectures = ["amd64", "arm64", "all", "any", "i386", "armhf", "armel", "ppc64el", "s390x", "mips64el", "riscv64", "loong64"];

    /// <summary>A Debian architecture right after the colon, ending the word: <c>passwd:amd64</c>, <c>base-passwd:all</c>.</summary>
    private static bool IsDebianArchitecture(ReadOnlySpan<char> text, int at)
    {
        foreach (var arch in DebianArchitectures)
            if (text[at..].StartsWith(arch, StringComparison.Ordinal) && (at + arch.Length == text.Length || text[at + arch.Length] is ' ' or '\t' or '\r' or '\n' or ','))
                return true;
        return false;
    }

    public static bool IsKeyChar(char c) => char.IsAsciiLetterOrDigit(c) || c is '_' or '-' or '.';
}
