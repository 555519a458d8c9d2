using System.Text.Json;

namespace Bakery.Core.Security;

/// <summary>
/// The package libraries of a *.deps.json ("libraries": { "Name/Version": { "type": "package" } }),
/// read as a stream with a bounded buffer, so a huge file costs no more memory than a small one.
/// A file that is not valid JSON yields what was read before the error.
/// </summary>
public static class DepsJsonLibraries
{
    private const int MaxTokenBuffer = 16 << 20;

    public static List<(string Name, string Version)> Read(Stream stream)
    {
        var found = new List<(string, string)>();
        var buffer = new byte[64 << 10];
        var length = 0;
        var final = false;
        var state = new JsonReaderState(new JsonReaderOptions { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true });
        var walk = new Walk();
        try
        {
            while (true)
            {
                if (!final)
                {
                    var read = stream.Read(buffer, length, buffer.Length - length);
                    if (read == 0) final = true;
                    length += read;
                }
                var reader = new Utf8JsonReader(buffer.AsSpan(0, length), final, state);
                while (reader.Read()) walk.Token(ref reader, found);
                var consumed = (int)reader.BytesConsumed;
                state = reader.CurrentState;
                if (final) return found;
                if (consumed == 0 && length == buffer.Length)
                {
                    if (buffer.Length >= MaxTokenBuffer) return found; // one token larger than any real deps.json holds
                    Array.Resize(ref buffer, buffer.Length * 2);
                }
                buffer.AsSpan(consumed, length - consumed).CopyTo(buffer);
                length -= consumed;
            }
        }
        catch (JsonException)
        {
            return found;
        }
    }

    private sealed class Walk
    {
        private int _depth;
        private bool _nextIsLibraries, _inLibraries, _nextIsType;
        private string? _library, _pendingLibrary;

        public void Token(ref Utf8JsonReader reader, List<(string, string)> found)
        {
            switch (reader.TokenType)
            {
                case JsonTokenType.StartObject or JsonTokenType.StartArray:
                    _depth++;
                    if (_depth == 2 && _nextIsLibraries && reader.TokenType == JsonTokenType.StartObject) _inLibraries = true;
                    if (_depth == 3 && _inLibraries && _pendingLibrary is not null) _library = _pendingLibrary;
                    _nextIsLibraries = false;
                    _pendingLibrary = null;
                    break;
                case JsonTokenType.EndObject or JsonTokenType.EndArray:
                    if (_depth == 3) _library = null;
                    if (_depth == 2) _inLibraries = false;
                    _depth--;
                    break;
                case JsonTokenType.PropertyName:
                    if (_depth == 1) _nextIsLibraries = reader.ValueTextEquals("libraries"u8);
                    else if (_depth == 2 && _inLibraries) _pendingLibrary = reader.GetString();
                    else if (_depth == 3 && _library is not null) _nextIsType = reader.ValueTextEquals("type"u8);
                    break;
                default:
                    if (_nextIsType && _depth == 3 && _library is not null && reader.TokenType == JsonTokenType.String && reader.ValueTextEquals("package"u8))
                    {
                        var slash = _library.IndexOf('/');
                        if (slash > 0) found.Add((_library[..slash], _library[(slash + 1)..]));
                    }
                    _nextIsType = false;
                    _nextIsLibraries = false;
                    _pendingLibrary = null;
                    break;
            }
        }
    }
}
