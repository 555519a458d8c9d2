using System.CommandLine;
using Bakery.Core.Descriptors;
using Bakery.Core.Rebasing;
using Bakery.Core.Verification;
using Bakery.Tool.Output;

namespace Bakery.Tool.Commands;

/// <summary>
/// bakery rebase IMAGE --onto ID/VERSION|IMAGE@DIGEST: moves a baked image's own layers onto a new
/// base without building it again, through the bake's composer and gates; the result is the image a
/// rebuild on that base gives, digest for digest. Refusals name the reason and the rebuild to run.
/// </summary>
internal static class RebaseCommand
{
    public static Command Create()
    {
        var image = new Argument<string>("image") { Description = "The image to rebase: registry/repository:tag or registry/repository@sha256:…" };
        var onto = new Option<string>("--onto") { Description = "The new base: a base-image package Id/Version (or Id: its newest version in the folder feeds), or registry/repository@sha256:…", Required = true };
        var pushTo = new Option<string?>("--push") { Description = "Repository (registry/repository, or a repository on the image's registry) to push to; default: the image's own." };
        var buildId = new Option<string?>("--build-id") { Description = "The CI build id for the <version>-build.<id> tag (default: GITHUB_RUN_NUMBER, BUILD_BUILDID, CI_PIPELINE_IID or BUILD_NUMBER)." };
        var options = new RebaseOptions();
        var json = ToolContext.JsonOption();
        var command = new Command("rebase", "Move an image's own layers onto a fixed base without rebuilding it: same digest as a rebuild, the bake's gates, pushed by digest then tagged.")
            { image, onto, pushTo, buildId, json };
        options.AddTo(command);
        command.SetAction((result, ct) => ToolContext.RunAsync(async () =>
        {
            var log = new ConsoleLog(quiet: false, verbose: result.GetValue(options.Verbose));
            log.Detail($"Time: tool start {(DateTime.Now - System.Diagnostics.Process.GetCurrentProcess().StartTime).TotalMilliseconds:0} ms");
            var lookup = System.Diagnostics.Stopwatch.StartNew();
            var registryOptions = ToolContext.RegistryOptions();
            var packages = options.Packages(result);
            var newBase = await RebaseBase.ResolveAsync(result.GetValue(onto)!, packages, registryOptions, ct);
            log.Detail($"Time: new base found {lookup.Elapsed.TotalMilliseconds:0} ms");
            var request = options.Request(result, result.GetValue(image)!, newBase, packages) with
            {
                PushTo = result.GetValue(pushTo),
                BuildId = result.GetValue(buildId),
            };
            var rebased = await new ImageRebaser(registryOptions, log).RebaseAsync(request, ct);
            if (result.GetValue(json)) ToolContext.WriteJson(rebased);
            else Print(rebased);
            return ExitCodes.Ok;
        }));
        return command;
    }

    private static void Print(RebaseResult r)
    {
        if (r.Outcome == RebaseOutcome.UpToDate)
        {
            Console.WriteLine($"{r.Image}@{r.From} is already on {r.NewBase}: nothing to rebase.");
            return;
        }
        Console.WriteLine($"Rebased {r.Image}@{r.From}");
        Console.WriteLine($"  onto    {r.NewBase} (was {r.OldBase})");
        Console.WriteLine($"  image   {r.Target}@{r.Digest}");
        if (r.Tags.Count > 0) Console.WriteLine($"  tags    {string.Join(", ", r.Tags)}");
        if (r.Frameworks.Count > 0) Console.WriteLine($"  runtime {string.Join(", ", r.Frameworks)}");
        Console.WriteLine($"  layers  {r.OwnLayers} own layer(s) moved; {r.BlobsUploaded} blob(s) uploaded ({r.BlobBytesUploaded:N0} bytes), {r.BlobsMounted} mounted, {r.BlobsSkipped} already there; {r.ManifestBytesUploaded:N0} manifest bytes");
        if (r.Package is not null) Console.WriteLine($"  package {r.Package} ({r.PackageFile})");
        if (r.ReportPath is not null) Console.WriteLine($"  report  {r.ReportPath}");
        Console.WriteLine($"  in {r.Seconds:0.0} s");
    }
}

