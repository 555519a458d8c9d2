using Bakery.Core;
using Bakery.Core.Descriptors;
using Bakery.Core.Security;

namespace Bakery.Tests.Unit;

/// <summary>Requirements a base image sets for its descendants: merged strictest-wins, applied over a project's own settings.</summary>
[TestClass]
public sealed class SecurityRequirementsTests
{
    private static BaseImageDescriptor Base(SecurityRequirements? security) => new()
    {
        Id = "Contoso.Runtime",
        Version = "1.0.0",
        Image = new DescriptorImage { Registry = "localhost:5000", Repository = "runtime", Digest = "sha256:" + new string('a', 64) },
        Security = security,
    };

    [TestMethod]
    public void Merging_keeps_the_strictest_of_each_part_and_names_both_setters()
    {
        var global = new SecurityRequirements { FailOnSeverity = Severity.High, AdvisoryMaxAgeDays = 30, SetBy = "Global" };
        var local = new SecurityRequirements { FailOnSeverity = Severity.Critical, AdvisoryMaxAgeDays = 7, RequireAssessment = true, SetBy = "Local" };
        var merged = SecurityRequirements.Strictest(local, global)!;
        Assert.AreEqual(Severity.High, merged.FailOnSeverity);
        Assert.AreEqual(7, merged.AdvisoryMaxAgeDays);
        Assert.IsTrue(merged.RequireAssessment);
        Assert.AreEqual("Local, Global", merged.SetBy);
    }

    [TestMethod]
    public void Merging_with_nothing_gives_the_other_side_or_nothing()
    {
        var global = new SecurityRequirements { FailOnSeverity = Severity.Low, SetBy = "Global" };
        Assert.AreSame(global, SecurityRequirements.Strictest(null, global));
        Assert.AreSame(global, SecurityRequirements.Strictest(new SecurityRequirements { SetBy = "Local" }, global), "an empty own requirement adds nothing");
        Assert.AreSame(global, SecurityRequirements.Strictest(global, null));
        Assert.IsNull(SecurityRequirements.Strictest(null, new SecurityRequirements()));
    }

    [TestMethod]
    public void Without_requirements_the_projects_settings_and_defaults_apply()
    {
        var settings = EffectiveSecuritySettings.Apply(null, null, null, Base(null));
        Assert.AreEqual(Severity.High, settings.FailOnSeverity);
        Assert.AreEqual(7, settings.AdvisoryMaxAgeDays);
        Assert.IsEmpty(settings.Diagnostics);
        Assert.AreEqual(Severity.Critical, EffectiveSecuritySettings.Apply("/osv", Severity.Critical, 40, Base(null)).FailOnSeverity);
    }

    [TestMethod]
    public void A_looser_explicit_setting_is_tightened_with_a_warning_and_a_default_silently()
    {
        var required = Base(new SecurityRequirements { FailOnSeverity = Severity.Medium, AdvisoryMaxAgeDays = 3, SetBy = "Global" });
        var explicitSettings = EffectiveSecuritySettings.Apply("/osv", Severity.Critical, 10, required);
        Assert.AreEqual(Severity.Medium, explicitSettings.FailOnSeverity);
        Assert.AreEqual(3, explicitSettings.AdvisoryMaxAgeDays);
        Assert.HasCount(2, explicitSettings.Diagnostics);
        Assert.IsTrue(explicitSettings.Diagnostics.All(d => d.Code == "BAKE312" && !d.IsError && d.Message.Contains("Global")));

        var defaults = EffectiveSecuritySettings.Apply("/osv", null, null, required);
        Assert.AreEqual(Severity.Medium, defaults.FailOnSeverity);
        Assert.IsEmpty(defaults.Diagnostics);

        var stricter = EffectiveSecuritySettings.Apply("/osv", Severity.Low, 1, required);
        Assert.AreEqual(Severity.Low, stricter.FailOnSeverity, "a descendant may be stricter");
        Assert.AreEqual(1, stricter.AdvisoryMaxAgeDays);
    }

    [TestMethod]
    public void A_required_assessment_without_a_database_is_BAKE311()
    {
        var e = Assert.ThrowsExactly<BakeryException>(() =>
            EffectiveSecuritySettings.Apply(null, null, null, Base(new SecurityRequirements { RequireAssessment = true, SetBy = "Global" })));
        Assert.AreEqual("BAKE311", e.Code);
        StringAssert.Contains(e.Message, "Contoso.Runtime 1.0.0");
        StringAssert.Contains(e.Message, "BakeryAdvisoryDatabase");
    }
}
