using System.Text.RegularExpressions;
using Bakery.Tests.Infrastructure;

namespace Bakery.Tests.Unit;

/// <summary>
/// Every promise the README makes — an error code, a property, a command, a flag — is exercised by a
/// test: each is named in at least one test source (other than this file). A new promise without a
/// test, or a test-less leftover in the README, fails here with the list.
/// </summary>
[TestClass]
public sealed partial class ReadmePromiseTests
{
    private static readonly string Readme = File.ReadAllText(Path.Combine(TestPaths.RepositoryRoot, "README.md"));

    private static readonly Lazy<string> TestSources = new(() => string.Join('\n',
        Directory.EnumerateFiles(Path.Combine(TestPaths.RepositoryRoot, "tests"), "*.cs", SearchOption.AllDirectories)
            .Where(f => !f.Contains($"{Path.DirectorySeparatorChar}obj{Path.DirectorySeparatorChar}", StringComparison.Ordinal)
                && !f.EndsWith(nameof(ReadmePromiseTests) + ".cs", StringComparison.Ordinal))
            .Select(File.ReadAllText)));

    [TestMethod]
    public void Every_error_code_in_the_README_is_provoked_or_checked_by_a_test() =>
        AssertTested("error codes", Section("## Error codes").Split('\n').Select(l => CodeCell().Match(l)).Where(m => m.Success).Select(m => m.Groups[1].Value));

    [TestMethod]
    public void Every_property_and_item_in_the_README_table_is_used_by_a_test() =>
        AssertTested("properties and items", Section("## Properties and items").Split('\n')
            .Where(l => l.StartsWith("| `", StringComparison.Ordinal) || l.StartsWith("| item `", StringComparison.Ordinal))
            .SelectMany(l => NameInFirstCell().Match(l).Groups[1].Value.Split(',', StringSplitOptions.TrimEntries))
            .Select(n => n.Trim('`', ' ').Replace("(s)", "", StringComparison.Ordinal).Replace("*", "", StringComparison.Ordinal))
            .Where(n => n.StartsWith("Bakery", StringComparison.Ordinal) || n == "SOURCE_DATE_EPOCH"));

    [TestMethod]
    public void Every_bakery_command_and_flag_in_the_README_is_run_by_a_test()
    {
        var lines = Readme.Split('\n').Where(l => l.StartsWith("bakery ", StringComparison.Ordinal)).ToList();
        Assert.IsNotEmpty(lines, "the README lists the tool's commands");
        var commands = lines.Select(l => string.Join(' ', l.Split(' ', StringSplitOptions.RemoveEmptyEntries).Skip(1).TakeWhile(w => Regex.IsMatch(w, "^[a-z]+$")).Take(2)))
            .Select(c => c.Split(' ') is [var verb, var sub] && !new[] { "lifecycle", "upstream" }.Contains(verb) ? verb : c);
        AssertTested("commands", commands.Select(c => $"\"{c.Replace(" ", "\", \"", StringComparison.Ordinal)}\""));
        AssertTested("flags", lines.SelectMany(l => Flag().Matches(l).Select(m => m.Value)).Distinct());
    }

    private static void AssertTested(string what, IEnumerable<string> promises)
    {
        var all = promises.Distinct().ToList();
        Assert.IsNotEmpty(all, $"no {what} found in the README: has its layout changed?");
        var untested = all.Where(p => !TestSources.Value.Contains(p, StringComparison.Ordinal)).ToList();
        Assert.IsEmpty(untested, $"{untested.Count} of {all.Count} README {what} have no test: {string.Join(", ", untested)}");
    }

    private static string Section(string heading)
    {
        var start = Readme.IndexOf(heading + "\n", StringComparison.Ordinal);
        Assert.IsGreaterThanOrEqualTo(0, start, $"README has no '{heading}' section");
        var end = Readme.IndexOf("\n## ", start + heading.Length, StringComparison.Ordinal);
        return end < 0 ? Readme[start..] : Readme[start..end];
    }

    [GeneratedRegex(@"^\| (BAKE\d{3}) \|")] private static partial Regex CodeCell();
    [GeneratedRegex(@"^\| (?:item )?([^|]+) \|")] private static partial Regex NameInFirstCell();
    [GeneratedRegex(@"--[a-z][a-z-]+")] private static partial Regex Flag();
}
