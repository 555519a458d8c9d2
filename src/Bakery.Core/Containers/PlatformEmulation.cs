using Bakery.Oci.Model;

namespace Bakery.Core.Containers;

/// <summary>
/// Whether a container engine can run an image of another architecture: through QEMU user-mode
/// emulation registered with the kernel's binfmt_misc (Debian's qemu-user-static and binfmt-support,
/// or tonistiigi/binfmt). For an engine on this machine (a unix socket) the handler is looked up in
/// /proc/sys/fs/binfmt_misc; a remote engine's kernel cannot be seen from here, so it is trusted and a
/// container that fails with "exec format error" says the rest.
/// </summary>
public static class PlatformEmulation
{
    public const string BinfmtFolder = "/proc/sys/fs/binfmt_misc";

    /// <summary>Null when the engine can run <paramref name="target"/> (natively or emulated), else why not.</summary>
    public static string? Problem(Platform target, Platform? engine, ContainerEndpoint endpoint, string binfmtFolder = BinfmtFolder)
    {
        if (engine is null || RunsNatively(engine, target)) return null;
        if (endpoint.Uri.Scheme != "unix" || !OperatingSystem.IsLinux()) return null;
        if (QemuName(target.Architecture) is not { } qemu) return $"no emulator is known for the architecture '{target.Architecture}'";
        if (!File.Exists(Path.Combine(binfmtFolder, "status")))
            return $"binfmt_misc is not mounted at {binfmtFolder} (mount -t binfmt_misc binfmt_misc {binfmtFolder})";
        if (File.Exists(Path.Combine(binfmtFolder, "status")) && File.ReadAllText(Path.Combine(binfmtFolder, "status")).Trim() == "disabled")
            return "binfmt_misc is disabled (echo 1 > /proc/sys/fs/binfmt_misc/status)";
        var handler = Directory.EnumerateFiles(binfmtFolder).FirstOrDefault(f => Path.GetFileName(f) is var name && (name == $"qemu-{qemu}" || name == $"qemu-{qemu}-static"));
        if (handler is null) return $"no binfmt_misc handler for {qemu} is registered (there is no {binfmtFolder}/qemu-{qemu})";
        var text = File.ReadAllText(handler);
        if (!text.StartsWith("enabled", StringComparison.Ordinal)) return $"the binfmt_misc handler {handler} is disabled";
        // Without the F flag the interpreter is looked up inside the container's filesystem, where it is not.
        var flags = text.Split('\n').FirstOrDefault(l => l.StartsWith("flags:", StringComparison.Ordinal))?[6..].Trim() ?? "";
        if (!flags.Contains('F')) return $"the binfmt_misc handler {handler} lacks the F (fix binary) flag, so containers cannot use its interpreter; install qemu-user-static, which registers it with F";
        return null;
    }

    /// <summary>Same architecture, or one the engine's CPU runs itself (386 on amd64, 32-bit arm on arm64).</summary>
    public static bool RunsNatively(Platform engine, Platform target)
    {
        var host = Normalize(engine.Architecture);
        var wanted = Normalize(target.Architecture);
        return host == wanted || (host, wanted) is ("amd64", "386") or ("arm64", "arm");
    }

    /// <summary>QEMU's name for an OCI architecture, as binfmt handlers are named (qemu-aarch64).</summary>
    public static string? QemuName(string architecture) => Normalize(architecture) switch
    {
        "amd64" => "x86_64",
        "arm64" => "aarch64",
        "arm" => "arm",
        "386" => "i386",
        "ppc64le" => "ppc64le",
        "s390x" => "s390x",
        "riscv64" => "riscv64",
        "mips64le" => "mips64el",
        "loong64" => "loongarch64",
        _ => null,
    };

    /// <summary>Engines answer with Go's names (amd64, arm64) or the kernel's (x86_64, aarch64).</summary>
    private static string Normalize(string architecture) => architecture.ToLowerInvariant() switch
    {
        "x86_64" or "x86-64" => "amd64",
        "aarch64" => "arm64",
        "i386" or "i686" => "386",
        "armhf" or "armv7l" or "armel" => "arm",
        var other => other,
    };

    /// <summary>What a container of a foreign architecture prints when nothing emulates it.</summary>
    public static bool IsExecFormatError(string output) => output.Contains("exec format error", StringComparison.OrdinalIgnoreCase);
}
