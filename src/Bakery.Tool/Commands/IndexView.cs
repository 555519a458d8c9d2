using Bakery.Core.Descriptors;
using Bakery.Core.Lifecycle;
using Bakery.Oci.Model;
using Bakery.Oci.Registry;
using Bakery.Tool.Output;

namespace Bakery.Tool.Commands;

/// <summary>bakery inspect of an image index: its platforms, each image's digest and size, and the lifecycle of the index and of each image.</summary>
internal static class IndexView
{
    public static async Task<int> ShowAsync(ImageReference reference, FetchedManifest fetched, ImageManifest index, BaseImageDescriptor? descriptor,
        RegistryClientOptions options, bool json, CancellationToken ct)
    {
        var lifecycle = new RegistryLifecycle(options);
        var now = DateTimeOffset.UtcNow;
        var history = await lifecycle.HistoryAsync(reference, ct);
        var subject = descriptor is null ? LifecycleSubject.Of(reference) : LifecycleSubject.Of(descriptor);
        var state = LifecycleJudge.Judge(subject, descriptor?.Lifecycle, history.LastOrDefault(), now, new LifecyclePolicy()).State;

        var platforms = new List<(OciDescriptor Entry, LifecycleState State, int Records)>();
        foreach (var entry in PlatformImages.Entries(index))
        {
            var image = reference with { Digest = entry.ParsedDigest };
            var own = await lifecycle.HistoryAsync(image, ct);
            // A record on the index applies to every platform, one on this image only to it: the more severe state stands.
            var judged = LifecycleJudge.Judge(LifecycleSubject.Of(image), descriptor?.Lifecycle, own.LastOrDefault(), now, new LifecyclePolicy()).State;
            platforms.Add((entry, judged > state ? judged : state, own.Count));
        }

        if (json)
        {
            ToolContext.WriteJson(new
            {
                image = reference.ToString(),
                mediaType = fetched.MediaType,
                platforms = platforms.Select(p => new
                {
                    platform = p.Entry.Platform!.ToString(),
                    digest = p.Entry.Digest,
                    mediaType = p.Entry.MediaType,
                    size = p.Entry.Size,
                    lifecycle = new { state = p.State, records = p.Records },
                }),
                lifecycle = new { state, history },
            });
            return ExitCodes.Ok;
        }
        Console.WriteLine($"{reference}");
        Console.WriteLine($"  media type  {fetched.MediaType} (an image index of {platforms.Count} platform(s))");
        Console.WriteLine($"  lifecycle   {state}{(history.Count > 0 ? $" ({history.Count} record(s) on the index)" : "")}");
        Console.WriteLine();
        Table.Write(["platform", "image", "size", "lifecycle"], platforms.Select(p => (IReadOnlyList<string>)
            [p.Entry.Platform!.ToString(), p.Entry.Digest, p.Entry.Size.ToString("N0"), p.Records > 0 ? $"{p.State} ({p.Records} record(s))" : p.State.ToString()]));
        Console.WriteLine();
        Console.WriteLine($"  bakery inspect {reference} --platform {platforms.FirstOrDefault().Entry?.Platform} shows one platform's image.");
        return ExitCodes.Ok;
    }
}
