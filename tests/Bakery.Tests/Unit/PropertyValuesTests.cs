using Bakery.Core;

namespace Bakery.Tests.Unit;

[TestClass]
public sealed class PropertyValuesTests
{
    [TestMethod]
    public void BakeryRegistryTimeout_is_whole_seconds_with_a_default_and_nonsense_is_BAKE502()
    {
        Assert.AreEqual(TimeSpan.FromSeconds(60), PropertyValues.RegistryTimeout(""));
        Assert.AreEqual(TimeSpan.FromSeconds(15), PropertyValues.RegistryTimeout(" 15 "));
        foreach (var bad in new[] { "soon", "0", "-5", "1.5" })
        {
            var error = Assert.ThrowsExactly<BakeryException>(() => PropertyValues.RegistryTimeout(bad), bad);
            Assert.AreEqual("BAKE502", error.Code);
            StringAssert.Contains(error.Message, "BakeryRegistryTimeout");
        }
    }

    [TestMethod]
    public void Whole_numbers_and_dates_are_parsed_or_refused_naming_the_property()
    {
        Assert.AreEqual(30, PropertyValues.WholeNumber("BakeryExpiryWarningDays", "30", "days"));
        StringAssert.Contains(Assert.ThrowsExactly<BakeryException>(() => PropertyValues.WholeNumber("BakeryExpiryWarningDays", "-1", "days")).Message, "BakeryExpiryWarningDays");
        Assert.AreEqual(new DateTimeOffset(2027, 1, 31, 0, 0, 0, TimeSpan.Zero), PropertyValues.Date("BakeryExpiresOn", "2027-01-31"));
        Assert.AreEqual("BAKE502", Assert.ThrowsExactly<BakeryException>(() => PropertyValues.Date("BakeryExpiresOn", "next year")).Code);
    }
}
