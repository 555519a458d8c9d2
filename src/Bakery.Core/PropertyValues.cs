using System.Globalization;

namespace Bakery.Core;

/// <summary>Parses project property values; a bad one is BAKE502 naming the property.</summary>
public static class PropertyValues
{
    /// <summary>A whole number, 0 or more, of <paramref name="unit"/> (days, seconds).</summary>
    public static int WholeNumber(string property, string value, string unit) =>
        int.TryParse(value.Trim(), NumberStyles.Integer, CultureInfo.InvariantCulture, out var parsed) && parsed >= 0
            ? parsed
            : throw Messages.BAKE502(property, value, $"expected a whole number of {unit}, 0 or more").Exception();

    /// <summary>BakeryRegistryTimeout: whole seconds one registry request may wait; empty means the default.</summary>
    public static TimeSpan RegistryTimeout(string? value)
    {
        try { return Oci.Registry.RegistryClientOptions.ParseTimeout(value); }
        catch (FormatException e) { throw Messages.BAKE502("BakeryRegistryTimeout", value, e.Message.TrimEnd('.')).Exception(e); }
    }

    /// <summary>true or false (any case); anything else is BAKE502 naming the property.</summary>
    public static bool Boolean(string property, string value) =>
        bool.TryParse(value.Trim(), out var parsed) ? parsed : throw Messages.BAKE502(property, value, "expected true or false").Exception();

    /// <summary>BakeryNow: an ISO 8601 date or date-time; empty means the real clock.</summary>
    public static DateTimeOffset Now(string? value, DateTimeOffset realNow) =>
        string.IsNullOrWhiteSpace(value) ? realNow : Date("BakeryNow", value);

    /// <summary>An ISO 8601 date or date-time from a property; anything else is BAKE502 naming the property.</summary>
    public static DateTimeOffset Date(string property, string value) =>
        DateTimeOffset.TryParse(value.Trim(), CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var parsed)
            ? parsed
            : throw Messages.BAKE502(property, value, "use an ISO 8601 date such as 2026-11-24 or 2026-11-24T10:00:00Z").Exception();
}
