using Bakery.Core;
using Bakery.Core.Verification;

namespace Bakery.Tests.Unit;

/// <summary>container-structure-test v2 files load as CST's strict yaml.v2 decoding loads them, and refuse what it refuses, with file and line.</summary>
[TestClass]
public sealed class StructureTestParserTests
{
    private static StructureTestFile Parse(string yaml, bool allowPrivileged = false, string path = "cst.yaml") =>
        StructureTestParser.Parse(yaml, path, allowPrivileged: allowPrivileged);

    private static BakeryException Refused(string yaml, bool allowPrivileged = false) =>
        Assert.ThrowsExactly<BakeryException>(() => Parse(yaml, allowPrivileged));

    [TestMethod]
    public void Every_v2_key_loads()
    {
        var file = Parse("""
            schemaVersion: '2.0.0'
            globalEnvVars:
              - key: VIRTUAL_ENV
                value: /env
              - key: PATH
                value: /env/bin:$PATH
            commandTests:
              - name: gunicorn
                setup: [["virtualenv", "/env"], ["pip", "install", "gunicorn"]]
                teardown: [["rm", "-rf", "/env"]]
                envVars:
                  - key: PIP_NO_CACHE_DIR
                    value: "1"
                command: which
                args: [gunicorn]
                expectedOutput: ["/env/bin/gunicorn"]
                excludedOutput: ["not found"]
                expectedError: []
                excludedError: [".*FAIL.*"]
                exitCode: 0
            fileExistenceTests:
              - name: Root
                path: /
                shouldExist: true
                permissions: drwxr-xr-x
                uid: 0
                gid: 0
                isExecutableBy: any
            fileContentTests:
              - name: sources
                path: /etc/apt/sources.list
                expectedContents: ['.*httpredir\.debian\.org.*']
                excludedContents: ['.*gce_debian_mirror.*']
            metadataTest:
              envVars:
                - key: foo
                  value: baz
              unboundEnvVars:
                - key: SECRET
              labels:
                - key: build-date
                  value: '^\d{4}-\d{2}-\d{2}$'
                  isRegex: true
              exposedPorts: ["8080", "2345"]
              unexposedPorts: ["22"]
              volumes: ["/test"]
              unmountedVolumes: ["/root"]
              entrypoint: []
              cmd: ["/bin/bash"]
              workdir: /app
              user: luke
            licenseTests:
              - debian: true
                files: ["/foo/bar"]
            containerRunOptions:
              user: root
              allocateTty: true
              envVars: [SECRET_KEY_FOO]
              capabilities: [NET_BIND_SERVICE]
            """);

        Assert.HasCount(2, file.GlobalEnvVars);
        var command = file.Commands.Single();
        Assert.AreEqual("rm", command.Teardown[0][0]);
        Assert.AreEqual("1", command.EnvVars[0].Value);
        var metadata = file.Metadata!;
        CollectionAssert.AreEqual(new[] { "SECRET" }, metadata.UnboundEnvVars.ToArray());
        CollectionAssert.AreEqual(new[] { "22" }, metadata.UnexposedPorts.ToArray());
        CollectionAssert.AreEqual(new[] { "/root" }, metadata.UnmountedVolumes.ToArray());
        Assert.IsNotNull(metadata.Entrypoint);
        Assert.IsEmpty(metadata.Entrypoint, "entrypoint: [] means 'must be empty', not 'not checked'");
        Assert.IsTrue(metadata.Labels[0].IsRegex);
        Assert.AreEqual("root", file.RunOptions.User);
        Assert.IsTrue(file.RunOptions.AllocateTty);
        CollectionAssert.AreEqual(new[] { "NET_BIND_SERVICE" }, file.RunOptions.Capabilities.ToArray());
        Assert.IsEmpty(file.Warnings);
    }

