using System.Text.Json;
using Bakery.Core.Descriptors;
using Bakery.Core.Lifecycle;
using Bakery.Oci.Model;
using Bakery.Oci.Registry;
using Bakery.Tests.Infrastructure;

namespace Bakery.Tests.Integration;

/// <summary>
/// Lifecycle records in a real registry (CNCF Distribution 2.8: no referrers API, so the tag
/// fallback), written with the bakery tool, and every bake judging its base and ancestors by them.
/// </summary>
[TestClass]
[TestCategory("Integration")]
public sealed class LifecycleRegistryTests
{
    private static RegistryProcess s_registry = null!;
    private static BakeryWorkspace s_workspace = null!;

    [ClassInitialize]
    public static void Initialize(TestContext _)
    {
        s_registry = SharedRegistry.Instance;
        s_workspace = new BakeryWorkspace("lifecycle", pushTo: s_registry.Address);
    }

    [ClassCleanup]
    public static void Cleanup()
    {
        s_workspace?.Dispose();
    }

    private static ProcessResult Tool(params string[] args) => s_workspace.Tool(args);

    /// <summary>A global image and a team image on it, each with its package; returns the team package id.</summary>
    private static async Task<(TestImages.PushedImage Global, TestImages.PushedImage Team, string TeamId)> Chain(string name)
    {
        var global = await TestImages.PushBaseAsync(s_registry.Address, $"{name.ToLowerInvariant()}/global", name + "-global");
        var team = await TestImages.PushBaseAsync(s_registry.Address, $"{name.ToLowerInvariant()}/team", name + "-team");
        var far = DateTimeOffset.UtcNow.AddYears(1);
        s_workspace.AddBasePackage(BasePackageWriter.Descriptor($"Tests.{name}.Global", "1.0.0", global, expires: far));
        s_workspace.AddBasePackage(BasePackageWriter.Descriptor($"Tests.{name}.Team", "1.0.0", team, expires: far) with
        {
            Lineage = [new LineageEntry { Repository = $"{global.Registry}/{global.Repository}", Digest = global.Digest.ToString(), PackageId = $"Tests.{name}.Global", PackageVersion = "1.0.0" }],
        });
        return (global, team, $"Tests.{name}.Team");
    }

    [TestMethod]
    public async Task Records_are_appended_through_the_tag_fallback_and_the_newest_wins()
    {
        var image = await TestImages.PushBaseAsync(s_registry.Address, "life/records");
        var lifecycle = new RegistryLifecycle(new RegistryClientOptions());
        var start = DateTimeOffset.UtcNow;
        await lifecycle.WriteAsync(ImageReference.Parse(image.Reference), new LifecycleRecord { State = LifecycleRecord.Deprecated, Reason = "old", Created = start });
        await lifecycle.WriteAsync(ImageReference.Parse(image.Reference), new LifecycleRecord { State = LifecycleRecord.Revoked, Reason = "CVE-2026-0001", Created = start.AddSeconds(1) });
        await lifecycle.WriteAsync(ImageReference.Parse(image.Reference), new LifecycleRecord { State = LifecycleRecord.Active, Reason = "false alarm", Created = start.AddSeconds(2) });

        var history = await lifecycle.HistoryAsync(ImageReference.Parse(image.Reference));
        CollectionAssert.AreEqual(new[] { "deprecated", "revoked", "active" }, history.Select(r => r.State).ToArray());
        var newest = (await lifecycle.NewestAsync([ImageReference.Parse(image.Reference)])).Single();
        var verdict = LifecycleJudge.Judge(LifecycleSubject.Of(ImageReference.Parse(image.Reference)), null, newest, DateTimeOffset.UtcNow, new LifecyclePolicy());
        Assert.AreEqual(LifecycleState.Supported, verdict.State, "restore is newest");

        using var client = new RegistryClient(s_registry.Address);
        CollectionAssert.Contains((await client.ListTagsAsync("life/records")).ToList(), RegistryClient.FallbackTag(image.Digest),
            "Distribution 2.8 has no referrers API: the sha256-<hex> fallback index is kept");
        var index = (await client.GetManifestAsync("life/records", RegistryClient.FallbackTag(image.Digest))).Parse();
        Assert.HasCount(3, index.Manifests!);
        var artifact = (await client.GetManifestAsync("life/records", index.Manifests![0].Digest)).Parse();
        Assert.AreEqual(image.Digest.ToString(), artifact.Subject!.Digest, "each record refers to the image manifest");
        Assert.AreEqual(LifecycleRecord.ArtifactType, artifact.ArtifactType);
    }

