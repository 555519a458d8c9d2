using System.CommandLine;
using Bakery.Core.Descriptors;
using Bakery.Core.Lifecycle;
using Bakery.Oci.Model;
using Bakery.Oci.Registry;

using Bakery.Tool.Output;

namespace Bakery.Tool.Commands;

/// <summary>bakery inspect IMAGE: manifest, config, layers, labels, lineage and lifecycle of an image.</summary>
internal static class InspectCommand
{
    public static Command Create()
    {
        var image = new Argument<string>("image") { Description = "registry/repository@sha256:…, registry/repository:tag, or PackageId/Version." };
        var platform = PlatformImages.Option();
        platform.Description = "For an image index: show the image of this platform (linux/arm64) instead of the index's platforms.";
        var json = ToolContext.JsonOption();
        var command = new Command("inspect", "Show an image's manifest, configuration, layers, labels, lineage and lifecycle; an index's platforms.") { image, platform, json };
        command.SetAction((result, ct) => ToolContext.RunAsync(async () =>
        {
            var (reference, descriptor) = await ToolContext.ResolveAsync(result.GetValue(image)!, ct);
            var options = ToolContext.RegistryOptions();
            using var client = new RegistryClient(reference.Registry, options);
            var fetched = await client.GetManifestAsync(reference.Repository, reference.Digest!.ToString()!, ct);
            var manifest = fetched.Parse();
            var wanted = PlatformImages.Parse(result.GetValue(platform));
            if (manifest.Config is null && manifest.Manifests is not null)
            {
                if (wanted is null) return await IndexView.ShowAsync(reference, fetched, manifest, descriptor, options, result.GetValue(json), ct);
                var entry = PlatformImages.Entries(manifest).FirstOrDefault(m => m.Platform!.Matches(wanted) && m.Platform.Variant == wanted.Variant)
                    ?? PlatformImages.Entries(manifest).FirstOrDefault(m => m.Platform!.Matches(wanted))
                    ?? throw Core.Messages.BAKE344(reference, wanted, string.Join(", ", PlatformImages.Entries(manifest).Select(m => m.Platform))).Exception();
                reference = reference with { Digest = entry.ParsedDigest };
                fetched = await client.GetManifestAsync(reference.Repository, entry.Digest, ct);
                manifest = fetched.Parse();
            }
            if (manifest.Config is null)
                throw new ToolException(ExitCodes.BadInput, $"{reference} is a {fetched.MediaType}, not an image manifest; inspect one of its images.");
            var config = ImageConfig.Parse(await client.GetBlobAsync(reference.Repository, manifest.Config.ParsedDigest, ct));
            PlatformImages.EnsureIs(reference.ToString(), config.Platform, wanted);
            var lineage = LineageLabel.Read(config.Labels);
            var history = await new RegistryLifecycle(options).HistoryAsync(reference, ct);
            var subject = descriptor is null ? LifecycleSubject.Of(reference) : LifecycleSubject.Of(descriptor);
            var state = LifecycleJudge.Judge(subject, descriptor?.Lifecycle, history.LastOrDefault(), DateTimeOffset.UtcNow, new LifecyclePolicy()).State;

            if (result.GetValue(json))
            {
                ToolContext.WriteJson(new
                {
                    image = reference.ToString(),
                    mediaType = fetched.MediaType,
                    platform = $"{config.Os}/{config.Architecture}",
                    user = config.User,
                    workingDirectory = config.WorkingDir,
                    entrypoint = config.Entrypoint,
                    cmd = config.Cmd,
                    environment = config.Environment,
                    layers = manifest.Layers,
                    labels = config.Labels,
                    lineage,
                    lifecycle = new { state, history },
                });
                return ExitCodes.Ok;
            }
            Console.WriteLine($"{reference}");
            Console.WriteLine($"  media type  {fetched.MediaType}");
            Console.WriteLine($"  platform    {config.Os}/{config.Architecture}");
            Console.WriteLine($"  user        {config.User}");
            Console.WriteLine($"  workdir     {config.WorkingDir}");
            Console.WriteLine($"  entrypoint  {string.Join(' ', config.Entrypoint)} {string.Join(' ', config.Cmd)}");
            Console.WriteLine($"  lifecycle   {state}{(history.Count > 0 ? $" ({history.Count} record(s))" : "")}");
            Console.WriteLine();
            Table.Write(["#", "layer", "size"], (manifest.Layers ?? []).Select((l, i) => (IReadOnlyList<string>)[(i + 1).ToString(), l.Digest, l.Size.ToString("N0")]));
            Console.WriteLine();
            Table.Write(["label", "value"], config.Labels.Where(l => l.Key != LineageLabel.Name).OrderBy(l => l.Key, StringComparer.Ordinal)
                .Select(l => (IReadOnlyList<string>)[l.Key, l.Value]));
            if (lineage.Count > 0)
            {
                Console.WriteLine();
                Table.Write(["ancestor (nearest first)", "package"], lineage.Select(a => (IReadOnlyList<string>)[$"{a.Repository}@{a.Digest}", a.PackageId is null ? "(upstream)" : $"{a.PackageId} {a.PackageVersion}"]));
            }
            return ExitCodes.Ok;
        }));
        return command;
    }
}
