using System.Globalization;

namespace Bakery.Core;

/// <summary>Parses project property values; a bad one is BAKE502 naming the property.</summary>
public static class PropertyValues
{
    /// <summary>A whole number, 0 or more, of <paramref name="unit"/> (days, seconds).</summary>
    public static int WholeNumber(string property, string value, string unit) =>
        int.TryParse(value.Trim(), NumberStyles.Integer, CultureInfo.InvariantCulture, out var parsed) && parsed >= 0
            ? parsed
            : throw BakeryException.Create("BAKE502", property, value, $"expected a whole number of {unit}, 0 or more");
}