    [TestMethod]
    public async Task Tool_deprecates_and_the_next_bake_fails_with_BAKE102_unless_downgraded()
    {
        var (_, team, teamId) = await Chain("Dep");
        var app = s_workspace.CreateProject("depapp", BakeryWorkspace.BaseReference(teamId, "1.0.0"));
        Assert.AreEqual(0, s_workspace.Bake(app, "BakeryBuildId=1").ExitCode);

        var deprecate = Tool("lifecycle", "deprecate", team.Reference, "--reason", "moving to 2.0", "--successor", $"{teamId} 2.0.0", "--json");
        Assert.AreEqual(0, deprecate.ExitCode, deprecate.Output);
        using (var doc = JsonDocument.Parse(deprecate.Output)) Assert.AreEqual("deprecated", doc.RootElement.GetProperty("record").GetProperty("state").GetString());

        var show = Tool("lifecycle", "show", $"{teamId}/1.0.0", "--json");
        Assert.AreEqual(3, show.ExitCode, "not in good standing: " + show.Output);
        using (var doc = JsonDocument.Parse(show.Output)) Assert.AreEqual("deprecated", doc.RootElement.GetProperty("state").GetString());

        var failing = s_workspace.Bake(app, "BakeryBuildId=2");
        Assert.AreNotEqual(0, failing.ExitCode, failing.Output);
        StringAssert.Contains(failing.Output, "error BAKE102");
        StringAssert.Contains(failing.Output, "moving to 2.0");
        StringAssert.Contains(failing.Output, $"{teamId} 2.0.0");
        var warned = s_workspace.Bake(app, "BakeryBuildId=3", "BakeryDeprecatedBaseImage=Warning");
        Assert.AreEqual(0, warned.ExitCode, warned.Output);
        StringAssert.Contains(warned.Output, "warning BAKE102");
    }

    [TestMethod]
    public async Task Tool_restore_puts_a_deprecated_image_back_in_good_standing_and_keeps_the_history()
    {
        var (global, _, _) = await Chain("Res");
        Assert.AreEqual(0, Tool("lifecycle", "deprecate", global.Reference, "--reason", "mistake").ExitCode);
        Assert.AreEqual(3, Tool("lifecycle", "show", global.Reference).ExitCode, "deprecated is not good standing");
        var restore = Tool("lifecycle", "restore", global.Reference, "--reason", "deprecated by mistake", "--json");
        Assert.AreEqual(0, restore.ExitCode, restore.Output);
        StringAssert.Contains(restore.Output, "\"active\"");
        var show = Tool("lifecycle", "show", global.Reference, "--json");
        Assert.AreEqual(0, show.ExitCode, show.Output);
        using var doc = System.Text.Json.JsonDocument.Parse(show.Output);
        Assert.AreEqual("supported", doc.RootElement.GetProperty("state").GetString());
        CollectionAssert.AreEqual(new[] { "deprecated", "active" },
            doc.RootElement.GetProperty("history").EnumerateArray().Select(r => r.GetProperty("state").GetString()).ToArray());
    }

