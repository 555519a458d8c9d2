using System.Text.RegularExpressions;
using Bakery.Tests.Infrastructure;
using YamlDotNet.RepresentationModel;

namespace Bakery.Tests.Integration;

/// <summary>
/// The CI recipes in samples/ci parse as YAML, and every bakery command they run exists with every
/// flag they pass (asked of the tool itself), and every Bakery property they set is a documented one.
/// </summary>
[TestClass]
[TestCategory("Integration")]
public sealed partial class CiRecipeTests
{
    private static IEnumerable<object[]> Recipes() =>
        Directory.EnumerateFiles(Path.Combine(TestPaths.RepositoryRoot, "samples", "ci"), "*.yml", SearchOption.AllDirectories)
            .Order(StringComparer.Ordinal).Select(f => new object[] { Path.GetRelativePath(TestPaths.RepositoryRoot, f) });

    [TestMethod]
    public void There_are_recipes_for_a_global_bakery_a_team_app_and_an_outdated_job_on_both_systems()
    {
        var names = Recipes().Select(r => (string)r[0]).ToList();
        foreach (var system in new[] { "github", "azure-pipelines" })
            foreach (var recipe in new[] { "global-bakery", "team-app", "outdated" })
                CollectionAssert.Contains(names, Path.Combine("samples", "ci", system, recipe + ".yml"));
    }

    [TestMethod]
    [DynamicData(nameof(Recipes))]
    public void A_recipe_runs_only_commands_flags_and_properties_that_exist(string recipe)
    {
        var yaml = new YamlStream();
        yaml.Load(new StringReader(File.ReadAllText(Path.Combine(TestPaths.RepositoryRoot, recipe))));
        var scripts = Scalars(yaml.Documents[0].RootNode).Where(s => s.Key is "run" or "script").Select(s => s.Value).ToList();
        Assert.IsNotEmpty(scripts, $"{recipe} runs nothing");
        var readme = File.ReadAllText(Path.Combine(TestPaths.RepositoryRoot, "README.md"));
        using var workspace = new BakeryWorkspace("ci-recipes");
        var commands = 0;
        foreach (var line in scripts.SelectMany(s => s.Split('\n')).Select(l => l.Trim()))
        {
            foreach (Match call in BakeryCall().Matches(line))
            {
                var words = call.Groups[1].Value.Split(' ', StringSplitOptions.RemoveEmptyEntries);
                var command = words.TakeWhile(w => Regex.IsMatch(w, "^[a-z]+$")).Take(2).ToArray();
                var help = workspace.Tool([.. command, "--help"]);
                Assert.AreEqual(0, help.ExitCode, $"{recipe}: 'bakery {string.Join(' ', command)}' is not a command\n{help.Output}");
                foreach (var flag in words.Where(w => w.StartsWith("--", StringComparison.Ordinal)))
                    StringAssert.Contains(help.Output, flag, $"{recipe}: 'bakery {string.Join(' ', command)}' has no {flag}");
                commands++;
            }
            foreach (Match property in BakeryProperty().Matches(line))
                StringAssert.Contains(readme, $"`{property.Groups[1].Value}`", $"{recipe} sets {property.Groups[1].Value}, which the README does not document");
        }
        if (!recipe.Contains("team-app", StringComparison.Ordinal)) Assert.IsGreaterThan(0, commands, $"{recipe} runs no bakery command");
    }

    private static IEnumerable<(string Key, string Value)> Scalars(YamlNode node) => node switch
    {
        YamlMappingNode map => map.Children.SelectMany(c => c.Value is YamlScalarNode v && c.Key is YamlScalarNode k
            ? [(k.Value ?? "", v.Value ?? "")] : Scalars(c.Value)),
        YamlSequenceNode seq => seq.Children.SelectMany(Scalars),
        _ => [],
    };

    [GeneratedRegex(@"(?:^|[\s(|&;])bakery ([^|&;)]+)")] private static partial Regex BakeryCall();
    [GeneratedRegex(@"-p:(Bakery[A-Za-z]+)=")] private static partial Regex BakeryProperty();
}
