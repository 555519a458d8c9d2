using System.CommandLine;
using System.Globalization;
using Bakery.Core.Baking;
using Bakery.Core.Reports;
using Bakery.Oci.Model;
using Bakery.Oci.Registry;

using Bakery.Tool.Output;

namespace Bakery.Tool.Commands;

/// <summary>bakery upstream compare IMAGE…: upstream candidates side by side, with the validation a bake applies.</summary>
internal static class UpstreamCommands
{
    public static Command Create()
    {
        var images = new Argument<string[]>("images") { Description = "Upstream candidates (registry/repository:tag or @digest).", Arity = ArgumentArity.OneOrMore };
        var json = ToolContext.JsonOption();
        var compare = new Command("compare", "Compare upstream candidates: size, layers, created date, history, labels, and whether a bake would accept them.") { images, json };
        compare.SetAction((result, ct) => ToolContext.RunAsync(async () =>
        {
            var facts = new List<UpstreamFacts>();
            foreach (var argument in result.GetValue(images)!)
            {
                var (reference, _) = await ToolContext.ResolveAsync(argument, ct);
                using var client = new RegistryClient(reference.Registry, ToolContext.RegistryOptions());
                var image = await client.GetImageAsync(reference.Repository, reference.Digest!.ToString()!, ct: ct);
                facts.Add(UpstreamValidator.Inspect(reference.ToString(), image.ParsedManifest, ImageConfig.Parse(image.Config)));
            }
            if (result.GetValue(json)) ToolContext.WriteJson(facts);
            else
            {
                Table.Write(["image", "platform", "compressed", "layers", "created", "history", "labels", "accepted"], facts.Select(f => (IReadOnlyList<string>)
                [
                    f.Reference, f.Platform?.ToString() ?? "?", BakeReportWriter.FormatBytes(f.CompressedSize), f.LayerCount.ToString(CultureInfo.InvariantCulture),
                    f.Created ?? "(none)", f.HistoryLength.ToString(CultureInfo.InvariantCulture), f.Labels.Count.ToString(CultureInfo.InvariantCulture),
                    f.IsValid ? "yes" : "no: " + string.Join("; ", f.Problems),
                ]));
            }
            return facts.All(f => f.IsValid) ? ExitCodes.Ok : ExitCodes.NotInGoodStanding;
        }));
        var command = new Command("upstream", "Work with upstream images a global bakery starts from.");
        command.Subcommands.Add(compare);
        return command;
    }
}
