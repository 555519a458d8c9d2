using System.CommandLine;
using Bakery.Core.Baking.Destinations;
using Bakery.Tool.Output;

namespace Bakery.Tool.Commands;

/// <summary>
/// bakery push ARCHIVE [registry/repository]: pushes an image archive a bake wrote
/// (ContainerArchiveOutputPath), after `bakery verify` and `bakery scan` checked it: digest-checked,
/// blobs then manifest by digest, then the tags, which follow the bake's policy.
/// </summary>
internal static class PushCommand
{
    public static Command Create()
    {
        var archive = new Argument<string>("archive") { Description = "A docker-archive or OCI-layout tar (plain or gzip), as a bake with ContainerArchiveOutputPath writes it." };
        var target = new Argument<string?>("target")
        {
            Description = "registry/repository to push to, or a registry (the repository the archive names). Default: the name in the archive, if it has a registry.",
            Arity = ArgumentArity.ZeroOrOne,
        };
        var tags = new Option<string[]>("--tag") { Description = "Push under these tags instead of the archive's (repeat it).", AllowMultipleArgumentsPerToken = true };
        var allowLatest = new Option<bool>("--allow-latest") { Description = "Allow the 'latest' tag (BakeryAllowLatestTag)." };
        var allowOverwrite = new Option<bool>("--allow-tag-overwrite") { Description = "Let a build tag move to this image (BakeryAllowTagOverwrite)." };
        var verbose = new Option<bool>("--verbose", "-v") { Description = "Show every blob (already there, mounted)." };
        var json = ToolContext.JsonOption();
        var command = new Command("push", "Push an image archive (docker-archive or OCI layout) to a registry: the push stage after bake to archive, verify and scan.")
            { archive, target, tags, allowLatest, allowOverwrite, verbose, json };
        command.SetAction((result, ct) => ToolContext.RunAsync(async () =>
        {
            var log = new ConsoleLog(quiet: false, verbose: result.GetValue(verbose));
            var options = ToolContext.RegistryOptions() with { Log = log.Info, Detail = log.Detail };
            var request = new ArchivePushRequest(result.GetValue(archive)!, result.GetValue(target), result.GetValue(tags) ?? [],
                result.GetValue(allowLatest), result.GetValue(allowOverwrite), Path.GetTempPath());
            var pushed = await new ArchivePusher(options, log).PushAsync(request, ct);
            if (result.GetValue(json)) ToolContext.WriteJson(pushed);
            else
            {
                Console.WriteLine($"Pushed {pushed.Image}@{pushed.Digest} ({pushed.Format})");
                Console.WriteLine($"  tags     {string.Join(", ", pushed.Tags)}");
                foreach (var moved in pushed.MovedTags) Console.WriteLine($"  moved    {moved.Tag} (was {moved.From})");
                Console.WriteLine($"  pushed   {pushed.Push.BlobsUploaded} blob(s), {Core.Reports.BakeReportWriter.FormatBytes(pushed.Push.BytesUploaded)}; {pushed.Push.BlobsMounted} mounted; {pushed.Push.BlobsSkipped} already there");
            }
            return ExitCodes.Ok;
        }));
        return command;
    }
}
