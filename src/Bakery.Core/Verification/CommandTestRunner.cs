using Bakery.Core.Baking;
using Bakery.Core.Containers;

namespace Bakery.Core.Verification;

/// <summary>
/// Runs commandTests the way container-structure-test's docker driver does, each test in fresh
/// containers of the image (network none, a time limit per container):
/// <list type="bullet">
/// <item>globalEnvVars (values expanded from the image's environment) are set in every container;</item>
/// <item>each setup command runs in its own container whose result is committed, so the test sees its files;</item>
/// <item>the command and its arguments have <c>$VAR</c> expanded from the image's environment, as CST does;
/// the image's entrypoint is replaced by the command;</item>
/// <item>containerRunOptions apply to setup, command and teardown: user, TTY, env from envFile and
/// passed-through variables, added capabilities, bind mounts and privileged mode (the last two only
/// when allowed; the parser refuses them otherwise);</item>
/// <item>teardown commands run after the test in containers of its final state; one that fails is warning BAKE337, as CST only logs it.</item>
/// </list>
/// </summary>
public sealed class CommandTestRunner(IContainerRuntime runtime, TimeSpan timeout, IBakeLog log)
{
    private const string Suite = "commandTests";

    public async Task<CheckResult> RunAsync(string image, IReadOnlyList<string> imageEnvironment, StructureTestFile file, CommandTest test, CancellationToken ct)
    {
        var images = new List<string>();
        try
        {
            return await RunTestAsync(image, EnvExpansion.Parse(imageEnvironment), file, test, images, ct);
        }
        catch (BakeryException e) when (e.Code == "BAKE336")
        {
            // As CST: the engine refusing a container (an unknown user, a missing bind-mount source) fails this test, not the run.
            return Fail(file, test, $"{e.Code}: {e.Message}");
        }
        finally
        {
            for (var i = images.Count - 1; i >= 0; i--)
            {
                try { await runtime.RemoveImageAsync(images[i], CancellationToken.None); }
                catch (BakeryException) { } // a leftover intermediate image; the engine's prune removes it
            }
        }
    }

    private async Task<CheckResult> RunTestAsync(string image, Dictionary<string, string> imageEnv, StructureTestFile file, CommandTest test,
        List<string> images, CancellationToken ct)
    {
        var options = file.RunOptions;
        var globals = EnvExpansion.Globals(imageEnv, file.GlobalEnvVars);
        var environment = EnvExpansion.Merge(imageEnv, globals);
        var fromOptions = options.EnvFileEntries.Concat(options.EnvVars
            .Select(name => KeyValuePair.Create(name, System.Environment.GetEnvironmentVariable(name) ?? ""))
            .Where(p => p.Value.Length > 0)).ToList();
        // As CST: setup sees the test's variables with $VAR expanded, the command sees them as written.
        var setupEnv = test.EnvVars.Select(e => new EnvVar(e.Key, EnvExpansion.Expand(e.Value, environment))).ToList();

        var current = image;
        var notes = new List<string>();
        for (var i = 0; i < test.Setup.Count; i++)
        {
            var (exit, committed) = await RunAndCommitAsync(current, test.Setup[i], Env(globals, fromOptions, setupEnv), options, ct);
            images.Add(committed);
            current = committed;
            if (exit is null) return Fail(file, test, $"setup command {i + 1} ({string.Join(' ', test.Setup[i])}) did not finish within {timeout.TotalSeconds:0} s");
            if (exit != 0) notes.Add($"setup command {i + 1} exited with code {exit}");
        }
        if (test.Setup.Count > 0)
            foreach (var e in setupEnv) environment[e.Key] = e.Value; // CST expands from the committed setup image, which carries them

        var command = new[] { test.Command }.Concat(test.Args).Select(a => EnvExpansion.Expand(a, environment)).ToList();
        var spec = Spec(current, command, Env(globals, fromOptions, test.EnvVars), options) with { Tty = options.AllocateTty };
        ContainerOutput output;
        long exitCode;
        await using (var run = await ContainerRun.StartAsync(runtime, spec, ct))
        {
            var exit = await run.WaitAsync(timeout, ct);
            if (exit is null) return Fail(file, test, $"did not finish within {timeout.TotalSeconds:0} s");
            exitCode = exit.Value;
            output = await run.OutputAsync(ct);
            if (test.Teardown.Count > 0)
            {
                var final = await runtime.CommitAsync(run.Id, ct);
                images.Add(final);
                await TeardownAsync(final, file, test, Env(globals, fromOptions, setupEnv), options, images, ct);
            }
        }

        var problems = new List<string>();
        if (exitCode != test.ExitCode) problems.Add($"exit code {exitCode}, expected {test.ExitCode}");
        Match(problems, test.ExpectedOutput, output.Stdout, expected: true, "output");
        Match(problems, test.ExcludedOutput, output.Stdout, expected: false, "output");
        Match(problems, test.ExpectedError, output.Stderr, expected: true, "error output");
        Match(problems, test.ExcludedError, output.Stderr, expected: false, "error output");
        if (problems.Count == 0) return new CheckResult(Path.GetFileName(file.Path), Suite, test.Name, true, null, InheritedFrom: file.InheritedFrom);
        if (notes.Count > 0) problems.AddRange(notes);
        return Fail(file, test, string.Join("; ", problems) + $" (output: {Trim(output.Combined)})");
    }

