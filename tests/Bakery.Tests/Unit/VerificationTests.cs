using System.Text;
using Bakery.Core;
using Bakery.Core.Verification;
using Bakery.Oci.Model;
using Bakery.Tests.Infrastructure;

namespace Bakery.Tests.Unit;

/// <summary>Structure-test parsing and the daemonless checks on a merged filesystem built from crafted layers.</summary>
[TestClass]
public sealed class VerificationTests
{
    private string _dir = null!;

    [TestInitialize]
    public void Create() => _dir = Directory.CreateTempSubdirectory("bakery-verify-").FullName;

    [TestCleanup]
    public void Delete() => Directory.Delete(_dir, recursive: true);

    private (string, string) Layer(string name, RawTar tar)
    {
        var path = Path.Combine(_dir, name);
        File.WriteAllBytes(path, RawTar.Gzip(tar.Build()));
        return (Digest.Compute(File.ReadAllBytes(path)).ToString(), path);
    }

    private ImageFilesystem Filesystem() => ImageFilesystem.Load(
    [
        Layer("base", new RawTar()
            .Entry("etc/", '5', mode: 493).File("etc/os-release", "ID=debian\nVERSION=12\n").File("etc/issue", "Debian")
            .Entry("usr/", '5').Entry("usr/bin/", '5').Entry("usr/bin/tool", '0', Encoding.UTF8.GetBytes("#!/bin/sh"), mode: 493)
            .Entry("opt/", '5').File("opt/old/a.txt", "a").File("opt/old/b.txt", "b")
            .Entry("usr/share/doc/libfoo/", '5').File("usr/share/doc/libfoo/copyright", "MIT").Entry("usr/share/doc/libbar/", '5')
            .Entry("etc/alternatives/", '5').Entry("etc/alternatives/editor", '2', link: "/usr/bin/tool")),
        Layer("top", new RawTar()
            .File("etc/.wh.issue", "")
            .File("opt/old/.wh..wh..opq", "").File("opt/old/c.txt", "c")
            .Entry("usr/local/bin/editor", '2', link: "../../../etc/alternatives/editor")
            .Entry("app/", '5', mode: 493).Entry("app/run.sh", '0', Encoding.UTF8.GetBytes("echo hi"), mode: 448,
                beforeChecksum: h => RawTar.Put(h, 108, 8, "0002322"))),
    ], Path.Combine(_dir, "index"));

    [TestMethod]
    public void Whiteouts_opaque_folders_and_symlinks_are_applied_inside_the_image()
    {
        var fs = Filesystem();
        Assert.IsNull(fs.Resolve("/etc/issue"), "whited out");
        Assert.IsNotNull(fs.Resolve("/etc/os-release"));
        Assert.IsNull(fs.Resolve("/opt/old/a.txt"), "opaque folder hides lower contents");
        Assert.IsNotNull(fs.Resolve("/opt/old/c.txt"));
        var editor = fs.Resolve("/usr/local/bin/editor");
        Assert.AreEqual("usr/bin/tool", editor!.Path, "two links, one relative and one absolute, resolved against the image root");
        Assert.AreEqual("ID=debian\nVERSION=12\n", Encoding.UTF8.GetString(fs.ReadFile(fs.Resolve("etc/os-release")!)!));
        Assert.AreEqual(1234, fs.Resolve("/app/run.sh")!.Uid);
    }

    [TestMethod]
    public void Structure_checks_pass_and_fail_with_the_exact_finding()
    {
        var yaml = """
            schemaVersion: 2.0.0
            fileExistenceTests:
              - name: tool
                path: /usr/local/bin/editor
                shouldExist: true
                permissions: Lrwxrwxrwx
                isExecutableBy: any
              - name: tool target
                path: /usr/bin/tool
                permissions: -rwxr-xr-x
              - name: issue gone
                path: /etc/issue
                shouldExist: false
              - name: run.sh owner
                path: /app/run.sh
                uid: 0
              - name: run.sh for others
                path: /app/run.sh
                isExecutableBy: other
            fileContentTests:
              - name: debian 12
                path: /etc/os-release
                expectedContents: ['(?m)^ID=debian$', 'VERSION=1\d']
                excludedContents: ['ubuntu']
              - name: not alpine
                path: /etc/os-release
                expectedContents: ['alpine']
            metadataTest:
              envVars:
                - key: MODE
                  value: prod
                - key: PATH
                  value: '^/usr'
                  isRegex: true
              labels:
                - key: team
                  value: web
              exposedPorts: ['8080']
              user: app
              workdir: /app
            licenseTests:
              - debian: true
            """;
        var file = StructureTestParser.Parse(yaml, "policy.yaml");
        var config = ImageConfig.Parse("""{"os":"linux","architecture":"amd64","config":{"User":"app","WorkingDir":"/app/","Env":["PATH=/usr/bin","MODE=dev"],"Labels":{"team":"web"},"ExposedPorts":{"8080/tcp":{}}}}"""u8);

        var results = StructureTestRunner.Run(file, Filesystem(), config).ToDictionary(r => r.Name);

        Assert.IsTrue(results["tool"].Passed, results["tool"].Failure);
        Assert.IsTrue(results["tool target"].Passed, results["tool target"].Failure);
        Assert.IsTrue(results["issue gone"].Passed);
        StringAssert.Contains(results["run.sh owner"].Failure, "uid 1234, expected 0");
        StringAssert.Contains(results["run.sh for others"].Failure, "not executable by other (mode -rwx------)");
        Assert.IsTrue(results["debian 12"].Passed, results["debian 12"].Failure);
        StringAssert.Contains(results["not alpine"].Failure, "/alpine/");
        StringAssert.Contains(results["metadata"].Failure, "environment variable MODE is 'dev', expected 'prod'");
        Assert.DoesNotContain("PATH", results["metadata"].Failure!);
        StringAssert.Contains(results["debian copyright files"].Failure, "/usr/share/doc/libbar has no copyright file");
    }

