using System.Buffers;

namespace Bakery.Core.Secrets;

/// <summary>
/// Values that stand for a secret without being one: references in the syntaxes CI/CD and
/// configuration systems substitute (<c>${VAR}</c>, <c>$(Var)</c>, <c>%VAR%</c>, <c>#{Var}#</c>,
/// <c>__Var__</c>, <c>{{ … }}</c>, <c>&lt;your-…&gt;</c>, <c>@Microsoft.KeyVault(…)</c>, …), and the small set of
/// dummy words people type (<c>changeme</c>, <c>********</c>, <c>REPLACE_ME</c>, …). Recognised by syntax
/// and by that word list, never by entropy: a short real password is still a secret.
/// </summary>
internal static class Placeholders
{
    private static readonly HashSet<string> DummyWords = new(StringComparer.Ordinal)
    {
        "changeme", "changeit", "changethis", "changemeplease", "replaceme", "replacethis", "fillme", "fillmein", "setme", "tobereplaced", "tobefilled",
        "placeholder", "redacted", "removed", "hidden", "masked", "obfuscated", "censored", "omitted", "elided", "sensitive",
        "secret", "secrets", "password", "passwords", "passwd", "pass", "pwd", "passphrase", "passcode", "token", "apikey", "key", "secretkey",
        "accesskey", "accesstoken", "clientsecret", "authtoken", "privatekey", "credential", "credentials", "value", "string", "text", "str",
        "dummy", "example", "sample", "test", "testing", "fake", "mock", "foo", "bar", "baz", "qux", "quux", "foobar", "foobarbaz", "hello", "helloworld",
        "none", "null", "nil", "empty", "blank", "default", "unset", "notset", "unknown", "undefined", "na", "nan", "tbd", "todo", "fixme", "xxx",
        "notasecret", "nosecret", "notsecret", "notreal", "notapassword", "nopassword", "invalid", "disabled", "off", "required", "optional",
        "mypassword", "mysecret", "mytoken", "myapikey", "mykey", "mysecretkey", "mypass", "secretpassword", "supersecret", "topsecret",
        "secretvalue", "passwordvalue", "tokenvalue", "keyvalue", "yourpassword", "yoursecret", "yourtoken", "yourkey", "yourapikey",
        "insertpasswordhere", "passwordhere", "secrethere", "tokenhere", "keyhere", "apikeyhere",
        "env", "environment", "vault", "keyvault", "secretmanager", "fromenv", "runtime", "injected", "provided", "external",
        // "Password" and "secret" as UI text in other languages (translation files, resx, bundled SPA strings).
        "passwort", "kennwort", "geheimnis", "contraseña", "contrasena", "clave", "secreto", "senha", "segredo", "motdepasse", "secrète",
        "wachtwoord", "geheim", "lösenord", "losenord", "adgangskode", "passord", "salasana", "hasło", "haslo", "heslo", "jelszó", "jelszo",
        "parola", "parolă", "lozinka", "geslo", "şifre", "sifre", "parool", "salasõna", "slaptažodis", "parole", "пароль", "секрет", "гасло",
        "密码", "密碼", "パスワード", "비밀번호", "סיסמה", "كلمةالمرور", "पासवर्ड", "รหัสผ่าน", "mậtkhẩu", "katasandi", "katalaluan", "κωδικός",
    };

    private static readonly HashSet<string>.AlternateLookup<ReadOnlySpan<char>> Dummy = DummyWords.GetAlternateLookup<ReadOnlySpan<char>>();

    private static readonly string[] DummyPrefixes = ["test", "dummy", "fake", "mock", "sample", "example", "placeholder", "my", "your", "some", "the", "a"];
    private static readonly HashSet<string> DummyRestWords = new(StringComparer.Ordinal)
        { "", "password", "passwd", "pass", "pwd", "secret", "token", "key", "apikey", "value", "user", "credential", "string" };
    private static readonly HashSet<string>.AlternateLookup<ReadOnlySpan<char>> DummyRests = DummyRestWords.GetAlternateLookup<ReadOnlySpan<char>>();

    /// <summary>Characters every reference syntax uses; a value without any of them is at most a dummy word.</summary>
    private static readonly SearchValues<char> ReferenceMarks = SearchValues.Create("$#{}<>%@_[]!*&…:.(");

