using System.Collections.Concurrent;
using Bakery.Tests.Infrastructure;

namespace Bakery.Tests.Integration;

/// <summary>
/// Every corpus case as an OCI image layout and as a `docker save` archive, through the real
/// `bakery verify` process: the exit code, the BAKE code, the warnings, no stack trace or raw
/// control character in the output, the temporary unpack folder gone and nothing written outside
/// the case's own folder. The tool reads with the corpus limits (BAKERY_LAYER_LIMITS).
/// </summary>
[TestClass]
[TestCategory("Integration")]
public sealed class LayerCorpusToolTests
{
    private const string Policy = "schemaVersion: 2.0.0\nmetadataTest:\n  user: \"1000\"\n";

    [TestMethod]
    public void Every_case_gets_its_verdict_from_bakery_verify_of_both_archive_formats()
    {
        var root = TestPaths.NewTempDirectory("corpus-tool");
        try
        {
            var failures = new ConcurrentBag<string>();
            Parallel.ForEach(LayerCorpus.All.Select((c, i) => (c, i)), new ParallelOptions { MaxDegreeOfParallelism = 3 }, item =>
            {
                var (c, i) = item;
                foreach (var format in new[] { "oci", "docker" })
                {
                    var problem = Run(c, format, Path.Combine(root, $"{i:D3}-{format}"));
                    if (problem is not null) failures.Add($"{c.Name} [{format}]: {problem}");
                }
            });
            Assert.IsEmpty(failures, $"{failures.Count} failure(s):\n" + string.Join("\n", failures.Order(StringComparer.Ordinal)));
        }
        finally
        {
            Directory.Delete(root, recursive: true);
        }
    }

    [TestMethod]
    public void Warnings_are_in_the_verify_report_and_a_bad_limit_setting_is_BAKE328()
    {
        var root = TestPaths.NewTempDirectory("corpus-report");
        try
        {
            var archive = CorpusImages.WriteOciLayout(LayerCorpus.Named("permissions: setuid file"), Path.Combine(root, "image.tar"));
            File.WriteAllText(Path.Combine(root, "policy.yaml"), Policy);
            var tool = Path.Combine(AppContext.BaseDirectory, "Bakery.Tool.dll");
            var reports = Path.Combine(root, "reports");
            var result = ProcessRunner.Run("dotnet", [tool, "verify", archive, "--policy", Path.Combine(root, "policy.yaml"), "--command-tests", "false", "--report-directory", reports], root,
                new Dictionary<string, string> { ["XDG_CACHE_HOME"] = Path.Combine(root, "cache") });
            Assert.AreEqual(0, result.ExitCode, result.Output);
            StringAssert.Contains(result.Output, "warning BAKE326");
            StringAssert.Contains(result.Output, "usr/bin/su");
            StringAssert.Contains(File.ReadAllText(Path.Combine(reports, "bakery-verify.json")), "BAKE326");
            StringAssert.Contains(File.ReadAllText(Path.Combine(reports, "bakery-verify.md")), "Layer warnings");

            var bad = ProcessRunner.Run("dotnet", [tool, "scan", archive], root,
                new Dictionary<string, string> { ["XDG_CACHE_HOME"] = Path.Combine(root, "cache2"), ["BAKERY_LAYER_LIMITS"] = "maxEntrySize=huge" });
            Assert.AreEqual(1, bad.ExitCode, bad.Output);
            StringAssert.Contains(bad.Output, "bakery: BAKE328:");
            Assert.IsFalse(bad.Output.Contains("   at ", StringComparison.Ordinal), bad.Output);
        }
        finally
        {
            Directory.Delete(root, recursive: true);
        }
    }

    /// <summary>Null when the case passed; otherwise what went wrong.</summary>
    private static string? Run(CorpusCase c, string format, string caseRoot)
    {
        var run = Path.Combine(caseRoot, "run", "deep");
        var temp = Path.Combine(run, "tmp");
        var cache = Path.Combine(caseRoot, "cache");
        Directory.CreateDirectory(temp);
        var archive = Path.Combine(run, "image.tar");
        if (format == "oci") CorpusImages.WriteOciLayout(c, archive);
        else CorpusImages.WriteDockerArchive(c, archive);
        var policy = Path.Combine(run, "policy.yaml");
        File.WriteAllText(policy, Policy);
        var result = ProcessRunner.Run("dotnet", [Path.Combine(AppContext.BaseDirectory, "Bakery.Tool.dll"), "verify", archive, "--policy", policy, "--command-tests", "false"], run,
            new Dictionary<string, string> { ["TMPDIR"] = temp, ["XDG_CACHE_HOME"] = cache, ["BAKERY_LAYER_LIMITS"] = LayerCorpus.LimitsSetting });

        var (verdict, code) = format == "docker" && c.DockerArchive is { } docker ? docker : (c.Verdict, c.Code);
        var output = result.Output;
        var problems = new List<string>();
        if (output.Contains("   at ", StringComparison.Ordinal) || output.Contains("Unhandled exception", StringComparison.Ordinal)) problems.Add("a stack trace");
        if (output.Any(ch => char.IsControl(ch) && ch is not ('\n' or '\r') || char.IsSurrogate(ch) || ch is >= '\u202A' and <= '\u202E')) problems.Add("a raw control character");
        switch (verdict)
        {
            case Verdict.Refuse:
                if (result.ExitCode != 1) problems.Add($"exit {result.ExitCode}, expected 1");
                if (!output.Contains($"bakery: {code}:", StringComparison.Ordinal)) problems.Add($"no '{code}'");
                break;
            case Verdict.Accept or Verdict.Warn:
                if (result.ExitCode != 0) problems.Add($"exit {result.ExitCode}, expected 0");
                var warns = output.Contains("warning BAKE32", StringComparison.Ordinal);
                if (warns != (verdict == Verdict.Warn && (format == "oci" || c.DockerArchive is null))) problems.Add(warns ? "unexpected warning" : "no BAKE325-327 warning");
                break;
        }
        if (Directory.EnumerateFileSystemEntries(temp).Any()) problems.Add("the temporary folder was not emptied");
        var stray = Directory.EnumerateFiles(caseRoot, "*", SearchOption.AllDirectories)
            .Where(p => p != archive && p != policy && !p.StartsWith(cache + Path.DirectorySeparatorChar, StringComparison.Ordinal)).ToList();
        if (stray.Count > 0) problems.Add("files outside the unpack folder: " + string.Join(", ", stray));
        return problems.Count == 0 ? null : string.Join("; ", problems) + "\n    " + output.Trim().Replace("\n", "\n    ", StringComparison.Ordinal);
    }
}
