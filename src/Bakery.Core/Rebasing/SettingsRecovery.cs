using Bakery.Core.Baking;
using Bakery.Oci.Model;

namespace Bakery.Core.Rebasing;

/// <summary>
/// The settings a bake applied to its base, read back from the image's config compared with its
/// base's: what the image has that its base has not (or has otherwise) is the project's. Composing
/// these settings on the old base gives back the image byte for byte (the rebase checks that,
/// BAKE611); composing them on the new base gives what a rebuild gives. A value equal to the
/// base's is taken as inherited, so it follows the new base, as it does in a rebuild of a project
/// that did not set it.
/// </summary>
internal static class SettingsRecovery
{
    private const string VersionLabel = "org.opencontainers.image.version";

    /// <param name="isApp">An app's bake always sets the working directory (the SDK defaults it to /app/); a base image's sets it only when its project does.</param>
    public static ImageSettings Recover(ImageConfig image, ImageConfig oldBase, bool isApp)
    {
        var baseEnv = oldBase.Environment;
        var environment = EnvironmentList(image)
            .Where(e => !baseEnv.TryGetValue(e.Key, out var inherited) || inherited != e.Value)
            .ToList();
        var basePorts = oldBase.ExposedPorts.ToHashSet(StringComparer.Ordinal);
        var baseLabels = oldBase.Labels;
        var labels = image.Labels
            .Where(l => !ImageComposer.BakeryLabels.Contains(l.Key) && l.Key != VersionLabel)
            .Where(l => !baseLabels.TryGetValue(l.Key, out var inherited) || inherited != l.Value)
            .OrderBy(l => l.Key, StringComparer.Ordinal)
            .ToList();

        var container = new ContainerSettings
        {
            User = image.User == oldBase.User ? null : image.User,
            WorkingDirectory = isApp || image.WorkingDir != oldBase.WorkingDir ? image.WorkingDir : null,
            Environment = environment,
            Ports = image.ExposedPorts.Where(p => !basePorts.Contains(p)).ToList(),
            Labels = labels,
        };
        container = WithCommand(container, image.Entrypoint, image.Cmd);
        var created = DateTimeOffset.TryParse(image.Created, System.Globalization.CultureInfo.InvariantCulture,
            System.Globalization.DateTimeStyles.AssumeUniversal, out var at) ? at : DateTimeOffset.UnixEpoch;
        return new ImageSettings(container, created, image.Labels.GetValueOrDefault(VersionLabel), null, null);
    }

    /// <summary>
    /// Settings that make <see cref="EntrypointResolver"/> give back this Entrypoint and Cmd on a base
    /// with the old base's Entrypoint and Cmd (the rebase refuses a base that changes them, BAKE608).
    /// </summary>
    private static ContainerSettings WithCommand(ContainerSettings c, IReadOnlyList<string> entrypoint, IReadOnlyList<string> cmd)
    {
        if (entrypoint.Count > 0) return c with { Entrypoint = entrypoint, EntrypointArgs = cmd };
        // No entrypoint after a bake means the base had none either; "None" keeps that and sets Cmd.
        if (cmd.Count > 0) return c with { AppCommandInstruction = "None", DefaultArgs = cmd };
        return c with { AppCommandInstruction = "Entrypoint" };
    }

    /// <summary>
    /// What on the new base would make the recovered settings apply otherwise than the project's own
    /// do in a rebuild (BAKE608); null when nothing does.
    /// </summary>
    public static string? Conflict(ImageConfig oldBase, ImageConfig newBase, ImageSettings settings)
    {
        if (!oldBase.Entrypoint.SequenceEqual(newBase.Entrypoint, StringComparer.Ordinal))
            return $"its Entrypoint ({Show(oldBase.Entrypoint)} to {Show(newBase.Entrypoint)})";
        if (!oldBase.Cmd.SequenceEqual(newBase.Cmd, StringComparer.Ordinal))
            return $"its Cmd ({Show(oldBase.Cmd)} to {Show(newBase.Cmd)})";
        // A variable the image overrode in place is appended when the new base no longer has it; where a
        // rebuild appends it among the project's others depends on the project's order, unknown here.
        var oldEnv = oldBase.Environment;
        var newEnv = newBase.Environment;
        var dropped = settings.Container.Environment.Where(e => oldEnv.ContainsKey(e.Key) && !newEnv.ContainsKey(e.Key)).Select(e => e.Key).ToList();
        var appended = settings.Container.Environment.Count(e => !newEnv.ContainsKey(e.Key));
        if (dropped.Count > 0 && appended > 1)
            return $"its environment: it drops {string.Join(", ", dropped)}, which the image sets";
        return null;
    }

    private static List<KeyValuePair<string, string>> EnvironmentList(ImageConfig config)
    {
        var seen = new HashSet<string>(StringComparer.Ordinal);
        var all = config.Environment;
        return config.EnvironmentNames.Where(seen.Add).Select(n => new KeyValuePair<string, string>(n, all[n])).ToList();
    }

    private static string Show(IReadOnlyList<string> values) => values.Count == 0 ? "none" : "[" + string.Join(", ", values) + "]";
}