    [TestMethod]
    public async Task Revoking_an_ancestor_fails_every_descendant_with_BAKE103_naming_it()
    {
        var (global, _, teamId) = await Chain("Rev");
        var app = s_workspace.CreateProject("revapp", BakeryWorkspace.BaseReference(teamId, "1.0.0"));
        Assert.AreEqual(0, s_workspace.Bake(app, "BakeryBuildId=1").ExitCode);

        var missingReason = Tool("lifecycle", "revoke", global.Reference);
        Assert.AreEqual(1, missingReason.ExitCode, missingReason.Output);
        var revoke = Tool("lifecycle", "revoke", global.Reference, "--reason", "CVE-2026-1234 in openssl");
        Assert.AreEqual(0, revoke.ExitCode, revoke.Output);

        var result = s_workspace.Bake(app, "BakeryBuildId=2");
        Assert.AreNotEqual(0, result.ExitCode, result.Output);
        StringAssert.Contains(result.Output, "error BAKE103");
        StringAssert.Contains(result.Output, "Tests.Rev.Global 1.0.0");
        StringAssert.Contains(result.Output, $"an ancestor of {teamId} 1.0.0");
        StringAssert.Contains(result.Output, "CVE-2026-1234");
        StringAssert.Contains(result.Output, $"Your project references {teamId} 1.0.0", "the advice is about the package the project references");
        StringAssert.Contains(result.Output, $"no version of {teamId} in your feeds is built on a newer base yet");
        using var client = new RegistryClient(s_registry.Address);
        CollectionAssert.DoesNotContain((await client.ListTagsAsync("tests/revapp")).ToList(), "1.0.0-build.2");

        // The team bakery rebuilds on a fixed global: the advice names that version.
        var fixedGlobal = await TestImages.PushBaseAsync(s_registry.Address, "rev/global", "Rev-global-fixed");
        var team = (await TestImages.PushBaseAsync(s_registry.Address, "rev/team", "Rev-team-rebuilt"));
        s_workspace.AddBasePackage(BasePackageWriter.Descriptor(teamId, "1.0.1", team, expires: DateTimeOffset.UtcNow.AddYears(1)) with
        {
            Lineage = [new LineageEntry { Repository = $"{fixedGlobal.Registry}/{fixedGlobal.Repository}", Digest = fixedGlobal.Digest.ToString(), PackageId = "Tests.Rev.Global", PackageVersion = "1.0.1" }],
        });
        var advised = s_workspace.Bake(app, "BakeryBuildId=2");
        Assert.AreNotEqual(0, advised.ExitCode, advised.Output);
        StringAssert.Contains(advised.Output, $"update that reference to {teamId} 1.0.1");

        var offline = s_workspace.Bake(app, "BakeryBuildId=3", "BakeryOffline=true");
        Assert.AreEqual(0, offline.ExitCode, offline.Output);
        StringAssert.Contains(offline.Output, "warning BAKE121");
    }

    [TestMethod]
    public async Task Expire_sets_an_end_of_life_that_fails_bakes_with_BAKE101()
    {
        var (_, team, teamId) = await Chain("Exp");
        var expire = Tool("lifecycle", "expire", team.Reference, "--date", DateTimeOffset.UtcNow.AddDays(-1).ToString("yyyy-MM-dd"));
        Assert.AreEqual(0, expire.ExitCode, expire.Output);
        var app = s_workspace.CreateProject("expapp", BakeryWorkspace.BaseReference(teamId, "1.0.0"));
        var result = s_workspace.Bake(app, "BakeryBuildId=1");
        Assert.AreNotEqual(0, result.ExitCode, result.Output);
        StringAssert.Contains(result.Output, "error BAKE101");
    }

    [TestMethod]
    public async Task Inspect_shows_layers_labels_and_lifecycle_and_bad_input_is_exit_code_1()
    {
        var image = await TestImages.PushBaseAsync(s_registry.Address, "life/inspect", "inspected");
        var inspect = Tool("inspect", $"{s_registry.Address}/life/inspect:1.0", "--json");
        Assert.AreEqual(0, inspect.ExitCode, inspect.Output);
        using var doc = JsonDocument.Parse(inspect.Output);
        Assert.AreEqual($"{s_registry.Address}/life/inspect@{image.Digest}", doc.RootElement.GetProperty("image").GetString());
        Assert.AreEqual(1, doc.RootElement.GetProperty("layers").GetArrayLength());
        Assert.AreEqual("inspected", doc.RootElement.GetProperty("labels").GetProperty("org.example.base").GetString());
        Assert.AreEqual("supported", doc.RootElement.GetProperty("lifecycle").GetProperty("state").GetString());

        var table = Tool("inspect", image.Reference);
        Assert.AreEqual(0, table.ExitCode, table.Output);
        StringAssert.Contains(table.Output, "org.example.base");

        Assert.AreEqual(1, Tool("inspect", "not an image").ExitCode);
        Assert.AreEqual(2, Tool("inspect", $"localhost:{RegistryProcess.FreePort()}/gone@{image.Digest}").ExitCode, "an unreachable registry is exit code 2");
    }

