using System.Runtime.CompilerServices;
using Bakery.Tests.Infrastructure;
using Microsoft.Build.Evaluation;

namespace Bakery.Tests.Integration;

/// <summary>
/// In-process evaluation (Microsoft.Build.Locator) of a real restored project on the packed SDK:
/// guarded defaults, the base-image item from the package, and no Bakery side effects without BakeImage.
/// </summary>
[TestClass]
[TestCategory("Integration")]
public sealed class SdkEvaluationTests
{
    private static BakeryWorkspace s_workspace = null!;
    private static string s_project = null!;

    [ClassInitialize]
    public static void Initialize(TestContext _)
    {
        s_workspace = new BakeryWorkspace("evaluation");
        var image = new TestImages.PushedImage("localhost:5000", "base/eval", Bakery.Oci.Model.Digest.Compute("eval"u8), new Bakery.Oci.Model.ImageManifest());
        s_workspace.AddBasePackage(BasePackageWriter.Descriptor("Tests.BaseImages.Eval", "2.0.0", image, expires: DateTimeOffset.UtcNow.AddYears(1)));
        var dir = s_workspace.CreateProject("evaluated", BakeryWorkspace.BaseReference("Tests.BaseImages.Eval", "2.0.0"));
        var restore = s_workspace.Dotnet("restore", dir, []);
        Assert.AreEqual(0, restore.ExitCode, restore.Output);
        s_project = Path.Combine(dir, "evaluated.csproj");
        Environment.SetEnvironmentVariable("NUGET_PACKAGES", s_workspace.Packages);
    }

    [ClassCleanup]
    public static void Cleanup() => s_workspace?.Dispose();

    [TestMethod]
    public void Defaults_are_set_and_the_base_image_item_comes_from_the_package()
    {
        var (properties, items) = Evaluate(new Dictionary<string, string>());

        Assert.AreEqual("false", properties["BakeImage"]);
        Assert.AreEqual("30", properties["BakeryExpiryWarningDays"]);
        Assert.AreEqual("Error", properties["BakeryDeprecatedBaseImage"]);
        Assert.AreEqual("true", properties["UsingBakerySdk"]);
        Assert.AreEqual("true", properties["UsingMicrosoftNETSdk"], "Bakery.Sdk wraps Microsoft.NET.Sdk");
        var baseImage = items.Single();
        Assert.AreEqual("Tests.BaseImages.Eval", baseImage.Include);
        Assert.AreEqual("2.0.0", baseImage.Version);
        Assert.IsTrue(File.Exists(baseImage.Descriptor), baseImage.Descriptor);
        Assert.IsTrue(File.Exists(properties["BakeryTasksAssembly"]), "the packed task assembly is where the SDK says");
    }

    [TestMethod]
    public void Only_a_bake_turns_off_the_SDKs_wall_clock_created_label()
    {
        Assert.AreEqual("", Evaluate(new Dictionary<string, string>()).Properties["ContainerGenerateLabelsImageCreated"]);
        Assert.AreEqual("false", Evaluate(new Dictionary<string, string> { ["BakeImage"] = "true" }).Properties["ContainerGenerateLabelsImageCreated"]);
    }

    [TestMethod]
    public void Project_settings_override_the_guarded_defaults()
    {
        var (properties, _) = Evaluate(new Dictionary<string, string> { ["BakeryExpiryWarningDays"] = "7", ["BakeryDeprecatedBaseImage"] = "Warning" });
        Assert.AreEqual("7", properties["BakeryExpiryWarningDays"]);
        Assert.AreEqual("Warning", properties["BakeryDeprecatedBaseImage"]);
    }

    // Kept out of line so Microsoft.Build is loaded only after the locator registered the SDK's copy.
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static (Dictionary<string, string> Properties, List<(string Include, string Version, string Descriptor)> Items) Evaluate(Dictionary<string, string> globals)
    {
        using var collection = new ProjectCollection(globals);
        var project = collection.LoadProject(s_project);
        var names = new[] { "BakeImage", "BakeryExpiryWarningDays", "BakeryDeprecatedBaseImage", "UsingBakerySdk", "UsingMicrosoftNETSdk", "BakeryTasksAssembly", "ContainerGenerateLabelsImageCreated" };
        var properties = names.ToDictionary(n => n, n => project.GetPropertyValue(n));
        var items = project.GetItems("BakeryBaseImage").Select(i => (i.EvaluatedInclude, i.GetMetadataValue("Version"), Path.GetFullPath(i.GetMetadataValue("Descriptor")))).ToList();
        return (properties, items);
    }
}