    /// <summary>A whole configuration value (the right-hand side of an assignment) that is not a secret.</summary>
    public static bool IsPlaceholder(ReadOnlySpan<char> value)
    {
        value = value.Trim();
        if (value.IsEmpty) return true;
        if (value.IndexOfAny(ReferenceMarks) >= 0 && (IsReference(value) || value.Contains("...", StringComparison.Ordinal) || value.Contains('…'))) return true;
        if (value.IndexOfAnyExcept(value[0]) < 0 || IsFillers(value)) return true;
        switch (value[0] | 0x20)
        {
            case 'r' when StartsWithWord(value, "replace"):
            case 'c' when StartsWithWord(value, "change_me"):
            case 't' when StartsWithWord(value, "todo") || StartsWithWord(value, "tbd"):
            case 'f' when StartsWithWord(value, "fixme"):
            case 'i' when StartsWithWord(value, "insert"):
            case 'e' when StartsWithWord(value, "enter"):
            case 'p' when StartsWithWord(value, "put"):
            case 'y' when StartsWithWord(value, "your"):
                return true;
        }
        return value.Length <= 40 && IsDummyWord(value);
    }

    /// <summary>A match of a format rule (a token with a fixed prefix) that is a documentation stand-in: x-runs, zero-runs, "your…", "example".</summary>
    public static bool HasMarker(ReadOnlySpan<char> token) =>
        token.Contains("xxxx", StringComparison.OrdinalIgnoreCase) || token.Contains("0000000", StringComparison.Ordinal) || token.Contains("****", StringComparison.Ordinal)
        || token.Contains("example", StringComparison.OrdinalIgnoreCase) || token.Contains("your", StringComparison.OrdinalIgnoreCase)
        || token.Contains("placeholder", StringComparison.OrdinalIgnoreCase) || token.Contains("dummy", StringComparison.OrdinalIgnoreCase)
        || token.Contains("redacted", StringComparison.OrdinalIgnoreCase) || token.Contains("changeme", StringComparison.OrdinalIgnoreCase)
        || token.Contains("replace", StringComparison.OrdinalIgnoreCase) || token.Contains("...", StringComparison.Ordinal)
        || token.IndexOfAny("<>{}") >= 0 || token.Contains("$(", StringComparison.Ordinal);

    private static readonly SearchValues<string> Templates = SearchValues.Create(["${", "$(", "{{", "#{", "<%"], StringComparison.Ordinal);

    /// <summary>A value another system fills in: variables, templates, vault references, encrypted-value wrappers, YAML tags and aliases.</summary>
    public static bool IsReference(ReadOnlySpan<char> v)
    {
        if (v.Length < 2) return false;
        // ${VAR}, ${{ secrets.X }}, $(Var), {{ x }}, #{Var}#, <%= x %> — and any value with a template inside it.
        if (v.IndexOfAny(Templates) >= 0) return true;
        switch (v[0])
        {
            case '$': return IsIdentifier(v[1..]) || v.StartsWith("$env:", StringComparison.OrdinalIgnoreCase) || IsVariablePath(v[1..]); // $VAR, $1, $env:X, $dir/x
            case '%': return v[^1] == '%' && IsIdentifier(v[1..^1]) || v[1] == '(' && v.EndsWith(")s", StringComparison.Ordinal); // %VAR%, %(name)s
            case '_': return v.Length > 4 && v.StartsWith("__", StringComparison.Ordinal) && v.EndsWith("__", StringComparison.Ordinal); // __Var__
            case '@': return v[^1] == '@' && IsIdentifier(v.Trim('@')) || v.StartsWith("@Microsoft.KeyVault(", StringComparison.OrdinalIgnoreCase); // @VAR@, @@VAR@@
            case '<': return v[^1] == '>';                                                                   // <your-password>
            case '[': return v[^1] == ']' && v.IndexOfAny(" ,\"") < 0;                                       // [PASSWORD]
            case '{': return v[^1] == '}' && IsIdentifier(v[1..^1], allowDots: true) || v.StartsWith("{cipher}", StringComparison.OrdinalIgnoreCase); // {password}, {0}
            case '!' or '*' or '&': return char.IsAsciiLetter(v[1]);                                         // YAML tags (!secret x, !vault), aliases, anchors
            case 'E': return v.StartsWith("ENC(", StringComparison.Ordinal);                                  // jasypt
        }
        if (v.IndexOf(':') is > 0 and < 24)
        {
            if (v.StartsWith("vault:", StringComparison.OrdinalIgnoreCase) || v.StartsWith("op://", StringComparison.Ordinal)
                || v.StartsWith("arn:aws:secretsmanager:", StringComparison.Ordinal) || v.StartsWith("arn:aws:ssm:", StringComparison.Ordinal)
                || v.StartsWith("secretref:", StringComparison.OrdinalIgnoreCase) || v.StartsWith("keyvaultref:", StringComparison.OrdinalIgnoreCase)
                || v.StartsWith("sm://", StringComparison.Ordinal) || v.StartsWith("akv://", StringComparison.Ordinal)
                || v.StartsWith("gcp:secretmanager:", StringComparison.Ordinal)) return true;
            return v.Contains(".vault.azure.net/secrets/", StringComparison.OrdinalIgnoreCase);
        }
        return false;
    }

