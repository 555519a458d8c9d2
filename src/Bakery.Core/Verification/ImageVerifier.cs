using Bakery.Core.Baking;
using Bakery.Core.Containers;
using Bakery.Oci.Model;

namespace Bakery.Core.Verification;

/// <summary>Runs a verification plan against a bake and turns failures into BAKE301/303/305.</summary>
public sealed class ImageVerifier(IBakeLog log)
{
    public IReadOnlyList<CheckResult> RunFileChecks(VerificationPlan plan, ImageFilesystem fs, ImageConfig config)
    {
        foreach (var warning in plan.Files.SelectMany(f => f.Warnings)) log.Warning(warning);
        var results = plan.Files.SelectMany(f => StructureTestRunner.Run(f, fs, config)).ToList();
        log.Info($"Verified {results.Count} structure check(s) from {plan.Files.Count} file(s): {results.Count(r => !r.Passed)} failed");
        return results;
    }

    /// <param name="platform">The image's platform: on an engine that cannot run it (no emulation), the tests are skipped with BAKE340 (auto) or fail with BAKE341 (true).</param>
    public Task<IReadOnlyList<CheckResult>> RunCommandTestsAsync(VerificationPlan plan, string image, CancellationToken ct, string? archive = null, Platform? platform = null) =>
        RunCommandTestsAsync(plan, archive is null ? CommandTestImage.Pull(image) : CommandTestImage.Archive(archive), ct, platform);

    /// <param name="platform">The image's platform: on an engine that cannot run it (no emulation), the tests are skipped with BAKE340 (auto) or fail with BAKE341 (true).</param>
    public async Task<IReadOnlyList<CheckResult>> RunCommandTestsAsync(VerificationPlan plan, CommandTestImage target, CancellationToken ct, Platform? platform = null)
    {
        var tests = plan.Files.SelectMany(f => f.Commands.Select(c => (File: f, Test: c))).ToList();
        CheckResult Skipped((StructureTestFile File, CommandTest Test) t, string why) =>
            new(Path.GetFileName(t.File.Path), "commandTests", t.Test.Name, true, why, Skipped: true, InheritedFrom: t.File.InheritedFrom);
        if (plan.CommandTests == CommandTestMode.Never)
        {
            if (target.DisposeRuntime) target.Runtime?.Dispose();
            return tests.Select(t => Skipped(t, "BakeryRunCommandTests=false")).ToList();
        }

        var runtime = target.Runtime ?? ContainerRuntimes.Connect();
        try
        {
            if (await runtime.UnavailableReasonAsync(ct) is { } reason)
            {
                if (plan.CommandTests == CommandTestMode.Always) throw Messages.BAKE307(runtime.Endpoint, reason).Exception();
                log.Warning(Messages.BAKE307_Skipped(tests.Count, runtime.Endpoint, reason).Warning());
                return tests.Select(t => Skipped(t, "no container engine")).ToList();
            }
            if (platform is not null && PlatformEmulation.Problem(platform, runtime.EnginePlatform, runtime.Endpoint) is { } cannot)
            {
                if (plan.CommandTests == CommandTestMode.Always) throw Messages.BAKE341(target.Display, platform, runtime.Endpoint, cannot).Exception();
                log.Warning(Messages.BAKE340(tests.Count, target.Display, runtime.Endpoint, platform, cannot).Warning());
                return tests.Select(t => Skipped(t, $"the engine cannot run {platform}: {cannot}")).ToList();
            }
            foreach (var file in plan.Files.Where(f => f.Commands.Count > 0 && f.RunOptions.NeedsPrivilege))
                log.Warning(Messages.BAKE339(Path.GetFileName(file.Path), file.RunOptions.Privileged ? "privileged" : "with bind mounts " + string.Join(", ", file.RunOptions.BindMounts)).Warning());
            var image = await target.Prepare(runtime, ct);
            try
            {
                var environment = await runtime.ImageEnvironmentAsync(image, ct);
                var runner = new CommandTestRunner(runtime, TimeSpan.FromMinutes(2), log);
                var results = new List<CheckResult>();
                foreach (var (file, test) in tests) results.Add(await runner.RunAsync(image, environment, file, test, ct));
                log.Info($"Ran {results.Count} command test(s): {results.Count(r => !r.Passed)} failed");
                return results;
            }
            finally
            {
                if (target.Release is { } release) await release(runtime, image);
            }
        }
        finally
        {
            if (target.Runtime is null || target.DisposeRuntime) runtime.Dispose();
        }
    }

    public static void ThrowOnFailures(IReadOnlyList<CheckResult> checks, string image)
    {
        var failed = checks.Where(c => !c.Passed).ToList();
        if (failed.Count == 0) return;
        static string Describe(IEnumerable<CheckResult> list) =>
            string.Join("; ", list.Take(5).Select(c => $"{c.File} › {c.Name}: {c.Failure}")) + (list.Count() > 5 ? $"; and {list.Count() - 5} more" : "");
        var inherited = failed.Where(c => c.InheritedFrom is not null).ToList();
        if (inherited.Count > 0)
            throw Messages.BAKE305(image, inherited.Count, Describe(inherited.Select(c => c with { File = $"{c.InheritedFrom}/{c.File}" }))).Exception();
        var commands = failed.Where(c => c.Suite == "commandTests").ToList();
        if (commands.Count > 0) throw Messages.BAKE303(image, commands.Count, Describe(commands)).Exception();
        throw Messages.BAKE301(image, failed.Count, Describe(failed)).Exception();
    }
}
