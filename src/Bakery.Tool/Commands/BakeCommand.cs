using System.CommandLine;
using Bakery.Core;
using Bakery.Core.Baking;
using Bakery.Core.Lifecycle;
using Bakery.Core.Reports;

using Bakery.Tool.Output;

namespace Bakery.Tool.Commands;

/// <summary>
/// bakery bake [PROJECT|PLAN]: bakes a base-image project again from the plan its last
/// `dotnet publish -p:BakeImage=true` wrote, without MSBuild. The lifecycle of the base and its
/// ancestors is judged now, the build id comes from --build-id or the CI environment, and a plan
/// whose project, imports, restore output or commit changed is refused (BAKE506).
/// </summary>
internal static class BakeCommand
{
    public static Command Create()
    {
        var target = new Argument<string>("project")
        {
            Description = "A base-image project (its folder or project file) baked before, or its bake-plan.json.",
            DefaultValueFactory = _ => ".",
        };
        var buildId = new Option<string?>("--build-id") { Description = "The CI build id for the <version>-build.<id> tag (default: GITHUB_RUN_NUMBER, BUILD_BUILDID, CI_PIPELINE_IID or BUILD_NUMBER)." };
        var verbose = new Option<bool>("--verbose", "-v") { Description = "Show every step (layers reused, blobs already in the registry)." };
        var json = ToolContext.JsonOption();
        var command = new Command("bake", "Bake a base-image project again from its bake plan, without MSBuild (nightly rebakes, a separate push stage).") { target, buildId, verbose, json };
        command.SetAction((result, ct) => ToolContext.RunAsync(async () =>
        {
            var planPath = FindPlan(result.GetValue(target)!);
            var plan = BakePlan.Load(planPath);
            if (plan.WhyStale() is { } reason) throw Messages.BAKE506(planPath, reason, plan.Inputs.ProjectFile).Exception();

            var log = new ConsoleLog(quiet: false, verbose: result.GetValue(verbose));
            var inputs = plan.Inputs with { BuildId = result.GetValue(buildId) };
            var prepared = BakeRequestFactory.Create(inputs, Environment.GetEnvironmentVariable);
            foreach (var diagnostic in prepared.Diagnostics) Report(diagnostic);
            var request = prepared.Request;

            // The project's insecure registries, and the tool's own (BAKERY_INSECURE_REGISTRIES), for both the lifecycle check and the bake.
            var insecure = $"{inputs.InsecureRegistries};{Environment.GetEnvironmentVariable("BAKERY_INSECURE_REGISTRIES")}";
            var check = BaseImageLifecycleCheck.FromProperties(inputs.DeprecatedBaseImage, inputs.ExpiryWarningDays, inputs.CheckRegistryLifecycle, inputs.Offline);
            var lifecycle = await check.JudgeAsync(request.BaseImage, request.Now, BaseImageLifecycleCheck.RegistryOptions(insecure), ct,
                request.Platforms?.Select(p => p.Platform).ToList());
            foreach (var diagnostic in lifecycle.Diagnostics) Report(diagnostic);
            if (lifecycle.Diagnostics.FirstOrDefault(d => d.IsError) is { } blocking)
                throw new ToolException(ExitCodes.NotInGoodStanding, $"{blocking.Code}: nothing was baked.");
            if (inputs.CheckRegistryLifecycle)
            {
                var trustCheck = new Core.Trust.BaseImageTrustCheck
                {
                    Offline = inputs.Offline,
                    ProjectRules = BakeRequestFactory.TrustedKeyRules(inputs.TrustedSigningKeys, request.BaseImage, Path.GetFileNameWithoutExtension(inputs.ProjectFile)),
                };
                var trust = await trustCheck.CheckAsync(request.BaseImage, BaseImageLifecycleCheck.RegistryOptions(insecure), ct);
                foreach (var diagnostic in trust.Diagnostics) Report(diagnostic);
                if (trust.Diagnostics.FirstOrDefault(d => d.IsError) is { } untrusted)
                    throw new ToolException(ExitCodes.NotInGoodStanding, $"{untrusted.Code}: nothing was baked.");
            }

            var options = new Oci.Registry.RegistryClientOptions
            {
                InsecureRegistries = Oci.Registry.RegistryClientOptions.ParseList(insecure),
                RequestTimeout = PropertyValues.RegistryTimeout(inputs.RegistryTimeout ?? Environment.GetEnvironmentVariable("BAKERY_REGISTRY_TIMEOUT")),
                Log = log.Info,
                Detail = log.Detail,
                Progress = Oci.Registry.RegistryProgress.Lines(log.Info),
            };
            var (baked, reportPath) = await new ImageBaker(options, log).BakeAndReportAsync(request, lifecycle.State, inputs.ReportDirectory, ct);
            if (result.GetValue(json))
                ToolContext.WriteJson(new { plan = planPath, image = baked.Image, digest = baked.Digest, tags = baked.Tags, push = baked.Push, report = reportPath,
                    platforms = baked.Platforms.Select(p => new { platform = p.Platform.ToString(), digest = p.Digest, push = p.Push }) });
            else foreach (var line in BakeReportWriter.Summary(baked, reportPath)) Console.WriteLine(line);
            return ExitCodes.Ok;
        }));
        return command;
    }

    /// <summary>The plan file itself, or the newest plan under a project's obj folder (any configuration).</summary>
    internal static string FindPlan(string argument)
    {
        var full = Path.GetFullPath(argument);
        if (File.Exists(full) && full.EndsWith(".json", StringComparison.OrdinalIgnoreCase)) return full;
        var projectDirectory = File.Exists(full) ? Path.GetDirectoryName(full)! : full;
        if (!Directory.Exists(projectDirectory))
            throw new ToolException(ExitCodes.BadInput, $"'{argument}' is neither a project, a project folder nor a bake plan.");
        // obj/<configuration>/<framework>/bakery/bake-plan.json, or obj/<configuration>/bakery/… without a framework folder.
        var obj = Path.Combine(projectDirectory, "obj");
        var plans = (Directory.Exists(obj) ? Directory.EnumerateDirectories(obj) : [])
            .SelectMany(configuration => Directory.EnumerateDirectories(configuration).Prepend(configuration))
            .Select(folder => new FileInfo(Path.Combine(folder, "bakery", BakePlan.FileName)))
            .Where(f => f.Exists).OrderByDescending(f => f.LastWriteTimeUtc).ToList();
        return plans.Count > 0
            ? plans[0].FullName
            : throw Messages.BAKE506(Path.Combine(obj, "…", BakePlan.FileName), "there is none: a base-image project writes its plan when 'dotnet publish -p:BakeImage=true' bakes it (app images are baked by dotnet publish only).", projectDirectory).Exception();
    }

    private static void Report(BakeryDiagnostic diagnostic) =>
        Console.Error.WriteLine($"{(diagnostic.IsError ? "error" : "warning")} {diagnostic.Code}: {diagnostic.Message}");
}