    [TestMethod]
    public async Task Upstream_compare_puts_candidates_side_by_side_and_flags_a_bad_history()
    {
        var good = await TestImages.PushBaseAsync(s_registry.Address, "life/upstream-good", "good");
        var bad = await TestImages.PushBaseAsync(s_registry.Address, "life/upstream-bad", "bad", editConfig: c => c.Remove("history"));
        var result = Tool("upstream", "compare", good.Reference, bad.Reference, "--json");
        Assert.AreEqual(3, result.ExitCode, result.Output);
        using var doc = JsonDocument.Parse(result.Output);
        var rows = doc.RootElement.EnumerateArray().ToList();
        Assert.IsTrue(rows[0].GetProperty("isValid").GetBoolean());
        Assert.IsFalse(rows[1].GetProperty("isValid").GetBoolean());
        StringAssert.Contains(rows[1].GetProperty("problems")[0].GetString(), "no history");
        Assert.AreEqual(1, rows[0].GetProperty("layerCount").GetInt32());
    }

    [TestMethod]
    public async Task Outdated_lists_projects_with_their_state_and_newest_version_and_bakes_warn_BAKE110()
    {
        var (global, team, teamId) = await Chain("Out");
        s_workspace.AddBasePackage(BasePackageWriter.Descriptor(teamId, "1.1.0", team, expires: DateTimeOffset.UtcNow.AddYears(1)));
        var onOld = s_workspace.CreateProject("outold", BakeryWorkspace.BaseReference(teamId, "1.0.0"));
        var noBase = s_workspace.CreateProject("outnone");
        foreach (var dir in new[] { onOld, noBase }) Assert.AreEqual(0, s_workspace.Dotnet("restore", dir, []).ExitCode);
        var solution = Path.Combine(s_workspace.Root, "outdated.sln");
        File.WriteAllText(solution, $$"""
            Microsoft Visual Studio Solution File, Format Version 12.00
            Project("{FAE04EC0-301F-11D3-BF4B-00C04F79EFBC}") = "outold", "outold{{Path.DirectorySeparatorChar}}outold.csproj", "{11111111-1111-1111-1111-111111111111}"
            EndProject
            Project("{FAE04EC0-301F-11D3-BF4B-00C04F79EFBC}") = "outnone", "outnone{{Path.DirectorySeparatorChar}}outnone.csproj", "{22222222-2222-2222-2222-222222222222}"
            EndProject
            """);

        var bake = s_workspace.Bake(onOld, "BakeryBuildId=1");
        Assert.AreEqual(0, bake.ExitCode, bake.Output);
        StringAssert.Contains(bake.Output, "warning BAKE110");
        StringAssert.Contains(bake.Output, "within the allowed range '1.0.0' is available: 1.1.0");

        var pinned = s_workspace.CreateProject("outpinned", BakeryWorkspace.BaseReference(teamId, "[1.0.0, 1.1.0)"));
        var quiet = s_workspace.Bake(pinned, "BakeryBuildId=1");
        Assert.AreEqual(0, quiet.ExitCode, quiet.Output);
        Assert.DoesNotContain("BAKE110", quiet.Output, "1.1.0 is outside the project's range");
        StringAssert.Contains(quiet.Output, "1.1.0 is available, outside this project's range '[1.0.0, 1.1.0)'");

        await new RegistryLifecycle(new RegistryClientOptions()).WriteAsync(ImageReference.Parse(global.Reference),
            new LifecycleRecord { State = LifecycleRecord.Deprecated, Reason = "old openssl", Created = DateTimeOffset.UtcNow });
        var json = Tool("outdated", solution, "--json");
        Assert.AreEqual(0, json.ExitCode, json.Output);
        using var doc = JsonDocument.Parse(json.Output);
        var rows = doc.RootElement.EnumerateArray().ToDictionary(r => r.GetProperty("project").GetString()!);
        Assert.AreEqual(teamId, rows["outold"].GetProperty("package").GetString());
        Assert.AreEqual("deprecated", rows["outold"].GetProperty("state").GetString(), "the deprecated ancestor shows through");
        Assert.AreEqual("1.1.0", rows["outold"].GetProperty("newest").GetString());
        Assert.AreEqual("1.1.0", rows["outold"].GetProperty("newestInRange").GetString(), "'1.0.0' means 1.0.0 or later");
        Assert.IsTrue(rows["outold"].GetProperty("isOutdated").GetBoolean());
        Assert.IsGreaterThan(300, rows["outold"].GetProperty("daysToExpiry").GetInt32());
        Assert.IsFalse(rows["outnone"].TryGetProperty("package", out _), "a project without a base-image package has none");

        Assert.AreEqual(3, Tool("outdated", solution, "--fail-on", "outdated").ExitCode);
        Assert.AreEqual(3, Tool("outdated", solution, "--fail-on", "deprecated").ExitCode);
        Assert.AreEqual(0, Tool("outdated", solution, "--fail-on", "revoked").ExitCode);
        Assert.AreEqual(1, Tool("outdated", solution, "--fail-on", "someday").ExitCode);
        var markdown = Tool("outdated", Path.Combine(s_workspace.Root, "outold"), "--markdown", "--offline");
        Assert.AreEqual(0, markdown.ExitCode, markdown.Output);
        StringAssert.Contains(markdown.Output, "| Project | Base image package |");
        StringAssert.Contains(markdown.Output, "| outold | " + teamId);

        var graph = Tool("outdated", solution, "--markdown");
        Assert.AreEqual(0, graph.ExitCode, graph.Output);
        StringAssert.Contains(graph.Output, "```mermaid\nflowchart LR");
        StringAssert.Contains(graph.Output, $"[\"Tests.Out.Global 1.0.0\"]:::deprecated", "the deprecated ancestor is coloured by its state");
        StringAssert.Contains(graph.Output, $"[\"{teamId} 1.0.0\"]:::supported");
        StringAssert.Contains(graph.Output, "-.->|\"newer: 1.1.0\"|", "the outdated project's edge is marked");
        StringAssert.Contains(graph.Output, $"subgraph", "projects are grouped by the base they are on");

        var unrestored = s_workspace.CreateProject("outunrestored", BakeryWorkspace.BaseReference(teamId, "1.0.0"));
        var told = Tool("outdated", unrestored, "--json");
        Assert.AreEqual(0, told.ExitCode, told.Output);
        StringAssert.Contains(told.Output, "not restored: run 'dotnet restore outunrestored.csproj'");
        Assert.DoesNotContain("\"supported\"", told.Output, "an unrestored project's state is unknown, not supported");
    }