    [TestMethod]
    [DataRow("~")]
    [DataRow("null")]
    [DataRow("Null")]
    [DataRow("NULL")]
    [DataRow("")]
    public void Null_in_any_spelling_means_not_checked(string nothing)
    {
        var file = Parse($"""
            schemaVersion: 2.0.0
            globalEnvVars: {nothing}
            fileExistenceTests:
              - name: x
                path: /x
                permissions: {nothing}
                isExecutableBy: {nothing}
            fileContentTests:
              - name: c
                path: /c
                expectedContents: {nothing}
            metadataTest:
              envVars: {nothing}
              exposedPorts: {nothing}
              entrypoint: {nothing}
              cmd: {nothing}
              workdir: {nothing}
              user: {nothing}
              labels: {nothing}
            commandTests:
              - name: c
                command: ls
                args: {nothing}
                setup: {nothing}
            """);
        Assert.IsNull(file.FileExistence[0].Permissions);
        Assert.IsNull(file.FileExistence[0].IsExecutableBy);
        Assert.IsEmpty(file.FileContent[0].ExpectedContents);
        Assert.IsNull(file.Metadata, "a metadataTest that checks nothing is not run, as in CST");
        Assert.IsEmpty(file.Commands[0].Args);
        Assert.IsEmpty(file.GlobalEnvVars);
    }

    [TestMethod]
    public void Numbers_and_bools_load_as_yaml_v2_decodes_them()
    {
        var file = Parse("""
            schemaVersion: 2.0.0
            fileExistenceTests:
              - { name: 1, path: /a, shouldExist: yes, uid: 0o1750, gid: 0x10 }
              - { name: b, path: /b, shouldExist: off, uid: 1_000, gid: -1 }
              - { name: c, path: /c, uid: 0644, gid: 1.9 }
              - { name: d, path: /d, shouldExist: True }
            metadataTest:
              user: 1654
              workdir: 0
              envVars:
                - key: DEBUG
                  value: false
              exposedPorts: [8080, 53/udp]
            commandTests:
              - name: exits
                command: sh
                args: [-c, exit 3, 42, true]
                exitCode: 3
            """);
        var f = file.FileExistence;
        Assert.AreEqual("1", f[0].Name, "a number for a string field is its text");
        Assert.IsTrue(f[0].ShouldExist);
        Assert.AreEqual(1000, f[0].Uid);
        Assert.AreEqual(16, f[0].Gid);
        Assert.IsFalse(f[1].ShouldExist);
        Assert.AreEqual(1000, f[1].Uid);
        Assert.IsNull(f[1].Gid, "-1 is CST's 'not checked'");
        Assert.AreEqual(420, f[2].Uid, "a leading 0 is octal in yaml.v2");
        Assert.AreEqual(1, f[2].Gid, "a float is truncated");
        Assert.IsTrue(f[3].ShouldExist);
        Assert.AreEqual("1654", file.Metadata!.User);
        Assert.AreEqual("0", file.Metadata.Workdir);
        Assert.AreEqual("false", file.Metadata.EnvVars[0].Value);
        CollectionAssert.AreEqual(new[] { "8080", "53/udp" }, file.Metadata.ExposedPorts.ToArray());
        CollectionAssert.AreEqual(new[] { "-c", "exit 3", "42", "true" }, file.Commands[0].Args.ToArray());
    }

    [TestMethod]
    public void Null_for_a_scalar_field_is_its_zero_value_as_in_yaml_v2()
    {
        var test = Parse("schemaVersion: 2.0.0\nfileExistenceTests:\n  - name: x\n    path: /x\n    shouldExist:\n    uid: ~\n").FileExistence[0];
        Assert.IsFalse(test.ShouldExist, "yaml.v2 sets false for a null bool");
        Assert.AreEqual(0, test.Uid, "yaml.v2 sets 0 for a null int, so ownership is checked against root");
        Assert.AreEqual(0, Parse("schemaVersion: 2.0.0\ncommandTests:\n  - name: x\n    command: ls\n    exitCode: null\n").Commands[0].ExitCode);
    }

    [TestMethod]
    public void Anchors_and_merge_keys_load()
    {
        var file = Parse("""
            schemaVersion: 2.0.0
            commandTests:
              - &base
                name: first
                command: ls
                args: [/]
              - <<: *base
                name: second
            """);
        Assert.AreEqual("second", file.Commands[1].Name);
        Assert.AreEqual("ls", file.Commands[1].Command);
    }

