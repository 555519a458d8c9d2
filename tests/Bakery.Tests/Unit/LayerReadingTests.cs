using System.Text;
using Bakery.Core;
using Bakery.Core.Security;
using Bakery.Oci.Layers;

namespace Bakery.Tests.Unit;

/// <summary>The pieces around the layer reader: limits from BAKERY_LAYER_LIMITS, name escaping, the streaming deps.json reader, the last-resort error mapping.</summary>
[TestClass]
public sealed class LayerReadingTests
{
    [TestMethod]
    public void Limits_have_documented_defaults_and_can_be_set()
    {
        var defaults = LayerReadLimits.Parse(null);
        Assert.AreEqual(4096, defaults.MaxPathLength);
        Assert.AreEqual(255, defaults.MaxNameLength);
        Assert.AreEqual(4096, defaults.MaxLinkTargetLength);
        Assert.AreEqual(1 << 20, defaults.MaxExtendedHeaderSize);
        Assert.AreEqual(8L << 30, defaults.MaxEntrySize);
        Assert.AreEqual(32L << 30, defaults.MaxTotalSize);
        Assert.AreEqual(200, defaults.MaxCompressionRatio);
        var set = LayerReadLimits.Parse("maxEntrySize=16GiB, maxCompressionRatio=500;maxPathLength=1024,allowDevices=false,bombThreshold=512K");
        Assert.AreEqual(16L << 30, set.MaxEntrySize);
        Assert.AreEqual(500, set.MaxCompressionRatio);
        Assert.AreEqual(1024, set.MaxPathLength);
        Assert.AreEqual(512L << 10, set.BombThreshold);
        Assert.IsFalse(set.AllowDevices);
    }

    [TestMethod]
    [DataRow("maxEntrySize", "is not key=value")]
    [DataRow("maxEntrySize=lots", "positive whole number")]
    [DataRow("maxEntrySize=-1", "positive whole number")]
    [DataRow("maxEntrySize=99999999999TiB", "positive whole number")]
    [DataRow("maxThings=1", "is not a layer limit")]
    [DataRow("allowDevices=maybe", "true or false")]
    public void A_bad_limit_setting_is_BAKE328(string setting, string expected)
    {
        var error = Assert.ThrowsExactly<LayerLimitsException>(() => LayerReadLimits.Parse(setting));
        StringAssert.Contains(error.Message, expected);
        var mapped = BakeryErrors.From(error);
        Assert.AreEqual("BAKE328", mapped.Code);
        StringAssert.Contains(mapped.Message, LayerReadLimits.EnvironmentVariable);
    }

    [TestMethod]
    public void Names_decode_losslessly_and_print_escaped()
    {
        byte[] latin1 = [.. "caf"u8, 0xE9, .. "/x"u8];
        var name = LayerNames.Decode(latin1);
        Assert.AreEqual("caf\uDCE9/x", name);
        CollectionAssert.AreEqual(latin1, LayerNames.Encode(name));
        Assert.AreNotEqual(LayerNames.Decode("caf\u00e9"u8), name, "a different byte name never decodes to the same string");
        Assert.AreEqual(@"caf\xe9/x", LayerNames.Escape(name));
        Assert.AreEqual(@"a\x00b\x1b[31m\n\\\u{202e}", LayerNames.Escape("a\0b\u001b[31m\n\\\u202E"));
        Assert.AreEqual("ok/\u00e9\u4e2d", LayerNames.Escape("ok/\u00e9\u4e2d"), "printable Unicode stays as it is");
        StringAssert.StartsWith(LayerNames.Escape(new string('x', 2000)), new string('x', 512) + "…(+");
        var error = new UnsafeLayerException(LayerProblem.BadName, "evil\u001b]0;pwned\u0007", "Bad.");
        Assert.IsFalse(error.Message.Any(char.IsControl), error.Message);
    }

    [TestMethod]
    public void Deps_json_libraries_stream_with_a_bounded_buffer()
    {
        var json = new StringBuilder("{\"targets\":{\".NETCoreApp,Version=v10.0\":{");
        for (var i = 0; i < 20000; i++) json.Append(i == 0 ? "" : ",").Append($"\"P{i}/1.0\":{{\"runtime\":{{\"lib/P{i}.dll\":{{}}}}}}");
        json.Append("}},\"libraries\":{\"Newtonsoft.Json/13.0.3\":{\"type\":\"package\",\"nested\":{\"type\":\"project\"}},\"App/1.0.0\":{\"type\":\"project\"},");
        json.Append("\"Serilog/4.0.0\":{\"serviceable\":true,\"type\":\"package\"}}}");
        var libraries = DepsJsonLibraries.Read(new MemoryStream(Encoding.UTF8.GetBytes(json.ToString())));
        CollectionAssert.AreEqual(new[] { ("Newtonsoft.Json", "13.0.3"), ("Serilog", "4.0.0") }, libraries);
        var truncated = DepsJsonLibraries.Read(new MemoryStream(Encoding.UTF8.GetBytes("{\"libraries\":{\"A/1\":{\"type\":\"package\"},\"B/2\":{\"ty")));
        CollectionAssert.AreEqual(new[] { ("A", "1") }, truncated, "what was read before the error");
    }

    [TestMethod]
    public void Any_unexpected_exception_becomes_a_BAKE_code_without_a_stack_trace()
    {
        var layer = BakeryErrors.From(new UnsafeLayerException(LayerProblem.PathTraversal, "../x", "'..' in a path."));
        Assert.AreEqual("BAKE320", layer.Code);
        var io = BakeryErrors.From(new IOException("disk full\u001b[2J"));
        Assert.AreEqual("BAKE329", io.Code);
        StringAssert.Contains(io.Message, "IOException");
        Assert.IsFalse(io.Message.Any(char.IsControl));
        Assert.AreEqual("BAKE329", BakeryErrors.From(new AggregateException(new OverflowException("too big"))).Code);
        Assert.AreEqual("BAKE310", BakeryErrors.From(new Bakery.Oci.Archives.ImageArchiveException("a.tar", "broken")).Code);
    }
}
