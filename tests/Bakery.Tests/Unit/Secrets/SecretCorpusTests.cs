using Bakery.Core.Secrets;

namespace Bakery.Tests.Unit.Secrets;

/// <summary>
/// The scanner against its own generated corpus: every planted secret found (in every format, encoding and archive
/// placement, with the exact characters of the secret), nothing of a secret shown, and at most one false positive
/// per hundred clean configuration files full of placeholders and look-alikes. Seeded per test: random, reproducible.
/// </summary>
[TestClass]
public sealed class SecretCorpusTests
{
    [TestMethod]
    [DataRow(1501)]
    [DataRow(20_240_501)]
    [DataRow(77)]
    public void Every_planted_secret_is_found_in_every_encoding_and_archive(int seed)
    {
        var corpus = SecretCorpus.Planted(seed);
        Assert.IsGreaterThanOrEqualTo(150, corpus.Expected.Count, "at least 150 planted secrets");
        Assert.IsGreaterThanOrEqualTo(40, corpus.Expected.Select(e => e.Format).Distinct().Count(), "in at least 40 formats");
        CollectionAssert.IsSubsetOf(SecretCorpus.TextPlacements, corpus.Expected.Select(e => e.Placement).Distinct().ToList(), "in every placement");

        var scanner = new SecretScanner(SecretAllowlist.Empty);
        var findings = scanner.ScanLayer(new MemoryStream(corpus.Layer()));

        var missed = corpus.Expected.Where(e => !findings.Any(f => Matches(f, e))).ToList();
        Assert.IsEmpty(missed, $"{missed.Count} of {corpus.Expected.Count} planted secrets missed (seed {seed}):\n" + string.Join("\n", missed.Select(m =>
            $"  {m.Format} [{m.Placement}] {m.File}: want {string.Join("|", m.Plant.Rules)}; found {string.Join(", ", findings.Where(f => f.File == m.File).Select(f => f.Rule))}")));
        Assert.IsEmpty(scanner.Unscanned, string.Join("\n", scanner.Unscanned));
        Console.WriteLine($"seed {seed}: {corpus.Expected.Count} planted secrets in {corpus.Expected.Select(e => e.Format).Distinct().Count()} formats and "
            + $"{corpus.Expected.Select(e => e.Placement).Distinct().Count()} placements, all found; {findings.Count} findings");
    }

    [TestMethod]
    public void Findings_show_nothing_of_any_planted_secret()
    {
        var corpus = SecretCorpus.Planted(4242);
        var findings = new SecretScanner(SecretAllowlist.Empty).ScanLayer(new MemoryStream(corpus.Layer()));
        var shown = string.Join("\n", findings.Select(f => $"{f} {f.Redacted} {f.Hash} {f.Length}"));
        foreach (var secret in corpus.Expected.Select(e => e.Plant.Secret).OfType<string>())
        {
            // Not the secret, and not its first or last characters either.
            Assert.DoesNotContain(secret, shown);
            Assert.DoesNotContain(secret[..Math.Min(6, secret.Length)], shown, "no prefix of a secret is shown");
            Assert.DoesNotContain(secret[^Math.Min(6, secret.Length)..], shown, "no suffix of a secret is shown");
        }
        foreach (var f in findings) StringAssert.Matches(f.Redacted, new System.Text.RegularExpressions.Regex(@"^\d+ (chars|bytes), sha256 [0-9a-f]{8}$"));
    }

    [TestMethod]
    [DataRow(5)]
    [DataRow(2_024)]
    public void Clean_files_raise_at_most_one_false_positive_per_hundred_configuration_files(int seed)
    {
        var clean = CleanFiles.Generate(seed, 480);
        var configurations = clean.Count(c => c.Configuration);
        Assert.IsGreaterThanOrEqualTo(400, clean.Count);
        var findings = new SecretScanner(SecretAllowlist.Empty).ScanLayer(new MemoryStream(SecretCorpus.Layer(clean.Select(c => (c.Path, c.Content)))));
        var kinds = clean.ToDictionary(c => "/" + c.Path, c => c.Kind);
        Assert.IsLessThanOrEqualTo(configurations / 100, findings.Count,
            $"{findings.Count} false positive(s) in {clean.Count} clean files ({configurations} configuration):\n" +
            string.Join("\n", findings.Select(f => $"  {f} in a '{kinds.GetValueOrDefault(f.File.Split('!')[0], "?")}' file")));
        Console.WriteLine($"seed {seed}: {findings.Count} false positive(s) in {clean.Count} clean files ({configurations} configuration, {CleanFiles.Kinds.Length} kinds)");
    }

    private static bool Matches(SecretFinding finding, ExpectedSecret expected) =>
        finding.File == expected.File && expected.Plant.Rules.Contains(finding.Rule)
        && (expected.Plant.Secret is null || finding.Hash == SecretRedaction.Hash(expected.Plant.Secret) && finding.Length == expected.Plant.Secret.Length);
}
