namespace Bakery.Core.Secrets;

internal static class Entropy
{
    /// <summary>Shannon entropy in bits per character (characters outside Latin-1 share buckets; only used for a rough cut).</summary>
    public static double Bits(ReadOnlySpan<char> value)
    {
        if (value.IsEmpty) return 0;
        Span<int> counts = stackalloc int[256];
        foreach (var c in value) counts[c & 0xFF]++;
        double bits = 0;
        foreach (var n in counts)
        {
            if (n == 0) continue;
            var p = (double)n / value.Length;
            bits -= p * Math.Log2(p);
        }
        return bits;
    }
}