    /// <summary>One character repeated (<c>********</c>, <c>xxxxxxxx</c>, <c>00000000</c>), or only fillers and separators (<c>xxxx-xxxx</c>).</summary>
    public static bool IsRepeatedFiller(ReadOnlySpan<char> v) => v.IsEmpty || v.IndexOfAnyExcept(v[0]) < 0 || IsFillers(v);

    private static readonly SearchValues<char> Fillers = SearchValues.Create("xX*#.-_0? ");

    private static bool IsFillers(ReadOnlySpan<char> v) => v.IndexOfAnyExcept(Fillers) < 0;

    /// <summary>The words dummy values are made of: "SuperSecretToken", "MySecretKey", "ThisIsMyPassword123" are stand-ins people type.</summary>
    private static readonly string[] DummyVocabulary =
        ["super", "secret", "token", "key", "password", "pass", "pwd", "my", "your", "api", "access", "private", "top", "very", "the", "this", "is", "a",
         "test", "dummy", "sample", "example", "value", "string", "here", "goes", "some", "fake", "mock", "default", "placeholder", "change", "me", "it",
         "not", "real", "strong", "long", "random", "signing", "jwt", "client", "app", "for", "and", "of", "to", "auth", "hmac", "encryption", "master"];

    /// <summary>Made only of <see cref="DummyVocabulary"/> words (then digits or symbols): a phrase, not a generated secret.</summary>
    public static bool IsDummyPhrase(ReadOnlySpan<char> value)
    {
        if (value.Length is < 6 or > 48) return false;
        Span<char> buffer = stackalloc char[48];
        var normalized = Normalize(value, buffer);
        var letters = normalized.TrimEnd("0123456789!@#$%^&*?+=~");
        if (letters.Length < 6 || letters.IndexOfAnyExceptInRange('a', 'z') >= 0) return false;
        // Word break by dynamic programming: reachable[i] when letters[..i] splits into vocabulary words.
        Span<bool> reachable = stackalloc bool[letters.Length + 1];
        reachable[0] = true;
        var words = 0;
        for (var i = 0; i < letters.Length; i++)
        {
            if (!reachable[i]) continue;
            foreach (var word in DummyVocabulary)
                if (letters[i..].StartsWith(word, StringComparison.Ordinal)) reachable[i + word.Length] = true;
        }
        for (var i = 1; i <= letters.Length; i++) if (reachable[i]) words++;
        return reachable[letters.Length] && words >= 2;
    }

    /// <summary>A dummy word, after lower-casing and dropping separators: "changeme", "Change-Me", "test_password_1", "your-api-key".</summary>
    public static bool IsDummyWord(ReadOnlySpan<char> value)
    {
        if (value.Length > 64) return false;
        Span<char> buffer = stackalloc char[64];
        var normalized = Normalize(value, buffer);
        if (normalized.IsEmpty || Dummy.Contains(normalized)) return true;
        var stem = normalized.TrimEnd("0123456789");
        if (stem.Length < normalized.Length && (stem.IsEmpty || Dummy.Contains(stem))) return true;
        if (stem.EndsWith("goeshere", StringComparison.Ordinal)) return true;
        if (stem.Length < 2 || stem[0] is not ('t' or 'd' or 'f' or 'm' or 's' or 'e' or 'p' or 'y' or 'a')) return false;
        foreach (var prefix in DummyPrefixes)
        {
            if (!stem.StartsWith(prefix, StringComparison.Ordinal)) continue;
            var rest = stem[prefix.Length..];
            if (prefix == "your" || rest.EndsWith("here", StringComparison.Ordinal)) return true;
            if ((prefix.Length > 2 || rest.Length > 0) && DummyRests.Contains(rest)) return true;
        }
        return false;
    }