    private async Task TeardownAsync(string image, StructureTestFile file, CommandTest test, IReadOnlyList<string> env, ContainerRunOptions options,
        List<string> images, CancellationToken ct)
    {
        var current = image;
        for (var i = 0; i < test.Teardown.Count; i++)
        {
            var (exit, committed) = await RunAndCommitAsync(current, test.Teardown[i], env, options, ct);
            images.Add(committed);
            current = committed;
            if (exit != 0)
                log.Warning(Messages.BAKE337(test.Name, Path.GetFileName(file.Path), i + 1, string.Join(' ', test.Teardown[i]), exit is null ? $"did not finish within {timeout.TotalSeconds:0} s" : $"exited with code {exit}").Warning());
        }
    }

    /// <summary>A setup or teardown command: run to the end, then committed so the next container sees what it did.</summary>
    private async Task<(long? Exit, string Committed)> RunAndCommitAsync(string image, IReadOnlyList<string> command, IReadOnlyList<string> env,
        ContainerRunOptions options, CancellationToken ct)
    {
        await using var run = await ContainerRun.StartAsync(runtime, Spec(image, command, env, options), ct);
        var exit = await run.WaitAsync(timeout, ct);
        return (exit, await runtime.CommitAsync(run.Id, ct));
    }

    private static ContainerSpec Spec(string image, IReadOnlyList<string> command, IReadOnlyList<string> env, ContainerRunOptions options) =>
        new(image, [command[0]], command.Skip(1).ToList())
        {
            Environment = env,
            User = options.User,
            AddCapabilities = options.Capabilities,
            BindMounts = options.BindMounts,
            Privileged = options.Privileged,
        };

    /// <summary>Later entries win: globalEnvVars, then containerRunOptions (envFile, passed-through variables), then the test's own.</summary>
    private static List<string> Env(IEnumerable<EnvVar> globals, IEnumerable<KeyValuePair<string, string>> fromOptions, IEnumerable<EnvVar> test)
    {
        var merged = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var g in globals) merged[g.Key] = g.Value;
        foreach (var (key, value) in fromOptions) merged[key] = value;
        foreach (var e in test) merged[e.Key] = e.Value;
        return merged.Select(p => $"{p.Key}={p.Value}").ToList();
    }

    private static void Match(List<string> problems, IReadOnlyList<string> patterns, string text, bool expected, string stream)
    {
        foreach (var pattern in patterns)
        {
            var matched = GoRegex.IsMatch(pattern, text, out var error);
            if (error is not null) problems.Add(error);
            else if (matched != expected) problems.Add(expected ? $"{stream} does not match /{pattern}/" : $"{stream} matches excluded /{pattern}/");
        }
    }

    private static CheckResult Fail(StructureTestFile file, CommandTest test, string why) =>
        new(Path.GetFileName(file.Path), Suite, test.Name, false, why, InheritedFrom: file.InheritedFrom);

    private static string Trim(string text) => text.Length > 200 ? text[..200].Trim() + "…" : text.Trim();
}
