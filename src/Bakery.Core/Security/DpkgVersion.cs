namespace Bakery.Core.Security;

/// <summary>
/// A Debian package version, [epoch:]upstream[-revision], ordered exactly as dpkg orders them
/// (Debian Policy 5.6.12): '~' sorts before everything, even the end of the string; letters sort
/// before other characters; digit runs compare as numbers.
/// </summary>
public sealed class DpkgVersion : IComparable<DpkgVersion>
{
    public int Epoch { get; }
    public string Upstream { get; }
    public string Revision { get; }

    private DpkgVersion(int epoch, string upstream, string revision) => (Epoch, Upstream, Revision) = (epoch, upstream, revision);

    public static DpkgVersion Parse(string value)
    {
        var text = value.Trim();
        if (text.Length == 0) throw new FormatException("An empty Debian version.");
        var epoch = 0;
        var colon = text.IndexOf(':');
        if (colon >= 0)
        {
            if (!int.TryParse(text[..colon], out epoch) || epoch < 0) throw new FormatException($"'{value}' has an invalid epoch.");
            text = text[(colon + 1)..];
        }
        var dash = text.LastIndexOf('-');
        var upstream = dash >= 0 ? text[..dash] : text;
        var revision = dash >= 0 ? text[(dash + 1)..] : "";
        if (upstream.Length == 0) throw new FormatException($"'{value}' has no upstream version.");
        return new DpkgVersion(epoch, upstream, revision);
    }

    public int CompareTo(DpkgVersion? other)
    {
        if (other is null) return 1;
        if (Epoch != other.Epoch) return Epoch.CompareTo(other.Epoch);
        var upstream = Compare(Upstream, other.Upstream);
        return upstream != 0 ? upstream : Compare(Revision, other.Revision);
    }

    public static int Compare(string a, string b)
    {
        int i = 0, j = 0;
        while (i < a.Length || j < b.Length)
        {
            while ((i < a.Length && !char.IsAsciiDigit(a[i])) || (j < b.Length && !char.IsAsciiDigit(b[j])))
            {
                var ac = Order(i < a.Length ? a[i] : '\0');
                var bc = Order(j < b.Length ? b[j] : '\0');
                if (ac != bc) return ac - bc;
                i++;
                j++;
            }
            while (i < a.Length && a[i] == '0') i++;
            while (j < b.Length && b[j] == '0') j++;
            var firstDifference = 0;
            while (i < a.Length && j < b.Length && char.IsAsciiDigit(a[i]) && char.IsAsciiDigit(b[j]))
            {
                if (firstDifference == 0) firstDifference = a[i] - b[j];
                i++;
                j++;
            }
            if (i < a.Length && char.IsAsciiDigit(a[i])) return 1;
            if (j < b.Length && char.IsAsciiDigit(b[j])) return -1;
            if (firstDifference != 0) return firstDifference;
        }
        return 0;
    }

    private static int Order(char c) => c switch
    {
        '\0' => 0,
        '~' => -1,
        _ when char.IsAsciiDigit(c) => 0,
        _ when char.IsAsciiLetter(c) => c,
        _ => c + 256,
    };

    public override string ToString() => (Epoch > 0 ? $"{Epoch}:" : "") + Upstream + (Revision.Length > 0 ? $"-{Revision}" : "");
}