    [TestMethod]
    public void Names_older_CST_used_load_with_a_warning_naming_the_new_key()
    {
        var file = Parse("""
            schemaVersion: 2.0.0
            metadataTest:
              env:
                - key: MODE
                  value: prod
              unboundEnv:
                - key: DEBUG
            """, path: "old.yaml");
        Assert.AreEqual("MODE", file.Metadata!.EnvVars[0].Key);
        Assert.AreEqual("DEBUG", file.Metadata.UnboundEnvVars[0]);
        Assert.HasCount(2, file.Warnings);
        Assert.IsTrue(file.Warnings.All(w => w.Code == "BAKE335" && !w.IsError));
        StringAssert.Contains(file.Warnings[0].Message, "old.yaml line 3: 'env' is the name container-structure-test used before 1.13; it is now 'envVars'");
        StringAssert.Contains(file.Warnings[1].Message, "'unboundEnvVars'");

        var both = Refused("schemaVersion: 2.0.0\nmetadataTest:\n  env: []\n  envVars: []\n");
        StringAssert.Contains(both.Message, "'env' (line 3) and 'envVars' are the same key");
    }

    [TestMethod]
    [DataRow("fileExistenceTests:\n  - name: x\n    path: /x\n    shoudExist: true\n", 4, "unknown key 'shoudExist' in a fileExistenceTests entry; did you mean 'shouldExist'?")]
    [DataRow("fileExistenceTests:\n  - name: x\n    Path: /x\n", 3, "did you mean 'path'?")]
    [DataRow("fileExistenceTest:\n  - name: x\n", 1, "did you mean 'fileExistenceTests'?")]
    [DataRow("metadataTest:\n  exposedPort: ['80']\n", 2, "did you mean 'exposedPorts'?")]
    [DataRow("metadataTest:\n  expectedOutput: ['80']\n", 2, "'expectedOutput' is a key of another section")]
    [DataRow("commandTests:\n  - name: x\n    command: ls\n    envVars:\n      - name: A\n        value: b\n", 5, "unknown key 'name' in an entry of 'envVars'")]
    [DataRow("containerRunOptions:\n  capabilites: [NET_ADMIN]\n", 2, "did you mean 'capabilities'?")]
    public void Unknown_keys_are_BAKE300_with_line_and_a_suggestion(string body, int line, string message)
    {
        var error = Refused("schemaVersion: 2.0.0\n" + body);
        Assert.AreEqual("BAKE300", error.Code);
        StringAssert.Contains(error.Message, $"cst.yaml is not valid at line {line + 1}");
        StringAssert.Contains(error.Message, message);
    }

    [TestMethod]
    [DataRow("fileExistenceTests: nope\n", "'fileExistenceTests' in the document must be a list of fileExistenceTests entries, not a single value")]
    [DataRow("fileExistenceTests:\n  - just a string\n", "must be a mapping (fileExistenceTests entry), not a single value")]
    [DataRow("commandTests:\n  - name: x\n    command: ls\n    exitCode: zero\n", "'exitCode' in a commandTests entry must be a whole number, not 'zero'")]
    [DataRow("commandTests:\n  - name: x\n    command: [ls, -l]\n", "'command' in a commandTests entry must be a single value, not a list")]
    [DataRow("commandTests:\n  - name: x\n    command: ls\n    args: -l\n", "'args' in a commandTests entry must be a list of strings, not a single value")]
    [DataRow("commandTests:\n  - name: x\n    command: ls\n    setup: [touch, /x]\n", "must be a list of strings like")]
    [DataRow("commandTests:\n  - name: x\n    command: ls\n    setup: [[]]\n", "a 'setup' command in a commandTests entry is empty")]
    [DataRow("commandTests:\n  - name: x\n    command: ls\n    envVars:\n      - key: A\n", "'value' is required")]
    [DataRow("fileExistenceTests:\n  - name: x\n    path: /x\n    shouldExist: maybe\n", "must be true or false, not 'maybe'")]
    [DataRow("fileExistenceTests:\n  - name: x\n    path: /x\n    isExecutableBy: Owner\n", "did you mean 'owner'?")]
    [DataRow("fileExistenceTests:\n  - path: /x\n", "'name' is required")]
    [DataRow("metadataTest:\n  labels:\n    - value: x\n", "'key' is required")]
    [DataRow("metadataTest:\n  exposedPorts: ['']\n", "an entry of 'exposedPorts' in metadataTest is empty")]
    [DataRow("metadataTest: [a]\n", "'metadataTest' must be a mapping, not a list")]
    [DataRow("fileContentTests:\n  - name: x\n    path: /x\n    expectedContents: ['a(?=b)']\n", "not a valid RE2 regular expression")]
    [DataRow("fileExistenceTests:\n  - name: x\n    path: /x\n    name: y\n", "duplicate key 'name'")]
    [DataRow("schemaVersion: 2.0.0\n", "duplicate key 'schemaVersion'")]
    public void Type_duplicate_and_validation_errors_say_so(string body, string message)
    {
        var error = Refused("schemaVersion: 2.0.0\n" + body);
        Assert.AreEqual("BAKE300", error.Code);
        StringAssert.Contains(error.Message, message);
        Assert.DoesNotContain("unknown key", error.Message);
    }

