using System.Text;

namespace Bakery.Tests.Infrastructure;

/// <summary>
/// An image of many layers, as real builders write them (each layer lists the parent directories of
/// what it adds): files, directories, symbolic and hard links, whiteouts, opaque directories,
/// files replaced by directories and back, chosen by a seeded random walk.
/// </summary>
internal static class ManyLayers
{
    public static CorpusCase Build(int layerCount, int seed)
    {
        var random = new Random(seed);
        var dirs = new Dictionary<string, (int Mode, int Uid)>(StringComparer.Ordinal)
        {
            ["etc"] = (0x1ED, 0), ["usr"] = (0x1ED, 0), ["usr/bin"] = (0x1ED, 0), ["usr/lib"] = (0x1ED, 0), ["var"] = (0x1ED, 0),
            ["var/lib"] = (0x1ED, 0), ["opt"] = (0x1ED, 0), ["home"] = (0x1ED, 0), ["home/app"] = (0x1C0, 1000),
        };
        var files = new List<string>();
        var layers = new List<CorpusLayer>();
        var first = new RawTar();
        foreach (var (dir, (mode, uid)) in dirs) first.Entry(dir + "/", '5', mode: mode, uid: uid, gid: uid);
        first.Entry("lib", '2', link: "usr/lib").Entry("bin", '2', link: "usr/bin", mode: 0x1FF);
        for (var i = 0; i < 20; i++)
        {
            var path = $"usr/lib/lib{i}.so";
            first.Entry(path, '0', Encoding.UTF8.GetBytes($"library {i}"), mode: 0x1ED);
            files.Add(path);
        }
        layers.Add(new CorpusLayer(RawTar.Gzip(first.Build()), LayerCorpus.TarGzip));

        for (var layer = 1; layer < layerCount; layer++)
        {
            var tar = new RawTar();
            var written = new HashSet<string>(StringComparer.Ordinal);
            void Parents(string path)
            {
                var parts = path.Split('/');
                for (var n = 1; n < parts.Length; n++)
                {
                    var dir = string.Join('/', parts.Take(n));
                    if (!written.Add(dir)) continue;
                    var (mode, uid) = dirs.GetValueOrDefault(dir, (0x1ED, 0));
                    dirs[dir] = (mode, uid);
                    tar.Entry(dir + "/", '5', mode: mode, uid: uid, gid: uid);
                }
            }
            string Dir() => dirs.Keys.OrderBy(k => k, StringComparer.Ordinal).ElementAt(random.Next(dirs.Count));
            var operations = random.Next(3, 9);
            for (var op = 0; op < operations; op++)
            {
                switch (random.Next(10))
                {
                    case 0 or 1 or 2:
                    {
                        var path = $"{Dir()}/f{layer}-{op}";
                        Parents(path);
                        tar.Entry(path, '0', Encoding.UTF8.GetBytes($"file {layer} {op} {random.Next()}"), mode: new[] { 0x1A4, 0x1ED, 0x180 }[random.Next(3)], uid: random.Next(2) * 1000);
                        written.Add(path);
                        files.Add(path);
                        break;
                    }
                    case 3:
                    {
                        var path = $"{Dir()}/d{layer}-{op}";
                        Parents(path);
                        var mode = new[] { 0x1ED, 0x1E8, 0x1C0 }[random.Next(3)];
                        dirs[path] = (mode, 0);
                        written.Add(path);
                        tar.Entry(path + "/", '5', mode: mode);
                        break;
                    }
                    case 4 when files.Count > 0:
                    {
                        var victim = files[random.Next(files.Count)];
                        if (written.Contains(victim)) break;
                        var slash = victim.LastIndexOf('/');
                        Parents(victim);
                        tar.Entry($"{victim[..slash]}/.wh.{victim[(slash + 1)..]}", '0');
                        files.Remove(victim);
                        break;
                    }
                    case 5:
                    {
                        var dir = Dir();
                        if (dir.Split('/').Length < 2 || written.Contains(dir)) break;
                        Parents(dir + "/x");
                        tar.Entry($"{dir}/.wh..wh..opq", '0');
                        files.RemoveAll(f => f.StartsWith(dir + "/", StringComparison.Ordinal));
                        foreach (var gone in dirs.Keys.Where(d => d.StartsWith(dir + "/", StringComparison.Ordinal)).ToList()) dirs.Remove(gone);
                        var fresh = $"{dir}/fresh{layer}";
                        tar.Entry(fresh, '0', Encoding.UTF8.GetBytes("fresh"));
                        written.Add(fresh);
                        files.Add(fresh);
                        break;
                    }
                    case 6 when files.Count > 0:
                    {
                        var target = files[random.Next(files.Count)];
                        var path = $"{Dir()}/l{layer}-{op}";
                        Parents(path);
                        tar.Entry(path, '2', link: random.Next(2) == 0 ? "/" + target : string.Concat(Enumerable.Repeat("../", path.Count(ch => ch == '/'))) + target);
                        written.Add(path);
                        break;
                    }
                    case 7:
                    {
                        var path = $"{Dir()}/h{layer}-{op}";
                        Parents(path);
                        tar.Entry(path, '0', Encoding.UTF8.GetBytes($"linked {layer}"), mode: 0x1A4);
                        tar.Entry(path + ".link", '1', link: path);
                        written.Add(path);
                        written.Add(path + ".link");
                        files.Add(path);
                        files.Add(path + ".link");
                        break;
                    }
                    case 8 when files.Count > 0:
                    {
                        var victim = files[random.Next(files.Count)];
                        if (written.Contains(victim)) break;
                        Parents(victim);
                        tar.Entry(victim + "/", '5', mode: 0x1ED);
                        tar.Entry(victim + "/inside", '0', Encoding.UTF8.GetBytes("now a directory"));
                        files.Remove(victim);
                        dirs[victim] = (0x1ED, 0);
                        written.Add(victim);
                        written.Add(victim + "/inside");
                        files.Add(victim + "/inside");
                        break;
                    }
                    default:
                    {
                        var dir = Dir();
                        if (dir.Split('/').Length < 3 || written.Contains(dir)) break;
                        Parents(dir);
                        tar.Entry(dir, '0', Encoding.UTF8.GetBytes("now a file"));
                        files.RemoveAll(f => f.StartsWith(dir + "/", StringComparison.Ordinal));
                        foreach (var gone in dirs.Keys.Where(d => d == dir || d.StartsWith(dir + "/", StringComparison.Ordinal)).ToList()) dirs.Remove(gone);
                        written.Add(dir);
                        files.Add(dir);
                        break;
                    }
                }
            }
            var blob = tar.Build();
            // dockerd 20.10 (Debian bookworm) cannot load zstd layers, so this image mixes plain and gzip ones.
            layers.Add(layer % 2 == 0 ? new CorpusLayer(blob, LayerCorpus.Tar) : new CorpusLayer(RawTar.Gzip(blob), LayerCorpus.TarGzip));
        }
        return new CorpusCase($"{layerCount} generated layers", "many layers", layers, Verdict.Accept) { Members = [] };
    }
}
