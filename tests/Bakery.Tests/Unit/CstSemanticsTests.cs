using Bakery.Core.Verification;
using Bakery.Oci.Layers;

namespace Bakery.Tests.Unit;

/// <summary>The Go behaviour container-structure-test judges with: regexp, os.Expand, FileMode.String, port matching, godotenv.</summary>
[TestClass]
public sealed class CstSemanticsTests
{
    [TestMethod]
    [DataRow(@"^ID=debian$", "ID=debian\nVERSION=12\n", false, "no flags: $ is the end of the text, not of a line")]
    [DataRow(@"(?m)^ID=debian$", "ID=debian\nVERSION=12\n", true, "(?m) makes ^ and $ line anchors")]
    [DataRow(@"VERSION=12$", "ID=debian\nVERSION=12\n", false, "RE2's $ does not match before a final newline (.NET's would)")]
    [DataRow(@"VERSION=12\n$", "ID=debian\nVERSION=12\n", true, "")]
    [DataRow(@"a.b", "a\nb", false, ". stops at a newline")]
    [DataRow(@"(?s)a.b", "a\nb", true, "")]
    [DataRow(@"\d+", "٣", false, @"\d is ASCII only")]
    [DataRow(@"\w+", "é", false, @"\w is ASCII only")]
    [DataRow(@"[[:alpha:]]+[[:digit:]]", "abc1", true, "POSIX classes")]
    [DataRow(@"(?P<major>\d+)\.(?P<minor>\d+)", "10.0", true, "Python-style named groups")]
    [DataRow(@"(?i)USAGE", "Usage: apt-get", true, "")]
    [DataRow(@"a{2}", "aa", true, "")]
    [DataRow(@"a{,2}", "a{,2}", true, "a brace that is not a repetition is literal in RE2")]
    [DataRow(@"\x{41}\101", "AA", true, @"\x{…} and octal escapes")]
    [DataRow(@"\Qa.b*\E", "a.b*", true, @"\Q…\E quotes")]
    [DataRow(@"\Qa.b*\E", "axbb", false, "")]
    [DataRow(@".*(FOO|BAR)=keepit(secret|safe)!.*", "HOME=/root\nFOO=keepitsecret!\n", true, "CST's own containerRunOptions pattern")]
    [DataRow(@"(?U)a+", "aaa", true, "ungreedy flag")]
    [DataRow(@"[\d\s]+x", "1 2x", true, "escapes inside a class")]
    [DataRow(@"[^\n]+", "\n", false, "")]
    [DataRow(@"\pL\p{Greek}", "aβ", true, "Unicode classes")]
    public void Regexes_match_as_Go_regexp_MatchString(string pattern, string text, bool expected, string why)
    {
        Assert.AreEqual(expected, GoRegex.IsMatch(pattern, text, out var error), $"/{pattern}/ on {text.Replace("\n", "\\n")}: {why} ({error}; .NET: {GoRegex.Translate(pattern)})");
        Assert.IsNull(error);
    }

    [TestMethod]
    [DataRow(@"a(?=b)", "Perl syntax")]
    [DataRow(@"(?<=a)b", "Perl syntax")]
    [DataRow(@"(a)\1", "backreferences")]
    [DataRow(@"(?>a)", "Perl syntax")]
    [DataRow(@"\y", "invalid escape")]
    [DataRow(@"(unclosed", "missing closing )")]
    [DataRow(@"[abc", "missing closing ]")]
    [DataRow(@"a**", "nested repetition")]
    [DataRow(@"a{1001}", "repeat count")]
    public void What_RE2_refuses_is_refused_so_CST_files_never_pass_here_and_fail_there(string pattern, string reason)
    {
        Assert.IsFalse(GoRegex.IsMatch(pattern, "ab aab", out var error));
        Assert.IsNotNull(error, pattern);
        StringAssert.Contains(error, reason);
        StringAssert.Contains(error, "RE2");
    }

