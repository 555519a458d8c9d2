using System.CommandLine;
using System.Text.Json;
using System.Text.Json.Serialization;
using Bakery.Core;
using Bakery.Core.Descriptors;
using Bakery.Oci.Model;
using Bakery.Oci.Registry;
using NuGet.Versioning;

namespace Bakery.Tool.Commands;

/// <summary>Exit codes: 0 done, 1 the input was wrong, 2 a registry could not be used, 3 the image is not in good standing, 4/5 a fleet rebase left images to rebuild / failed some.</summary>
internal static class ExitCodes
{
    public const int Ok = 0;
    public const int BadInput = 1;
    public const int RegistryError = 2;
    public const int NotInGoodStanding = 3;
    /// <summary>bakery remediate --rebase: some images need a rebuild (a rebase was refused); the others were rebased.</summary>
    public const int NeedsRebuild = 4;
    /// <summary>bakery remediate --rebase: some rebases failed (a gate or the registry); the others were done.</summary>
    public const int RebaseFailed = 5;
}

/// <summary>What every command shares: resolving an image argument, the registry options, output and errors.</summary>
internal static class ToolContext
{
    public static readonly JsonSerializerOptions Json = new()
    {
        WriteIndented = true,
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
        Converters = { new JsonStringEnumConverter(JsonNamingPolicy.CamelCase) },
        // Messages stay readable ('it's', <PackageReference>) in JSON that people also read; it is never embedded in HTML.
        Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
        // The rebase's result is source-generated (a fleet runs one rebase per image); other commands' results by reflection.
        TypeInfoResolver = System.Text.Json.Serialization.Metadata.JsonTypeInfoResolver.Combine(ToolJson.Default, new System.Text.Json.Serialization.Metadata.DefaultJsonTypeInfoResolver()),
    };

    public static Option<bool> JsonOption() => new("--json") { Description = "Write JSON for machines instead of tables." };

    public static RegistryClientOptions RegistryOptions() => new()
    {
        InsecureRegistries = RegistryClientOptions.ParseList(Environment.GetEnvironmentVariable("BAKERY_INSECURE_REGISTRIES")),
        RequestTimeout = PropertyValues.RegistryTimeout(Environment.GetEnvironmentVariable("BAKERY_REGISTRY_TIMEOUT")),
        // Progress of long transfers goes to stderr: stdout may carry --json.
        Progress = RegistryProgress.Lines(Console.Error.WriteLine),
    };

    /// <summary>
    /// An image argument: registry/repository@sha256:…, registry/repository:tag (resolved to its
    /// digest), or PackageId/Version of a restored base-image package.
    /// </summary>
    public static async Task<(ImageReference Image, BaseImageDescriptor? Descriptor)> ResolveAsync(string argument, CancellationToken ct)
    {
        var slash = argument.LastIndexOf('/');
        if (!argument.Contains('@') && !argument.Contains(':') && slash > 0 && NuGetVersion.TryParse(argument[(slash + 1)..], out _))
        {
            var descriptor = FindPackageDescriptor(argument[..slash], argument[(slash + 1)..]);
            return (ImageReference.Parse(descriptor.PinnedReference), descriptor);
        }
        if (!ImageReference.TryParse(argument, out var reference, out var error))
            throw new ToolException(ExitCodes.BadInput, $"'{argument}' is neither an image (registry/repository@sha256:…) nor a package (Id/Version): {error}");
        if (reference!.IsPinned) return (reference, null);
        using var client = new RegistryClient(reference.Registry, RegistryOptions());
        var manifest = await client.GetManifestAsync(reference.Repository, reference.Reference, ct);
        return (reference with { Tag = null, Digest = manifest.Digest }, null);
    }

    private static BaseImageDescriptor FindPackageDescriptor(string id, string version)
    {
        var packages = Environment.GetEnvironmentVariable("NUGET_PACKAGES") is { Length: > 0 } p
            ? p : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".nuget", "packages");
        var path = PackageLayout.RestoredDescriptor(packages, id, NuGetVersion.Parse(version).ToNormalizedString());
        if (!File.Exists(path))
            throw new ToolException(ExitCodes.BadInput, $"Base-image package {id} {version} is not in the package folder {packages}. Restore a project that references it, or name the image instead.");
        return DescriptorReader.Load(path, $"{id} {version}");
    }

    /// <summary>Runs a command body and maps failures to messages and exit codes.</summary>
    public static async Task<int> RunAsync(Func<Task<int>> body)
    {
        try
        {
            return await body();
        }
        catch (ToolException e)
        {
            await Console.Error.WriteLineAsync("bakery: " + e.Message);
            return e.ExitCode;
        }
        catch (BakeryException e)
        {
            await Console.Error.WriteLineAsync($"bakery: {e.Code}: {e.Message}");
            return ExitCodes.BadInput;
        }
        catch (RegistryException e)
        {
            await Console.Error.WriteLineAsync("bakery: " + e.Message);
            return ExitCodes.RegistryError;
        }
        catch (OperationCanceledException)
        {
            await Console.Error.WriteLineAsync("bakery: cancelled.");
            return ExitCodes.BadInput;
        }
        catch (Exception e)
        {
            // The last resort: whatever escaped is still one line with a code, never a stack trace.
            var error = BakeryErrors.From(e);
            await Console.Error.WriteLineAsync($"bakery: {error.Code}: {error.Message}");
            return ExitCodes.BadInput;
        }
    }

    public static void WriteJson<T>(T value) => Console.WriteLine(JsonSerializer.Serialize(value, Json));
}

internal sealed class ToolException(int exitCode, string message) : Exception(message)
{
    public int ExitCode { get; } = exitCode;
}

[JsonSerializable(typeof(Bakery.Core.Rebasing.RebaseResult))]
internal sealed partial class ToolJson : JsonSerializerContext;
