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

    private static LifecycleResult Judge(BaseImageDescriptor d, DateTimeOffset now, LifecyclePolicy policy, LifecycleRecord? record = null) =>
        LifecycleJudge.Judge(LifecycleSubject.Of(d), d.Lifecycle, record, now, policy);

    private static LifecycleRecord Record(string state, DateTimeOffset created, DateTimeOffset? endOfLife = null, string? successor = null, string? reason = null) =>
        new() { State = state, Created = created, EndOfLife = endOfLife, Successor = successor, Reason = reason };

    [TestMethod]
    public void A_revoked_record_beats_expired_package_dates()
    {
        var result = Judge(Descriptor(expires: Now.AddDays(-10)), Now, new LifecyclePolicy(), Record(LifecycleRecord.Revoked, Now.AddDays(-1), reason: "CVE-2026-1"));
        Assert.AreEqual(LifecycleState.Revoked, result.State);
        var d = result.Diagnostics.Single();
        Assert.AreEqual("BAKE103", d.Code);
        StringAssert.Contains(d.Message, "CVE-2026-1");
    }

    [TestMethod]
    public void A_record_end_of_life_earlier_than_the_package_date_expires_the_image_on_the_record_date()
    {
        var result = Judge(Descriptor(expires: Now.AddDays(100)), Now, new LifecyclePolicy(), Record(LifecycleRecord.Deprecated, Now.AddDays(-5), endOfLife: Now.AddDays(-2)));
        Assert.AreEqual(LifecycleState.Expired, result.State);
        StringAssert.Contains(result.Diagnostics.Single().Message, "2026-05-30");
    }

    [TestMethod]
    public void Package_dates_still_apply_when_the_newest_record_restores_the_image()
    {
        var result = Judge(Descriptor(deprecated: Now.AddDays(-3)), Now, new LifecyclePolicy(), Record(LifecycleRecord.Active, Now.AddDays(-1)));
        Assert.AreEqual(LifecycleState.Deprecated, result.State);
    }

    [TestMethod]
    public void A_deprecated_record_names_the_successor_it_records_over_the_package_one()
    {
        var result = Judge(Descriptor(successor: "Old.Successor 1.0.0"), Now, new LifecyclePolicy(), Record(LifecycleRecord.Deprecated, Now.AddDays(-1), successor: "Contoso.BaseImages.Runtime 10.0.9"));
        Assert.AreEqual("BAKE102", result.Diagnostics.Single().Code);
        StringAssert.Contains(result.Diagnostics.Single().Message, "Its successor is Contoso.BaseImages.Runtime 10.0.9");
    }

    [TestMethod]
    public void An_ancestor_tells_the_team_to_move_the_package_it_references()
    {
        var team = Descriptor() with { Id = "Contoso.BaseImages.TeamWeb", Version = "1.4.0" };
        var ancestor = new LifecycleSubject(Oci.Model.ImageReference.Parse("localhost:5000/base/runtime@sha256:" + new string('b', 64)),
            "Contoso.BaseImages.Runtime 10.0.3, an ancestor of Contoso.BaseImages.TeamWeb 1.4.0,", "Contoso.BaseImages.Runtime", AncestorOf: team);
        var result = LifecycleJudge.Judge(ancestor, null, Record(LifecycleRecord.Deprecated, Now.AddDays(-1), successor: "Contoso.BaseImages.Runtime 10.0.4"), Now, new LifecyclePolicy());
        var message = result.Diagnostics.Single().Message;
        StringAssert.Contains(message, "Your project references Contoso.BaseImages.TeamWeb 1.4.0");
        StringAssert.Contains(message, "built on Contoso.BaseImages.Runtime 10.0.4");
        Assert.DoesNotContain("update your PackageReference to it", message);
    }

    [TestMethod]
    public void Combined_subjects_take_the_most_severe_state_and_keep_each_diagnostic()
    {
        var expiring = Judge(Descriptor(expires: Now.AddDays(5)), Now, new LifecyclePolicy());
        var deprecated = Judge(Descriptor(deprecated: Now.AddDays(-1)), Now, new LifecyclePolicy());
        var combined = LifecycleJudge.Combine([expiring, deprecated, LifecycleResult.Supported]);
        Assert.AreEqual(LifecycleState.Deprecated, combined.State);
        CollectionAssert.AreEqual(new[] { "BAKE111", "BAKE102" }, combined.Diagnostics.Select(d => d.Code).ToArray());
    }

    [TestMethod]
    public void No_dates_is_supported()
    {
        var result = Judge(Descriptor(), Now, new LifecyclePolicy());
        Assert.AreEqual(LifecycleState.Supported, result.State);
        Assert.IsEmpty(result.Diagnostics);
    }

    [TestMethod]
    public void Expired_is_BAKE101_naming_image_date_and_successor()
    {
        var result = Judge(Descriptor(expires: Now.AddDays(-1), successor: "Contoso.BaseImages.Runtime 10.0.2"), Now, new LifecyclePolicy());
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
        Assert.AreEqual(LifecycleState.Expired, Judge(Descriptor(expires: Now), Now, new LifecyclePolicy()).State);
    }

    [TestMethod]
    public void Most_severe_state_wins_and_only_it_is_reported()
    {
        var result = Judge(Descriptor(deprecated: Now.AddDays(-30), expires: Now.AddDays(-1)), Now, new LifecyclePolicy());
        Assert.AreEqual(LifecycleState.Expired, result.State);
        Assert.AreEqual("BAKE101", result.Diagnostics.Single().Code);
    }

    [TestMethod]
    public void Deprecated_is_an_error_by_default_and_a_warning_when_downgraded()
    {
        var descriptor = Descriptor(deprecated: Now.AddDays(-2), expires: Now.AddDays(200));
        var strict = Judge(descriptor, Now, new LifecyclePolicy());
        Assert.AreEqual("BAKE102", strict.Diagnostics.Single().Code);
        Assert.IsTrue(strict.HasErrors);
        var lenient = Judge(descriptor, Now, new LifecyclePolicy { DeprecatedIsWarning = true });
        Assert.IsFalse(lenient.HasErrors);
        StringAssert.Contains(lenient.Diagnostics.Single().Message, "BakeryDeprecatedBaseImage=Warning");
    }

    [TestMethod]
    [DataRow(29, true)]
    [DataRow(30, true)]
    [DataRow(31, false)]
    public void Expiry_within_the_warning_window_is_BAKE111(int days, bool warns)
    {
        var result = Judge(Descriptor(expires: Now.AddDays(days)), Now, new LifecyclePolicy { ExpiryWarningDays = 30 });
        Assert.AreEqual(warns, result.Diagnostics.Any(d => d.Code == "BAKE111" && !d.IsError));
        if (warns) StringAssert.Contains(result.Diagnostics[0].Message, $"in {days} day(s)");
    }

    [TestMethod]
    public void BakeryNow_parses_dates_and_rejects_nonsense_with_BAKE502()
    {
        Assert.AreEqual(new DateTimeOffset(2030, 1, 2, 0, 0, 0, TimeSpan.Zero), PropertyValues.Now("2030-01-02", Now));
        Assert.AreEqual(Now, PropertyValues.Now("", Now));
        Assert.AreEqual("BAKE502", Assert.ThrowsExactly<BakeryException>(() => PropertyValues.Now("tomorrow", Now)).Code);
    }
}