    [TestMethod]
    public void Unknown_keys_and_wrong_types_are_BAKE300_with_file_and_line()
    {
        var typo = Assert.ThrowsExactly<BakeryException>(() => StructureTestParser.Parse("schemaVersion: 2.0.0\nfileExistenceTests:\n  - name: x\n    path: /x\n    shoudExist: true\n", "typo.yaml"));
        Assert.AreEqual("BAKE300", typo.Code);
        StringAssert.Contains(typo.Message, "typo.yaml");
        StringAssert.Contains(typo.Message, "line 5");
        StringAssert.Contains(typo.Message, "shoudExist");
        Assert.AreEqual("BAKE300", Assert.ThrowsExactly<BakeryException>(() => StructureTestParser.Parse("fileExistenceTests: nope\n", "f.yaml")).Code);
        Assert.AreEqual("BAKE300", Assert.ThrowsExactly<BakeryException>(() => StructureTestParser.Parse("schemaVersion: 1.0.0\n", "f.yaml")).Code);
        StringAssert.Contains(Assert.ThrowsExactly<BakeryException>(() => StructureTestParser.Parse("commandTests:\n  - name: x\n    command: ls\n    exitCode: zero\n", "f.yaml")).Message, "exitCode");
    }

    [TestMethod]
    public void Existing_container_structure_test_files_parse_unchanged()
    {
        var file = StructureTestParser.Parse("""
            schemaVersion: '2.0.0'
            globalEnvVars:
              - key: VIRTUAL_ENV
                value: /env
            commandTests:
              - name: "apt-get upgrade"
                command: "apt-get"
                args: ["-qqs", "upgrade"]
                excludedOutput: [".*Inst.*Security.* | .*Security.*Inst.*"]
                excludedError: [".*Inst.*Security.* | .*Security.*Inst.*"]
              - name: "echo"
                setup: [["touch", "/tmp/x"]]
                command: "ls"
                args: ["/tmp/x"]
                expectedOutput: ["/tmp/x"]
            fileExistenceTests:
              - name: 'Root'
                path: '/'
                shouldExist: true
                permissions: 'drwxr-xr-x'
                uid: 0
                gid: 0
            """, "cst.yaml");
        Assert.HasCount(2, file.Commands);
        Assert.AreEqual("touch", file.Commands[1].Setup[0][0]);
        Assert.AreEqual("drwxr-xr-x", file.FileExistence[0].Permissions);
    }

    [TestMethod]
    public void Failures_map_to_BAKE301_303_or_305_by_origin()
    {
        var own = new CheckResult("own.yaml", "fileExistenceTests", "a", false, "missing");
        var command = new CheckResult("own.yaml", "commandTests", "b", false, "exit 1");
        var inherited = new CheckResult("global.yaml", "fileExistenceTests", "c", false, "missing", InheritedFrom: "Contoso.Global");
        Assert.AreEqual("BAKE301", Assert.ThrowsExactly<BakeryException>(() => ImageVerifier.ThrowOnFailures([own], "img")).Code);
        Assert.AreEqual("BAKE303", Assert.ThrowsExactly<BakeryException>(() => ImageVerifier.ThrowOnFailures([own, command], "img")).Code);
        var error = Assert.ThrowsExactly<BakeryException>(() => ImageVerifier.ThrowOnFailures([own, command, inherited], "img"));
        Assert.AreEqual("BAKE305", error.Code);
        StringAssert.Contains(error.Message, "Contoso.Global/global.yaml");
        ImageVerifier.ThrowOnFailures([own with { Passed = true, Failure = null }], "img");
    }
}
