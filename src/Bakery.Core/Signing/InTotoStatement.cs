using System.Text.Json;
using Bakery.Oci.Model;

namespace Bakery.Core.Signing;

public sealed record StatementSubject(string Name, Digest Digest);

/// <summary>An in-toto statement: what it is about (subjects by digest), the predicate's type, and the predicate.</summary>
public sealed record InTotoStatement(string Type, IReadOnlyList<StatementSubject> Subjects, string PredicateType, JsonElement Predicate)
{
    public const string StatementV1 = "https://in-toto.io/Statement/v1";

    /// <summary>The type cosign 1 and 2 still write; read as well.</summary>
    public const string StatementV01 = "https://in-toto.io/Statement/v0.1";

    /// <summary>A statement's JSON with <paramref name="writePredicate"/> writing the predicate value (an object, or raw JSON such as an SBOM).</summary>
    /// <param name="statementType">The statement's _type: <see cref="StatementV1"/> for what Bakery writes; a statement read back keeps its own.</param>
    public static byte[] Create(IEnumerable<StatementSubject> subjects, string predicateType, Action<Utf8JsonWriter> writePredicate,
        bool indented = false, string statementType = StatementV1)
    {
        using var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer, new JsonWriterOptions { Indented = indented, Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping }))
        {
            json.WriteStartObject();
            json.WriteString("_type", statementType);
            json.WriteStartArray("subject");
            foreach (var subject in subjects)
            {
                json.WriteStartObject();
                json.WriteString("name", subject.Name);
                json.WriteStartObject("digest");
                json.WriteString(subject.Digest.Algorithm, subject.Digest.Hex);
                json.WriteEndObject();
                json.WriteEndObject();
            }
            json.WriteEndArray();
            json.WriteString("predicateType", predicateType);
            json.WritePropertyName("predicate");
            writePredicate(json);
            json.WriteEndObject();
        }
        return buffer.ToArray();
    }

    /// <summary>A statement from its JSON; a <see cref="FormatException"/> says what is wrong.</summary>
    public static InTotoStatement Parse(ReadOnlySpan<byte> json)
    {
        try
        {
            using var document = JsonDocument.Parse(json.ToArray(), new JsonDocumentOptions { MaxDepth = 256 });
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object) throw new FormatException("the statement is not a JSON object");
            var type = root.TryGetProperty("_type", out var t) && t.ValueKind == JsonValueKind.String ? t.GetString()! : throw new FormatException("the statement has no _type");
            if (type is not (StatementV1 or StatementV01)) throw new FormatException($"the statement's _type is '{type}', not an in-toto statement");
            var predicateType = root.TryGetProperty("predicateType", out var p) && p.ValueKind == JsonValueKind.String ? p.GetString()! : throw new FormatException("the statement has no predicateType");
            if (!root.TryGetProperty("subject", out var list) || list.ValueKind != JsonValueKind.Array) throw new FormatException("the statement has no subject list");
            var subjects = new List<StatementSubject>();
            foreach (var subject in list.EnumerateArray())
            {
                var name = subject.TryGetProperty("name", out var n) && n.ValueKind == JsonValueKind.String ? n.GetString()! : "";
                if (!subject.TryGetProperty("digest", out var digests) || digests.ValueKind != JsonValueKind.Object) continue;
                foreach (var digest in digests.EnumerateObject())
                    if (digest.Value.ValueKind == JsonValueKind.String && Digest.TryParse($"{digest.Name}:{digest.Value.GetString()}", out var parsed))
                        subjects.Add(new StatementSubject(name, parsed));
            }
            var predicate = root.TryGetProperty("predicate", out var value) ? value.Clone() : default;
            return new InTotoStatement(type, subjects, predicateType, predicate);
        }
        catch (JsonException e) { throw new FormatException($"the statement is not JSON ({e.Message})"); }
    }

    public bool IsAbout(Digest digest) => Subjects.Any(s => s.Digest == digest);
}
