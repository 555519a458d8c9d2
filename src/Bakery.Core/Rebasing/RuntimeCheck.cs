using Bakery.Core.Verification;
using Bakery.Oci.Layers;
using NuGet.Versioning;

namespace Bakery.Core.Rebasing;

/// <summary>A framework the app runs on, before and after the rebase.</summary>
internal sealed record FrameworkMove(string Name, string? From, string To, string File)
{
    public override string ToString() => From is null || From == To ? $"{Name} {To}" : $"{Name} {From} → {To}";
}

/// <summary>
/// The app's frameworks on the new base: every <c>*.runtimeconfig.json</c> in the image's own layers
/// must resolve on the new base's shared runtimes when it resolved on the old one (BAKE605), to the same major and minor version it
/// resolved to on the old base (BAKE606): a rebase brings runtime patches, not another runtime. The
/// frameworks a shared framework itself names (ASP.NET Core on Microsoft.NETCore.App) are checked too.
/// </summary>
internal static class RuntimeCheck
{
    private const string DefaultDotnetRoot = "usr/share/dotnet";

    /// <param name="oldBase">The old base's merged view, loaded only when the image names a framework.</param>
    public static IReadOnlyList<FrameworkMove> Check(string image, string onto, ImageFilesystem newImage, int ownFrom,
        Func<ImageFilesystem> oldBase, IReadOnlyDictionary<string, string> newEnvironment, IReadOnlyDictionary<string, string> oldEnvironment)
    {
        var moves = new List<FrameworkMove>();
        ImageFilesystem? old = null;
        var configs = newImage.Nodes.Where(n => n.Layer >= ownFrom && n.Type == LayerEntryType.File && n.Path.EndsWith(".runtimeconfig.json", StringComparison.Ordinal)).ToList();
        foreach (var node in configs)
        {
            var bytes = newImage.ReadFile(node, 1 << 20);
            if (bytes is null) continue;
            var file = "/" + node.Path;
            var references = RuntimeFrameworks.Read(System.Text.Encoding.UTF8.GetString(bytes), file, newEnvironment.GetValueOrDefault("DOTNET_ROLL_FORWARD"));
            foreach (var reference in references)
                Follow(reference, 0);

            void Follow(FrameworkReference reference, int depth)
            {
                var newRoot = DotnetRoot(newEnvironment);
                var installed = Installed(newImage, newRoot, reference.Name);
                var resolved = RuntimeFrameworks.Resolve(reference, installed);
                var before = RuntimeFrameworks.Resolve(reference, Installed(old ??= oldBase(), DotnetRoot(oldEnvironment), reference.Name));
                // A framework the old base did not provide either (the runtime comes from elsewhere, or the image never ran there) is not the rebase's to judge.
                if (resolved is null && before is null) return;
                if (resolved is null)
                    throw Messages.BAKE605(image, onto, reference.Name, reference.Version, reference.RollForward, file,
                        installed.Count == 0 ? $"no {reference.Name} in /{newRoot}/shared" : $"{reference.Name} {string.Join(", ", installed.Order().Select(v => v.ToNormalizedString()))}").Exception();
                if (before is not null && (before.Major != resolved.Major || before.Minor != resolved.Minor))
                    throw Messages.BAKE606(image, onto, reference.Name, before.ToNormalizedString(), resolved.ToNormalizedString(), file).Exception();
                if (moves.All(m => m.Name != reference.Name || m.To != resolved.ToNormalizedString()))
                    moves.Add(new FrameworkMove(reference.Name, before?.ToNormalizedString(), resolved.ToNormalizedString(), file));
                if (depth >= 4) return;
                // A shared framework names the frameworks it runs on in its own runtimeconfig.json.
                var own = $"{newRoot}/shared/{reference.Name}/{resolved.ToNormalizedString()}/{reference.Name}.runtimeconfig.json";
                if (newImage.Resolve(own) is { Type: LayerEntryType.File } fxNode && newImage.ReadFile(fxNode, 1 << 20) is { } fxBytes)
                    foreach (var inner in RuntimeFrameworks.Read(System.Text.Encoding.UTF8.GetString(fxBytes), "/" + own, newEnvironment.GetValueOrDefault("DOTNET_ROLL_FORWARD")))
                        Follow(inner with { File = file }, depth + 1);
            }
        }
        return moves;
    }

    /// <summary>Where the image's dotnet is: DOTNET_ROOT, else the Debian and Microsoft images' /usr/share/dotnet.</summary>
    private static string DotnetRoot(IReadOnlyDictionary<string, string> environment) =>
        environment.TryGetValue("DOTNET_ROOT", out var root) && root.Trim('/').Length > 0 ? root.Trim('/') : DefaultDotnetRoot;

    private static List<NuGetVersion> Installed(ImageFilesystem fs, string root, string framework) =>
        fs.ChildrenOf($"{root}/shared/{framework}")
            .Where(path => fs.Resolve(path) is { Type: LayerEntryType.Directory })
            .Select(path => NuGetVersion.TryParse(path[(path.LastIndexOf('/') + 1)..], out var v) ? v : null)
            .OfType<NuGetVersion>().ToList();
}
