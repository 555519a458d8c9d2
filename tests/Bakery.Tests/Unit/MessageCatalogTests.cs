using System.Reflection;
using System.Text.RegularExpressions;
using System.Xml.Linq;
using Bakery.Core;
using Bakery.Tests.Infrastructure;

namespace Bakery.Tests.Unit;

/// <summary>
/// Messages live in one place: every code in Strings.resx has its typed accessor and a row in the
/// README's error table, every code the sources raise or name is in the resx, and no source formats a
/// BAKE message itself (the accessors are the only way to make one).
/// </summary>
[TestClass]
public sealed partial class MessageCatalogTests
{
    private static readonly string Root = TestPaths.RepositoryRoot;

    private static IReadOnlyDictionary<string, string> ResxEntries() =>
        XDocument.Load(Path.Combine(Root, "src", "Bakery.Core", "Resources", "Strings.resx")).Root!.Elements("data")
            .ToDictionary(d => (string)d.Attribute("name")!, d => (string)d.Element("value")!);

    private static IEnumerable<string> Sources() =>
        Directory.EnumerateFiles(Path.Combine(Root, "src"), "*.cs", SearchOption.AllDirectories)
            .Where(f => !f.Contains($"{Path.DirectorySeparatorChar}obj{Path.DirectorySeparatorChar}", StringComparison.Ordinal));

    [TestMethod]
    public void The_resx_the_sources_and_the_README_name_the_same_codes()
    {
        var resx = ResxEntries().Keys.Select(k => k[..7]).ToHashSet();
        var readme = ReadmeCode().Matches(File.ReadAllText(Path.Combine(Root, "README.md"))).Select(m => m.Groups[1].Value).ToHashSet();
        var used = Sources().SelectMany(f => UsedCode().Matches(File.ReadAllText(f)).Select(m => m.Groups[1].Value)).ToHashSet();

        CollectionAssert.AreEquivalent(resx.Order().ToList(), readme.Order().ToList(), "every code in the resx has a README row and no README row lacks a message");
        Assert.IsEmpty(used.Except(resx).ToList(), "codes used in the sources without a message: " + string.Join(", ", used.Except(resx)));
        Assert.IsEmpty(resx.Except(used).ToList(), "messages no source uses: " + string.Join(", ", resx.Except(used)));
    }

    [TestMethod]
    public void Every_entry_has_its_accessor_with_one_parameter_per_placeholder_and_a_real_text()
    {
        foreach (var (name, value) in ResxEntries())
        {
            Assert.IsTrue(value.StartsWith(name[..7] + ": ", StringComparison.Ordinal), $"{name}'s text starts with its code");
            var accessor = typeof(Messages).GetMethod(name, BindingFlags.Public | BindingFlags.Static);
            Assert.IsNotNull(accessor, $"Messages.{name} is generated");
            var placeholders = PlaceholderName().Matches(value).Select(m => m.Groups[1].Value).Distinct().Count();
            Assert.AreEqual(placeholders, accessor.GetParameters().Length, $"Messages.{name} takes one argument per placeholder");
            var message = (BakeryMessage)accessor.Invoke(null, accessor.GetParameters().Select(p => (object?)$"<{p.Name}>").ToArray())!;
            Assert.AreEqual(name[..7], message.Code);
            Assert.IsFalse(message.Text.StartsWith("BAKE", StringComparison.Ordinal), name);
            Assert.IsFalse(PlaceholderName().IsMatch(message.Text), $"{name}: every placeholder is filled in: {message.Text}");
            Assert.IsGreaterThan(20, message.Text.Length, name);
        }
    }

    [TestMethod]
    public void No_source_makes_a_BAKE_message_by_hand()
    {
        var handMade = Sources().SelectMany(f => HandMade().Matches(File.ReadAllText(f)).Select(m => $"{Path.GetFileName(f)}: {m.Value}")).ToList();
        Assert.IsEmpty(handMade, string.Join("\n", handMade));
    }

    [TestMethod]
    public void A_value_holding_braces_is_never_filled_in_again()
    {
        var message = Messages.BAKE405("team/{1}", "{0}{name}");
        StringAssert.Contains(message.Text, "'team/{1}' is not a valid target repository: {0}{name}");
    }

    [GeneratedRegex(@"^\| (BAKE\d{3}) \|", RegexOptions.Multiline)] private static partial Regex ReadmeCode();
    [GeneratedRegex(@"Messages\.(BAKE\d{3})(?:_\w+)?\(")] private static partial Regex UsedCode();
    [GeneratedRegex(@"\{([A-Za-z][A-Za-z0-9]*|[0-9]+)\}")] private static partial Regex PlaceholderName();
    [GeneratedRegex(@"new Bakery(?:Exception|Diagnostic)\(\s*""BAKE\d{3}""")] private static partial Regex HandMade();
}
