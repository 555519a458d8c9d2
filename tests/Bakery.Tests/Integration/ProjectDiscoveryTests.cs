using Bakery.Tests.Infrastructure;
using Bakery.Tool.Projects;

namespace Bakery.Tests.Integration;

/// <summary>Which projects `bakery outdated` and `bakery remediate` look at: a folder, a .sln, or a .slnx.</summary>
[TestClass]
public sealed class ProjectDiscoveryTests
{
    [TestMethod]
    public void Folders_solutions_and_xml_solutions_name_the_same_projects()
    {
        var root = TestPaths.NewTempDirectory("discover");
        foreach (var project in new[] { "src/web/web.csproj", "src/base/base.csproj", "src/web/obj/ignored.csproj" })
        {
            Directory.CreateDirectory(Path.GetDirectoryName(Path.Combine(root, project))!);
            File.WriteAllText(Path.Combine(root, project), "<Project />");
        }
        File.WriteAllText(Path.Combine(root, "all.slnx"), """
            <Solution>
              <Folder Name="/src/">
                <Project Path="src/base/base.csproj" />
                <Project Path="src\web\web.csproj" />
              </Folder>
            </Solution>
            """);
        File.WriteAllText(Path.Combine(root, "all.sln"), """
            Microsoft Visual Studio Solution File, Format Version 12.00
            Project("{FAE04EC0-301F-11D3-BF4B-00C04F79EFBC}") = "base", "src\base\base.csproj", "{11111111-1111-1111-1111-111111111111}"
            EndProject
            Project("{FAE04EC0-301F-11D3-BF4B-00C04F79EFBC}") = "web", "src\web\web.csproj", "{22222222-2222-2222-2222-222222222222}"
            EndProject
            """);
        var expected = new[] { Path.Combine(root, "src", "base", "base.csproj"), Path.Combine(root, "src", "web", "web.csproj") };

        CollectionAssert.AreEqual(expected, ProjectDiscovery.Find(root), "obj/ is skipped");
        CollectionAssert.AreEqual(expected, ProjectDiscovery.Find(Path.Combine(root, "all.slnx")));
        CollectionAssert.AreEqual(expected, ProjectDiscovery.Find(Path.Combine(root, "all.sln")));
        Directory.Delete(root, recursive: true);
    }
}
