using System.IO.Compression;
using System.Text;

namespace Bakery.Tests.Infrastructure;

/// <summary>Builds tar archives byte by byte, so tests can craft the malformed and malicious ones real tools refuse to write.</summary>
internal sealed class RawTar
{
    private readonly MemoryStream _out = new();

    public RawTar Entry(string name, char type = '0', byte[]? data = null, string link = "", int mode = 420,
        Action<byte[]>? beforeChecksum = null, Action<byte[]>? afterChecksum = null, bool writeData = true,
        int uid = 0, int gid = 0, long mtime = 0, bool gnu = false, byte[]? rawName = null)
    {
        data ??= [];
        var header = new byte[512];
        if (rawName is not null) Array.Copy(rawName, header, Math.Min(rawName.Length, 100));
        else Put(header, 0, 100, name);
        Put(header, 100, 8, Convert.ToString(mode, 8).PadLeft(7, '0'));
        Put(header, 108, 8, Convert.ToString(uid, 8).PadLeft(7, '0'));
        Put(header, 116, 8, Convert.ToString(gid, 8).PadLeft(7, '0'));
        Put(header, 124, 12, Convert.ToString(data.Length, 8).PadLeft(11, '0'));
        Put(header, 136, 12, Convert.ToString(mtime, 8).PadLeft(11, '0'));
        header[156] = (byte)type;
        Put(header, 157, 100, link);
        if (gnu) Put(header, 257, 8, "ustar  ");
        else
        {
            Put(header, 257, 6, "ustar");
            Put(header, 263, 2, "00");
        }
        beforeChecksum?.Invoke(header);
        for (var i = 148; i < 156; i++) header[i] = (byte)' ';
        var sum = header.Sum(b => (long)b);
        Put(header, 148, 8, Convert.ToString(sum, 8).PadLeft(6, '0') + "\0 ");
        afterChecksum?.Invoke(header);
        _out.Write(header);
        if (writeData)
        {
            _out.Write(data);
            _out.Write(new byte[(512 - data.Length % 512) % 512]);
        }
        return this;
    }

    public RawTar File(string name, string content) => Entry(name, '0', Encoding.UTF8.GetBytes(content));

    public RawTar Pax(params (string Key, string Value)[] records) => PaxOf('x', records);

    public RawTar GlobalPax(params (string Key, string Value)[] records) => PaxOf('g', records);

    private RawTar PaxOf(char type, (string Key, string Value)[] records)
    {
        var body = new StringBuilder();
        foreach (var (key, value) in records)
        {
            var text = $" {key}={value}\n";
            var length = text.Length + 1;
            while ((length.ToString().Length + text.Length) != length) length = length.ToString().Length + text.Length;
            body.Append(length).Append(text);
        }
        return Entry("PaxHeaders/x", type, Encoding.UTF8.GetBytes(body.ToString()));
    }

    /// <summary>A PAX header from raw record bytes (for names that are not UTF-8).</summary>
    public RawTar PaxBytes(string key, byte[] value)
    {
        var text = Encoding.ASCII.GetBytes($" {key}=").Concat(value).Append((byte)'\n').ToArray();
        var length = text.Length + 1;
        while (length.ToString().Length + text.Length != length) length = length.ToString().Length + text.Length;
        return Entry("PaxHeaders/x", 'x', [.. Encoding.ASCII.GetBytes(length.ToString()), .. text]);
    }

    public RawTar Raw(byte[] bytes)
    {
        _out.Write(bytes);
        return this;
    }

    public byte[] Build(bool end = true)
    {
        if (end) _out.Write(new byte[1024]);
        return _out.ToArray();
    }

    /// <summary>Recomputes the header checksum as old writers did, summing signed bytes.</summary>
    public static void SignedChecksum(byte[] header)
    {
        for (var i = 148; i < 156; i++) header[i] = (byte)' ';
        var sum = header.Sum(b => (long)(sbyte)b);
        Array.Clear(header, 148, 8);
        Put(header, 148, 8, Convert.ToString(sum, 8).PadLeft(6, '0') + "\0 ");
    }

    public static void Checksum(byte[] header)
    {
        for (var i = 148; i < 156; i++) header[i] = (byte)' ';
        var sum = header.Sum(b => (long)b);
        Put(header, 148, 8, Convert.ToString(sum, 8).PadLeft(6, '0') + "\0 ");
    }

    public static byte[] Gzip(byte[] data)
    {
        var output = new MemoryStream();
        using (var gzip = new GZipStream(output, CompressionLevel.Optimal, leaveOpen: true)) gzip.Write(data);
        return output.ToArray();
    }

    public static void Put(byte[] header, int offset, int length, string value)
    {
        var bytes = Encoding.UTF8.GetBytes(value);
        Array.Copy(bytes, 0, header, offset, Math.Min(bytes.Length, length));
    }
}
