using System.Reflection;
using Bakery.Core.Baking;
using Bakery.Tasks;
using Microsoft.Build.Utilities;

namespace Bakery.Tests.Unit;

/// <summary>The bake task's parameters reach BakeInputs by name: nothing is mapped by hand, nothing is dropped.</summary>
[TestClass]
public sealed class TaskInputsTests
{
    /// <summary>Parameters the task uses itself rather than passing to the bake.</summary>
    private static readonly string[] TaskOnly = ["LifecycleState", "PlanInputs", "ImageDigest", "ImageName", "ImageTags", "ReportPath", "ArchivePath",
        "BuildEngine", "HostObject", "Log", "ProjectFile"];

    [TestMethod]
    public void Every_task_parameter_is_a_bake_input_and_every_bake_input_a_task_parameter()
    {
        var task = typeof(BakeContainerImage).GetProperties(BindingFlags.Public | BindingFlags.Instance)
            .Where(p => p.DeclaringType != typeof(Microsoft.Build.Utilities.Task) && p.CanWrite).Select(p => p.Name).Except(TaskOnly).Order().ToList();
        var inputs = typeof(BakeInputs).GetProperties().Where(p => p.CanWrite).Select(p => p.Name).Except(["ProjectFile"]).Order().ToList();
        CollectionAssert.AreEqual(inputs, task);
    }

    [TestMethod]
    public void Values_items_metadata_and_file_paths_are_carried_over()
    {
        var layer = new TaskItem("conf/app.conf");
        layer.SetMetadata("Destination", "/etc/app/");
        var task = new BakeContainerImage
        {
            BaseImageReference = "localhost:5000/base@sha256:" + new string('a', 64),
            Repository = "team/app",
            Version = "1.2.3",
            IntermediateDirectory = "/tmp/obj",
            ReportDirectory = "/tmp/obj/bakery",
            AllowLatestTag = true,
            AdvisoryMaxAgeDays = "14",
            Layers = [layer],
            Labels = [new TaskItem("team", new Dictionary<string, string> { ["Value"] = "web" })],
        };
        var inputs = TaskInputs.Map<BakeInputs>(task);
        Assert.AreEqual("team/app", inputs.Repository);
        Assert.IsTrue(inputs.AllowLatestTag);
        Assert.AreEqual("14", inputs.AdvisoryMaxAgeDays);
        Assert.AreEqual("/etc/app/", inputs.Layers.Single().Get("Destination"));
        Assert.AreEqual(Path.GetFullPath("conf/app.conf"), inputs.Layers.Single().Get("FullPath"), "file items keep their full path");
        Assert.AreEqual("", inputs.Labels.Single().Get("FullPath"), "other items do not");
        Assert.AreEqual("web", inputs.Labels.Single().Get("Value"));
    }
}