    [TestMethod]
    public void Privileged_and_bind_mounts_are_refused_unless_allowed()
    {
        var privileged = Refused("schemaVersion: 2.0.0\ncontainerRunOptions:\n  privileged: true\n");
        Assert.AreEqual("BAKE300", privileged.Code);
        StringAssert.Contains(privileged.Message, "line 3");
        StringAssert.Contains(privileged.Message, "BakeryAllowPrivilegedCommandTests=true");
        var mounts = Refused("schemaVersion: 2.0.0\ncontainerRunOptions:\n  bindMounts: ['/etc:/host-etc']\n");
        StringAssert.Contains(mounts.Message, "/etc:/host-etc");

        var allowed = Parse("schemaVersion: 2.0.0\ncontainerRunOptions:\n  privileged: true\n  bindMounts: ['/tmp/x:/x']\n", allowPrivileged: true);
        Assert.IsTrue(allowed.RunOptions.NeedsPrivilege);
        Assert.IsFalse(Parse("schemaVersion: 2.0.0\ncontainerRunOptions:\n  privileged: false\n").RunOptions.NeedsPrivilege);
    }

    [TestMethod]
    public void An_env_file_is_read_next_to_the_verification_file()
    {
        var dir = Directory.CreateTempSubdirectory("bakery-envfile-").FullName;
        try
        {
            File.WriteAllText(Path.Combine(dir, "envfile"), "FOO=keepitsecret!\nBAR=keepitsafe!");
            var yaml = Path.Combine(dir, "policy.yaml");
            File.WriteAllText(yaml, "schemaVersion: 2.0.0\ncontainerRunOptions:\n  envFile: envfile\n");
            var options = StructureTestParser.Load(yaml).RunOptions;
            Assert.AreEqual(Path.Combine(dir, "envfile"), options.EnvFile);
            CollectionAssert.AreEqual(new[] { "FOO=keepitsecret!", "BAR=keepitsafe!" }, options.EnvFileEntries.Select(e => $"{e.Key}={e.Value}").ToArray());

            File.WriteAllText(yaml, "schemaVersion: 2.0.0\ncontainerRunOptions:\n  envFile: missing.env\n");
            var missing = Assert.ThrowsExactly<BakeryException>(() => StructureTestParser.Load(yaml));
            StringAssert.Contains(missing.Message, "envFile missing.env does not exist");
        }
        finally { Directory.Delete(dir, recursive: true); }
    }

    [TestMethod]
    public void Unsupported_schema_and_non_mapping_documents_are_refused_and_empty_ones_check_nothing()
    {
        StringAssert.Contains(Refused("schemaVersion: 1.0.0\n").Message, "schemaVersion 1.0.0 is not supported");
        StringAssert.Contains(Refused("- a\n- b\n").Message, "must be a mapping");
        var empty = Parse("");
        Assert.IsEmpty(empty.FileExistence);
        Assert.IsNull(empty.Metadata);
    }
}
