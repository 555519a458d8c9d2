using System.Diagnostics;
using System.Text.Json;
using Bakery.Bench;
using Bakery.Core.Secrets;
using Bakery.Oci.Layers;

if (RegistryBench.Handles(args)) return await RegistryBench.RunAsync(args);
// bakery-bench big-image WORK_DIR MEGABYTES
// Writes a generated OCI image layout tar of about that size and prints {"path", "imageMiB", "files"}.
if (args is ["big-image", var bigWork, var bigMegabytes])
{
    var (image, bytes, count) = BigImage.Create(bigWork, int.Parse(bigMegabytes, System.Globalization.CultureInfo.InvariantCulture));
    Console.WriteLine(JsonSerializer.Serialize(new { path = image, imageMiB = Math.Round(bytes / (double)(1 << 20)), files = count, archiveMiB = Math.Round(new FileInfo(image).Length / (double)(1 << 20)) }));
    return 0;
}

// bakery-bench secret-scan WORK_DIR MEGABYTES RUNS
// Prints one JSON object: the layer's size, the median time to read it (gunzip + safe tar walk,
// the baseline) and to secret-scan it, CPU time, throughput per core and peak memory.
if (args is not ["secret-scan", var work, var megabytesText, var runsText])
{
    Console.Error.WriteLine("usage: Bakery.Bench secret-scan WORK_DIR MEGABYTES RUNS | big-image WORK_DIR MEGABYTES");
    return 2;
}
var (layer, uncompressed) = MixedLayer.Create(work, int.Parse(megabytesText, System.Globalization.CultureInfo.InvariantCulture));
var runs = int.Parse(runsText, System.Globalization.CultureInfo.InvariantCulture);

static (double WallMs, double CpuMs, T Result) Time<T>(Func<T> body)
{
    var process = Process.GetCurrentProcess();
    var cpu = process.TotalProcessorTime;
    var clock = Stopwatch.StartNew();
    var result = body();
    clock.Stop();
    process.Refresh();
    return (clock.Elapsed.TotalMilliseconds, (process.TotalProcessorTime - cpu).TotalMilliseconds, result);
}

static double Median(IEnumerable<double> values)
{
    var sorted = values.Order().ToArray();
    return sorted.Length % 2 == 1 ? sorted[sorted.Length / 2] : (sorted[sorted.Length / 2 - 1] + sorted[sorted.Length / 2]) / 2;
}

var readRuns = new List<(double Wall, double Cpu)>();
var scanRuns = new List<(double Wall, double Cpu)>();
var findings = 0;
for (var i = 0; i < runs; i++)
{
    var read = Time(() =>
    {
        using var stream = File.OpenRead(layer);
        return SafeLayerReader.Read(stream, new LayerReadLimits(), (_, content) => content?.CopyTo(Stream.Null));
    });
    readRuns.Add((read.WallMs, read.CpuMs));
    var scan = Time(() =>
    {
        using var stream = File.OpenRead(layer);
        return new SecretScanner(SecretAllowlist.Empty).ScanLayer(stream);
    });
    scanRuns.Add((scan.WallMs, scan.CpuMs));
    findings = scan.Result.Count;
}
var mib = uncompressed / (double)(1 << 20);
var scanMs = Median(scanRuns.Select(r => r.Wall));
var cpuMs = Median(scanRuns.Select(r => r.Cpu));
Console.WriteLine(JsonSerializer.Serialize(new
{
    layerMiB = Math.Round(mib, 1),
    compressedMiB = Math.Round(new FileInfo(layer).Length / (double)(1 << 20), 1),
    readMs = Math.Round(Median(readRuns.Select(r => r.Wall))),
    readCpuMs = Math.Round(Median(readRuns.Select(r => r.Cpu))),
    scanMs = Math.Round(scanMs),
    scanCpuMs = Math.Round(cpuMs),
    mibPerSecondPerCore = Math.Round(mib / (cpuMs / 1000), 1),
    findings,
    planted = MixedLayer.PlantedSecrets,
    peakWorkingSetMiB = Math.Round(Process.GetCurrentProcess().PeakWorkingSet64 / (double)(1 << 20)),
}));
File.Delete(layer);
return findings >= MixedLayer.PlantedSecrets ? 0 : 1;
