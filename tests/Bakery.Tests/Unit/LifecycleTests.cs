using Bakery.Core;
using Bakery.Core.Descriptors;
using Bakery.Core.Lifecycle;

namespace Bakery.Tests.Unit;

[TestClass]
public sealed class LifecycleTests
{
    private static readonly DateTimeOffset Now = new(2026, 6, 1, 12, 0, 0, TimeSpan.Zero);

    private static BaseImageDescriptor Descriptor(DateTimeOffset? deprecated = null, DateTimeOffset? expires = null, string? successor = null) => new()
    {
        Id = "Contoso.BaseImages.Runtime",
        Version = "10.0.1",
        Image = new DescriptorImage { Registry = "localhost:5000", Repository = "base/runtime", Digest = "sha256:" + new string('a', 64) },
        Lifecycle = new DescriptorLifecycle { DeprecatedOn = deprecated, ExpiresOn = expires, Successor = successor },
    };

    [TestMethod]
    public void No_dates_is_supported()
    {
        var result = LifecycleEvaluator.Evaluate(Descriptor(), Now, new LifecyclePolicy());
        Assert.AreEqual(LifecycleState.Supported, result.State);
        Assert.IsEmpty(result.Diagnostics);
    }

    [TestMethod]
    public void Expired_is_BAKE101_naming_image_date_and_successor()
    {
        var result = LifecycleEvaluator.Evaluate(Descriptor(expires: Now.AddDays(-1), successor: "Contoso.BaseImages.Runtime 10.0.2"), Now, new LifecyclePolicy());
        Assert.AreEqual(LifecycleState.Expired, result.State);
        var d = result.Diagnostics.Single();
        Assert.AreEqual("BAKE101", d.Code);
        Assert.IsTrue(d.IsError);
        StringAssert.Contains(d.Message, "Contoso.BaseImages.Runtime 10.0.1");
        StringAssert.Contains(d.Message, "2026-05-31");
        StringAssert.Contains(d.Message, "Contoso.BaseImages.Runtime 10.0.2");
    }

    [TestMethod]
    public void Expiry_on_the_exact_instant_counts_as_expired()
    {
        Assert.AreEqual(LifecycleState.Expired, LifecycleEvaluator.Evaluate(Descriptor(expires: Now), Now, new LifecyclePolicy()).State);
    }

    [TestMethod]
    public void Most_severe_state_wins_and_only_it_is_reported()
    {
        var result = LifecycleEvaluator.Evaluate(Descriptor(deprecated: Now.AddDays(-30), expires: Now.AddDays(-1)), Now, new LifecyclePolicy());
        Assert.AreEqual(LifecycleState.Expired, result.State);
        Assert.AreEqual("BAKE101", result.Diagnostics.Single().Code);
    }

    [TestMethod]
    public void Deprecated_is_an_error_by_default_and_a_warning_when_downgraded()
    {
        var descriptor = Descriptor(deprecated: Now.AddDays(-2), expires: Now.AddDays(200));
        var strict = LifecycleEvaluator.Evaluate(descriptor, Now, new LifecyclePolicy());
        Assert.AreEqual("BAKE102", strict.Diagnostics.Single().Code);
        Assert.IsTrue(strict.HasErrors);
        var lenient = LifecycleEvaluator.Evaluate(descriptor, Now, new LifecyclePolicy { DeprecatedIsWarning = true });
        Assert.IsFalse(lenient.HasErrors);
        StringAssert.Contains(lenient.Diagnostics.Single().Message, "BakeryDeprecatedBaseImage=Warning");
    }

    [TestMethod]
    [DataRow(29, true)]
    [DataRow(30, true)]
    [DataRow(31, false)]
    public void Expiry_within_the_warning_window_is_BAKE111(int days, bool warns)
    {
        var result = LifecycleEvaluator.Evaluate(Descriptor(expires: Now.AddDays(days)), Now, new LifecyclePolicy { ExpiryWarningDays = 30 });
        Assert.AreEqual(warns, result.Diagnostics.Any(d => d.Code == "BAKE111" && !d.IsError));
        if (warns) StringAssert.Contains(result.Diagnostics[0].Message, $"in {days} day(s)");
    }

    [TestMethod]
    public void BakeryNow_parses_dates_and_rejects_nonsense_with_BAKE502()
    {
        Assert.AreEqual(new DateTimeOffset(2030, 1, 2, 0, 0, 0, TimeSpan.Zero), LifecycleEvaluator.ParseNow("2030-01-02", Now));
        Assert.AreEqual(Now, LifecycleEvaluator.ParseNow("", Now));
        Assert.AreEqual("BAKE502", Assert.ThrowsExactly<BakeryException>(() => LifecycleEvaluator.ParseNow("tomorrow", Now)).Code);
    }
}