    [TestMethod]
    public async Task Verify_runs_structure_tests_against_any_image_with_reports_and_exit_codes()
    {
        var image = await TestImages.PushBaseAsync(s_registry.Address, "life/verify", "verified-marker");
        var good = Path.Combine(s_workspace.Root, "good.yaml");
        File.WriteAllText(good, "schemaVersion: 2.0.0\nfileContentTests:\n  - name: marker\n    path: /etc/os-release\n    expectedContents: ['MARKER=verified-marker']\nmetadataTest:\n  user: '1654'\n");
        var bad = Path.Combine(s_workspace.Root, "bad.yaml");
        File.WriteAllText(bad, "schemaVersion: 2.0.0\nfileExistenceTests:\n  - name: shell\n    path: /bin/sh\n    shouldExist: true\n");
        var reports = Path.Combine(s_workspace.Root, "verify-reports");

        var passing = Tool("verify", image.Reference, "--policy", good, "--report-directory", reports);
        Assert.AreEqual(0, passing.ExitCode, passing.Output);
        StringAssert.Contains(passing.Output, "passed");
        StringAssert.Contains(File.ReadAllText(Path.Combine(reports, "bakery-verify-junit.xml")), "name=\"marker\"");

        var failing = Tool("verify", image.Reference, "--policy", good, bad, "--json");
        Assert.AreEqual(3, failing.ExitCode, failing.Output);
        using var doc = JsonDocument.Parse(failing.Output);
        Assert.IsFalse(doc.RootElement.GetProperty("passed").GetBoolean());
        var failure = doc.RootElement.GetProperty("checks").EnumerateArray().Single(c => !c.GetProperty("passed").GetBoolean());
        Assert.AreEqual("/bin/sh does not exist", failure.GetProperty("failure").GetString());

        var privileged = Path.Combine(s_workspace.Root, "privileged.yaml");
        File.WriteAllText(privileged, "schemaVersion: 2.0.0\ncommandTests:\n  - name: sysctl\n    command: sysctl\n    args: ['-a']\ncontainerRunOptions:\n  privileged: true\n");
        var refused = Tool("verify", image.Reference, "--policy", privileged, "--command-tests", "false");
        Assert.AreEqual(1, refused.ExitCode, refused.Output);
        StringAssert.Contains(refused.Output, "BAKE300");
        StringAssert.Contains(refused.Output, "--allow-privileged");
        var allowed = Tool("verify", image.Reference, "--policy", privileged, "--command-tests", "false", "--allow-privileged");
        Assert.AreEqual(0, allowed.ExitCode, allowed.Output);
        StringAssert.Contains(allowed.Output, "skipped");
    }