    /// <summary>
    /// Mostly words (two thirds of the tokens, at least two): UI text and documentation ("Forgot your password?", "Mot de passe",
    /// "The password required to access the X.509 certificate data.").
    /// </summary>
    public static bool IsNaturalLanguage(ReadOnlySpan<char> value)
    {
        int words = 0, tokens = 0;
        var trimmed = value.Trim();
        foreach (var range in trimmed.Split(' '))
        {
            var token = trimmed[range];
            if (token.IsEmpty) continue;
            tokens++;
            var word = TrimPunctuation(token);
            if (word.IsEmpty || IsWord(word)) words++;
        }
        return words >= 2 && words * 3 >= tokens * 2;
    }

    /// <summary>Letters of any script, with inner hyphens and apostrophes: a word, not a generated value.</summary>
    public static bool IsWord(ReadOnlySpan<char> word)
    {
        foreach (var c in word)
            if (!char.IsLetter(c) && c is not ('\'' or '-' or '’')) return false;
        return !word.IsEmpty;
    }

    /// <summary>Words of any script with spaces and punctuation only ("API-Schlüssel", "Mot de passe oublié ?"): text for people.</summary>
    public static bool IsText(ReadOnlySpan<char> value)
    {
        foreach (var range in value.Trim().Split(' '))
        {
            var word = TrimPunctuation(value.Trim()[range]);
            if (!word.IsEmpty && !IsWord(word)) return false;
        }
        return true;
    }

    private static ReadOnlySpan<char> TrimPunctuation(ReadOnlySpan<char> word)
    {
        var start = 0;
        var end = word.Length;
        while (start < end && !char.IsLetterOrDigit(word[start])) start++;
        while (end > start && !char.IsLetterOrDigit(word[end - 1])) end--;
        return word[start..end];
    }

    /// <summary>Lower-case letters and digits only: separators (<c>- _ . space</c>) and quotes dropped.</summary>
    public static ReadOnlySpan<char> Normalize(ReadOnlySpan<char> value, Span<char> buffer)
    {
        var length = 0;
        foreach (var c in value)
        {
            char lower;
            if (char.IsAsciiLetterUpper(c)) lower = (char)(c | 0x20);
            else if (c < 128)
            {
                if (c is '-' or '_' or '.' or ' ' or '\'' or '"') continue;
                lower = c;
            }
            else lower = char.ToLowerInvariant(c);
            if (length == buffer.Length) break;
            buffer[length++] = lower;
        }
        return buffer[..length];
    }

    private static bool StartsWithWord(ReadOnlySpan<char> value, string word) =>
        value.StartsWith(word, StringComparison.OrdinalIgnoreCase)
        && (value.Length == word.Length || !char.IsAsciiLetterLower(value[word.Length]) || word.Length >= 6);

    /// <summary>A variable then a path or member: <c>$dir/private/key.pem</c>, <c>$insta::secret</c>, <c>$HOME/.pgpass</c>.</summary>
    private static bool IsVariablePath(ReadOnlySpan<char> v)
    {
        var i = 0;
        while (i < v.Length && (char.IsAsciiLetterOrDigit(v[i]) || v[i] == '_')) i++;
        return i > 0 && i < v.Length && v[i] is '/' or '.' or ':' or '-';
    }

    private static bool IsIdentifier(ReadOnlySpan<char> v, bool allowDots = false)
    {
        if (v.IsEmpty) return false;
        foreach (var c in v)
            if (!char.IsAsciiLetterOrDigit(c) && c != '_' && !(allowDots && c is '.' or ':' or '-')) return false;
        return true;
    }
}