/// <summary>The options `bakery rebase` and `bakery remediate --rebase` share: where packages are found and written, the gates' settings, reports.</summary>
internal sealed class RebaseOptions
{
    public Option<string[]> Sources { get; } = new("--source") { Description = "Folder feeds with base-image packages (besides those nuget.config names and the package folder).", AllowMultipleArgumentsPerToken = true };
    public Option<string?> PackOutput { get; } = new("--pack-output") { Description = "Folder feed for the package of a rebased base image (default: the feed that holds its old package)." };
    public Option<string[]> Verify { get; } = new("--verify") { Description = "The image's own structure-test files (the new base's package brings its own).", AllowMultipleArgumentsPerToken = true };
    public Option<string?> Database { get; } = new("--database") { Description = "Advisory database (OSV zip or folder) for the vulnerability gate." };
    public Option<string?> FailOn { get; } = new("--fail-on") { Description = "Severity at which the vulnerability gate fails (the new base's package may require stricter)." };
    public Option<string?> Allowlist { get; } = new("--allowlist") { Description = "Vulnerability allowlist file." };
    public Option<string?> SecretAllowlist { get; } = new("--secret-allowlist") { Description = "Secret-scan allowlist file." };
    public Option<string?> AllowRoot { get; } = new("--allow-root") { Description = "Why the image may run as root (as BakeryAllowRootUser)." };
    public Option<string?> CommandTests { get; } = new("--command-tests") { Description = "auto (default), true or false: run the structure tests' command tests on the pushed image." };
    public Option<bool> AllowTagOverwrite { get; } = new("--allow-tag-overwrite") { Description = "Let a build tag that names another image be overwritten (BAKE407 otherwise); version tags move to the rebased image anyway." };
    public Option<string?> Reports { get; } = new("--report-directory") { Description = "Where the rebase reports and SBOMs go (default: ./bakery-rebase)." };
    public Option<bool> DryRun { get; } = new("--dry-run") { Description = "Check (layers and runtime included) and compose only: print the digest the rebase gives, push nothing." };
    public Option<bool> Verbose { get; } = new("--verbose", "-v") { Description = "Show every step, and how long each phase took." };

    public void AddTo(Command command)
    {
        foreach (var option in new Option[] { Sources, PackOutput, Verify, Database, FailOn, Allowlist, SecretAllowlist, AllowRoot, CommandTests, AllowTagOverwrite, Reports, DryRun, Verbose })
            command.Options.Add(option);
    }

    public PackageLocator Packages(ParseResult result) =>
        PackageLocator.For(Directory.GetCurrentDirectory(), result.GetValue(Sources) ?? [], Path.Combine(WorkDirectory, "packages"));

    /// <summary>Blobs, layer indexes and verified outcomes are kept between runs, as the bake keeps them.</summary>
    public static string WorkDirectory => Path.Combine(Path.GetTempPath(), "bakery-rebase-" + Environment.UserName);

    public RebaseRequest Request(ParseResult result, string image, RebaseBase onto, PackageLocator packages) => new()
    {
        Image = image,
        Onto = onto,
        Packages = packages,
        PackOutput = result.GetValue(PackOutput) is { Length: > 0 } output ? Path.GetFullPath(output) : null,
        Gates = new GateOptions
        {
            VerifyFiles = result.GetValue(Verify) ?? [],
            AdvisoryDatabase = result.GetValue(Database),
            FailOnSeverity = result.GetValue(FailOn),
            VulnerabilityAllowlist = result.GetValue(Allowlist),
            SecretAllowlist = result.GetValue(SecretAllowlist),
            AllowRootUser = result.GetValue(AllowRoot),
            RunCommandTests = result.GetValue(CommandTests),
        },
        AllowTagOverwrite = result.GetValue(AllowTagOverwrite),
        ReportDirectory = Path.GetFullPath(result.GetValue(Reports) ?? "bakery-rebase"),
        WorkDirectory = WorkDirectory,
        DryRun = result.GetValue(DryRun),
    };
}