    [TestMethod]
    public async Task Outdated_reads_projects_with_central_package_management_and_lock_files()
    {
        var (_, team, teamId) = await Chain("Cpm");
        s_workspace.AddBasePackage(BasePackageWriter.Descriptor(teamId, "1.2.0", team, expires: DateTimeOffset.UtcNow.AddYears(1)));
        var tree = Path.Combine(s_workspace.Root, "cpm-tree");
        Directory.CreateDirectory(tree);
        File.WriteAllText(Path.Combine(tree, "Directory.Packages.props"), $$"""
            <Project>
              <PropertyGroup><ManagePackageVersionsCentrally>true</ManagePackageVersionsCentrally></PropertyGroup>
              <ItemGroup><PackageVersion Include="{{teamId}}" Version="1.0.0" /></ItemGroup>
            </Project>
            """);
        var app = Path.Combine(tree, "cpmapp");
        Directory.CreateDirectory(app);
        File.WriteAllText(Path.Combine(app, "cpmapp.csproj"), $$"""
            <Project Sdk="Bakery.Sdk">
              <PropertyGroup>
                <OutputType>Exe</OutputType>
                <TargetFramework>net10.0</TargetFramework>
                <RestorePackagesWithLockFile>true</RestorePackagesWithLockFile>
              </PropertyGroup>
              <ItemGroup><PackageReference Include="{{teamId}}" /></ItemGroup>
            </Project>
            """);
        File.WriteAllText(Path.Combine(app, "Program.cs"), "System.Console.WriteLine(1);\n");
        var restore = s_workspace.Dotnet("restore", app, []);
        Assert.AreEqual(0, restore.ExitCode, restore.Output);
        Assert.IsTrue(File.Exists(Path.Combine(app, "packages.lock.json")), "the lock file pins the base-image package");

        var result = Tool("outdated", tree, "--json", "--fail-on", "outdated");
        Assert.AreEqual(3, result.ExitCode, result.Output);
        using var doc = JsonDocument.Parse(result.Output);
        var row = doc.RootElement.EnumerateArray().Single();
        Assert.AreEqual("cpmapp", row.GetProperty("project").GetString());
        Assert.AreEqual("1.0.0", row.GetProperty("version").GetString(), "the centrally managed, locked version");
        Assert.AreEqual("1.2.0", row.GetProperty("newest").GetString());
        Assert.AreEqual("1.2.0", row.GetProperty("newestInRange").GetString(), "the range comes from the central PackageVersion");
    }

    [TestMethod]
    public async Task Without_a_folder_feed_holding_the_package_BAKE110_reads_the_registrys_tags()
    {
        var (_, team, teamId) = await Chain("Tags");
        var app = s_workspace.CreateProject("tagsapp", BakeryWorkspace.BaseReference(teamId, "1.0.0"));
        Assert.AreEqual(0, s_workspace.Dotnet("restore", app, []).ExitCode);
        File.Delete(Path.Combine(s_workspace.Feed, $"{teamId}.1.0.0.nupkg")); // as with an HTTP feed: nothing to list in a folder
        using (var client = new RegistryClient(s_registry.Address))
        {
            var manifest = await client.GetManifestAsync(team.Repository, team.Digest.ToString());
            foreach (var tag in new[] { "1.0.0", "1.0.0-build.3", "1.1.0-build.9", "1.1.0-rc.1", "nightly" })
                await client.PutManifestAsync(team.Repository, tag, manifest.Bytes, manifest.MediaType);
        }

        var bake = s_workspace.Bake(app, "BakeryBuildId=1");

        Assert.AreEqual(0, bake.ExitCode, bake.Output);
        StringAssert.Contains(bake.Output, "warning BAKE110");
        StringAssert.Contains(bake.Output, "is available: 1.1.0.9 (this project uses 1.0.0)");
        StringAssert.Contains(bake.Output, $"Seen in the tags of {s_registry.Address}/tags/team");
    }
}