    [TestMethod]
    [DataRow("$HOME/.bashrc", "/root/.bashrc")]
    [DataRow("${HOME}/x", "/root/x")]
    [DataRow("$UNSET/x", "/x")]
    [DataRow("a$", "a$")]
    [DataRow("$$", "")]
    [DataRow("$1-$@", "-")]
    [DataRow("${}x", "x")]
    [DataRow("${HOME", "HOME")]
    [DataRow("$-x", "x")]
    [DataRow("cost: $ 5", "cost: $ 5")]
    [DataRow("${PATH}:$HOMEX", "/usr/bin:")]
    [DataRow("$HOME_DIR$HOME", "/root")]
    public void Variables_expand_as_Go_os_Expand(string text, string expected)
    {
        var variables = new Dictionary<string, string> { ["HOME"] = "/root", ["PATH"] = "/usr/bin" };
        Assert.AreEqual(expected, EnvExpansion.Expand(text, variables));
    }

    [TestMethod]
    [DataRow(LayerEntryType.File, 0b110_100_100, "-rw-r--r--")]
    [DataRow(LayerEntryType.File, 0b100_111_101_101, "urwxr-xr-x")]
    [DataRow(LayerEntryType.File, 0b110_111_101_101, "ugrwxr-xr-x")]
    [DataRow(LayerEntryType.Directory, 0b111_101_101, "drwxr-xr-x")]
    [DataRow(LayerEntryType.Directory, 0b010_111_101_101, "dgrwxr-xr-x")]
    [DataRow(LayerEntryType.Directory, 0b001_111_111_111, "dtrwxrwxrwx")]
    [DataRow(LayerEntryType.SymbolicLink, 0b111_111_111, "Lrwxrwxrwx")]
    [DataRow(LayerEntryType.SymbolicLink, 0b111_101_101, "Lrwxrwxrwx")]
    [DataRow(LayerEntryType.CharacterDevice, 0b110_110_110, "Dcrw-rw-rw-")]
    [DataRow(LayerEntryType.BlockDevice, 0b110_110_000, "Drw-rw----")]
    [DataRow(LayerEntryType.Fifo, 0b110_100_100, "prw-r--r--")]
    [DataRow(LayerEntryType.File, 0, "----------")]
    public void Permissions_print_as_Go_FileMode_String(LayerEntryType type, int mode, string expected) =>
        Assert.AreEqual(expected, GoFileMode.Format(type, mode));

    [TestMethod]
    public void Ports_match_by_number_as_CST_does_and_by_protocol_when_one_is_given()
    {
        string[] exposed = ["8080/tcp", "53/udp"];
        Assert.IsTrue(StructureTestRunner.IsExposed("8080", exposed));
        Assert.IsTrue(StructureTestRunner.IsExposed("8080/tcp", exposed));
        Assert.IsTrue(StructureTestRunner.IsExposed("53", exposed), "CST drops the protocol, so 53 matches 53/udp");
        Assert.IsTrue(StructureTestRunner.IsExposed("53/udp", exposed));
        Assert.IsFalse(StructureTestRunner.IsExposed("53/tcp", exposed));
        Assert.IsFalse(StructureTestRunner.IsExposed("8080/udp", exposed));
        Assert.IsFalse(StructureTestRunner.IsExposed("80", exposed));
        Assert.IsTrue(StructureTestRunner.IsExposed("9090/tcp", ["9090"]), "an image port without protocol is tcp");
    }

    [TestMethod]
    public void Env_files_read_as_godotenv_reads_them()
    {
        var entries = DotEnvFile.Parse("""
            # comment
            FOO=keepitsecret!
            export BAR = keepitsafe!
            QUOTED="two\nlines"
            SINGLE='$FOO stays'
            EXPANDED=${FOO}-and-$BAR # trailing comment
            YAML_STYLE: value
            EMPTY=
            HASH=a#b
            """);
        var map = entries.ToDictionary(e => e.Key, e => e.Value);
        Assert.AreEqual("keepitsecret!", map["FOO"]);
        Assert.AreEqual("keepitsafe!", map["BAR"]);
        Assert.AreEqual("two\nlines", map["QUOTED"]);
        Assert.AreEqual("$FOO stays", map["SINGLE"]);
        Assert.AreEqual("keepitsecret!-and-keepitsafe!", map["EXPANDED"]);
        Assert.AreEqual("value", map["YAML_STYLE"]);
        Assert.AreEqual("a#b", map["HASH"]);
        Assert.IsFalse(map.ContainsKey("EMPTY"), "CST drops variables with an empty value");
        Assert.ThrowsExactly<FormatException>(() => DotEnvFile.Parse("JUST_A_WORD\n"));
        Assert.ThrowsExactly<FormatException>(() => DotEnvFile.Parse("OPEN=\"never closed\n"));
    }
}
