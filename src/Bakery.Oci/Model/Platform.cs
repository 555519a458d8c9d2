using System.Text.Json;
using System.Text.Json.Serialization;

namespace Bakery.Oci.Model;

/// <summary>
/// An image platform as the OCI image index describes it (os, architecture, optional variant), and
/// as people write it: <c>linux/amd64</c>, <c>linux/arm64/v8</c>. In indexes it is a JSON object; in
/// Bakery's own files (descriptor, report) it is written as that text (<see cref="TextJsonConverter"/>).
/// </summary>
public sealed record Platform
{
    [JsonPropertyName("architecture")] public string Architecture { get; set; } = "";
    [JsonPropertyName("os")] public string Os { get; set; } = "";

    [JsonPropertyName("variant")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? Variant { get; init; }

    /// <summary>What an image is for when nothing says otherwise, as the .NET SDK defaults to linux-x64.</summary>
    public static Platform LinuxAmd64 { get; } = new() { Os = "linux", Architecture = "amd64" };

    public override string ToString() => Variant is null ? $"{Os}/{Architecture}" : $"{Os}/{Architecture}/{Variant}";

    /// <summary>Same OS and architecture, and the same variant when both name one (arm64 images often say v8, often nothing).</summary>
    public bool Matches(Platform other) =>
        string.Equals(Os, other.Os, StringComparison.Ordinal) && string.Equals(Architecture, other.Architecture, StringComparison.Ordinal)
        && (Variant is null || other.Variant is null || string.Equals(Variant, other.Variant, StringComparison.Ordinal));

    public static bool TryParse(string? text, out Platform? platform)
    {
        platform = null;
        var parts = (text ?? "").Trim().Split('/');
        if (parts.Length is < 2 or > 3 || parts.Any(p => p.Length == 0 || p.Any(c => !(char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.')))) return false;
        platform = new Platform { Os = parts[0].ToLowerInvariant(), Architecture = parts[1].ToLowerInvariant(), Variant = parts.Length == 3 ? parts[2].ToLowerInvariant() : null };
        return true;
    }

    public static Platform Parse(string text) =>
        TryParse(text, out var platform) ? platform! : throw new FormatException($"'{text}' is not a platform such as linux/amd64 or linux/arm64/v8.");

    /// <summary>The platform a .NET runtime identifier publishes for (linux-x64 → linux/amd64, linux-musl-arm64 → linux/arm64, linux-arm → linux/arm/v7); null for a RID no container runs.</summary>
    public static Platform? FromRuntimeIdentifier(string? rid)
    {
        if (string.IsNullOrWhiteSpace(rid)) return null;
        var parts = rid.Trim().ToLowerInvariant().Split('-');
        var os = parts[0] switch { "linux" => "linux", "win" => "windows", _ => null };
        if (os is null || parts.Length < 2) return null;
        return parts[^1] switch
        {
            "x64" => new Platform { Os = os, Architecture = "amd64" },
            "arm64" => new Platform { Os = os, Architecture = "arm64" },
            "arm" => new Platform { Os = os, Architecture = "arm", Variant = "v7" },
            "x86" => new Platform { Os = os, Architecture = "386" },
            "s390x" => new Platform { Os = os, Architecture = "s390x" },
            "ppc64le" => new Platform { Os = os, Architecture = "ppc64le" },
            "riscv64" => new Platform { Os = os, Architecture = "riscv64" },
            "loongarch64" => new Platform { Os = os, Architecture = "loong64" },
            _ => null,
        };
    }

    /// <summary>Reads and writes a platform as its text form, for Bakery's own JSON files.</summary>
    public sealed class TextJsonConverter : JsonConverter<Platform>
    {
        public override Platform? Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) =>
            reader.TokenType == JsonTokenType.Null ? null
            : TryParse(reader.GetString(), out var platform) ? platform
            : throw new JsonException($"'{reader.GetString()}' is not a platform such as linux/amd64.");

        public override void Write(Utf8JsonWriter writer, Platform value, JsonSerializerOptions options) => writer.WriteStringValue(value.ToString());
    }
}
