using System.Text.Json;
using System.Text.Json.Serialization;

namespace Bakery.Core.Descriptors;

/// <summary>
/// Source-generated readers of the descriptor and the lineage label, which every bake reads before anything
/// compiles: the reflection serializer's first use cost ResolveBakeryBaseImage most of its time. The descriptor's
/// properties are settable, not init-only: the generated reader drops the defaults of init-only properties, and reads
/// a type that has any to its end before it converts a value, so an error would name the object's last line.
/// </summary>
[JsonSourceGenerationOptions(ReadCommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true)]
[JsonSerializable(typeof(BaseImageDescriptor))]
internal sealed partial class DescriptorJson : JsonSerializerContext;

/// <summary>The lineage label, with the serializer's default options (its bytes are part of every image's config).</summary>
[JsonSerializable(typeof(List<LineageEntry>))]
[JsonSerializable(typeof(IReadOnlyList<LineageEntry>))]
internal sealed partial class LineageJson : JsonSerializerContext;
