using System.Text;
using Bakery.Core.Verification;
using Bakery.Oci.Model;
using Bakery.Tests.Infrastructure;

namespace Bakery.Tests.Unit;

/// <summary>
/// container-structure-test's own test configurations (tests/amd64/ubuntu_22_04_*.yaml, re-written
/// here) and one case per check kind, each run daemonless against an image built in the test so
/// that CST would pass it, each with a failing twin. The image is an Ubuntu-like tree with the
/// metadata of CST's Dockerfile.metadata.
/// </summary>
[TestClass]
public sealed class CstConformanceTests
{
    private static string s_dir = null!;
    private static ImageFilesystem s_fs = null!;
    private static ImageConfig s_config = null!;

    [ClassInitialize]
    public static void Build(TestContext _)
    {
        s_dir = Directory.CreateTempSubdirectory("bakery-cst-").FullName;
        static Action<byte[]> Owner(int uid, int gid) => h =>
        {
            RawTar.Put(h, 108, 8, Convert.ToString(uid, 8).PadLeft(7, '0'));
            RawTar.Put(h, 116, 8, Convert.ToString(gid, 8).PadLeft(7, '0'));
        };
        byte[] Text(string s) => Encoding.UTF8.GetBytes(s);
        var os = new RawTar()
            .Entry("bin", '2', link: "usr/bin")
            .Entry("etc/", '5', mode: 0b111_101_101)
            .Entry("etc/apt/", '5', mode: 0b111_101_101)
            .File("etc/apt/sources.list", "deb http://archive.ubuntu.com/ubuntu/ jammy main restricted\n")
            .Entry("etc/apt/apt.conf.d/", '5', mode: 0b111_101_101)
            .File("etc/apt/apt.conf.d/apt-retry", "Acquire::Retries 3;\n")
            .File("etc/passwd", "root:x:0:0:root:/root:/bin/bash\ndaemon:x:1:1:daemon:/usr/sbin:/usr/sbin/nologin\n")
            .File("etc/hosts", "127.0.0.1 localhost\n")
            .File("etc/machine-id", "")
            .Entry("etc/os-release", '2', link: "../usr/lib/os-release")
            .Entry("etc/alternatives/", '5', mode: 0b111_101_101)
            .Entry("etc/alternatives/awk", '2', link: "/usr/bin/mawk")
            .Entry("usr/", '5', mode: 0b111_101_101)
            .Entry("usr/lib/", '5', mode: 0b111_101_101)
            .File("usr/lib/os-release", "NAME=\"Ubuntu\"\nVERSION_ID=\"22.04\"\n")
            .Entry("usr/bin/", '5', mode: 0b111_101_101)
            .Entry("usr/bin/date", '0', Text("\x7fELF"), mode: 0b111_101_101)
            .Entry("usr/bin/passwd", '0', Text("\x7fELF"), mode: 0b100_111_101_101)
            .Entry("usr/bin/crontab", '0', Text("\x7fELF"), mode: 0b010_111_101_101, beforeChecksum: Owner(0, 107))
            .Entry("usr/share/", '5', mode: 0b111_101_101)
            .Entry("usr/share/doc/", '5', mode: 0b111_101_101)
            .Entry("usr/share/doc/dash/", '5', mode: 0b111_101_101)
            .File("usr/share/doc/dash/copyright", "This package is licensed under the BSD license.\n")
            .Entry("usr/share/doc/ubuntu-keyring/", '5', mode: 0b111_101_101)
            .File("usr/share/doc/ubuntu-keyring/copyright", "GPL-2+\n")
            .Entry("usr/share/doc/libgnutls30/", '5', mode: 0b111_101_101)
            .File("usr/share/doc/libgnutls30/copyright", "Parts are under the AGPL (CST allows this package by name).\n")
            .Entry("usr/share/doc/libc6", '2', link: "libc-bin")
            .Entry("tmp/", '5', mode: 0b001_111_111_111)
            .Entry("var/", '5', mode: 0b111_101_101)
            .Entry("var/mail/", '5', mode: 0b010_111_111_101, beforeChecksum: Owner(0, 8))
            .Entry("root/", '5', mode: 0b111_000_000)
            .Entry("opt/", '5', mode: 0b111_101_101)
            .File("opt/legacy", "old")
            .Build();
        var app = new RawTar()
            .File("opt/.wh.legacy", "")
            .Entry("app/", '5', mode: 0b111_101_101, beforeChecksum: Owner(1654, 1654))
            .Entry("app/run.sh", '0', Text("#!/bin/sh\nexec dotnet app.dll \"$@\"\n"), mode: 0b111_101_000, beforeChecksum: Owner(1654, 1654))
            .Entry("home/", '5', mode: 0b111_101_101)
            .Entry("home/app/", '5', mode: 0b111_101_101, beforeChecksum: Owner(1654, 1654))
            .Build();
        var layers = new[] { ("os", os), ("app", app) }.Select(l =>
        {
            var path = Path.Combine(s_dir, l.Item1 + ".tar.gz");
            File.WriteAllBytes(path, RawTar.Gzip(l.Item2));
            return (Digest.Compute(File.ReadAllBytes(path)).ToString(), path);
        }).ToList();
        s_fs = ImageFilesystem.Load(layers, Path.Combine(s_dir, "index"));
        // CST's Dockerfile.metadata, plus what an app image declares.
        s_config = ImageConfig.Parse("""
            {"os":"linux","architecture":"amd64","config":{
              "User":"app","WorkingDir":"/app",
              "Env":["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin","SOME_KEY=SOME_VAL","EMPTY_VAR=","FOO_BAR=FOO\\:BAR=BAZ","REGEX_VAR=test-2.1.8","APP_HOME=/app"],
              "Labels":{"localnet.localdomain.commit_hash":"0123456789abcdef0123456789abcdef01234567","localnet.my-domain.my-label":"my test label","label-with-empty-val":""},
              "ExposedPorts":{"8080/tcp":{},"53/udp":{}},
              "Volumes":{"/data":{}},
              "Entrypoint":["/app/run.sh"],
              "Cmd":["--serve"]}}
            """u8);
    }

    [ClassCleanup]
    public static void Cleanup() => Directory.Delete(s_dir, recursive: true);

    /// <summary>(name, yaml, failure): a null failure means every check passes; otherwise some check fails with that text.</summary>
    public static IEnumerable<object?[]> Cases =>
    [
        // tests/amd64/ubuntu_22_04_test.yaml (its daemonless part)
        ["cst ubuntu: files and contents", """
            fileContentTests:
            - name: 'Debian Sources'
              excludedContents: ['.*gce_debian_mirror.*']
              expectedContents: ['.*archive\.ubuntu\.com.*']
              path: '/etc/apt/sources.list'
            - name: 'Passwd file'
              expectedContents: ['root:x:0:0:root:/root:/bin/bash']
              path: '/etc/passwd'
            fileExistenceTests:
            - name: 'Root'
              path: '/'
              shouldExist: true
              uid: 0
              gid: 0
            - name: 'Date'
              path: '/bin/date'
              isExecutableBy: 'owner'
            - name: 'Hosts File'
              path: '/etc/hosts'
              shouldExist: true
            - name: 'Machine ID'
              path: '/etc/machine-id'
            - name: 'Dummy File'
              path: '/etc/dummy'
              shouldExist: false
            licenseTests:
            - debian: false
              files:
                - "/usr/share/doc/ubuntu-keyring/copyright"
                - "/usr/share/doc/dash/copyright"
            """, null],
        // tests/amd64/ubuntu_22_04_metadata_test.yaml, against Dockerfile.metadata's image
        ["cst metadata", """
            metadataTest:
              envVars:
              - key: 'SOME_KEY'
                value: 'SOME_VAL'
              - key: 'EMPTY_VAR'
                value: ''
              - key: 'FOO_BAR'
                value: 'FOO\:BAR=BAZ'
              - key: 'REGEX_VAR'
                value: '[a-z]+-2\.1\.*'
                isRegex: true
              unboundEnvVars:
              - key: 'BAR_FOO'
              labels:
              - key: 'localnet.localdomain.commit_hash'
                value: '0123456789abcdef0123456789abcdef01234567'
              - key: 'localnet.my-domain.my-label'
                value: 'my .+ label'
                isRegex: true
              - key: 'label-with-empty-val'
                value: ''
              unexposedPorts: ['80']
              unmountedVolumes: ['/root']
            """, null],
        // tests/amd64/ubuntu_22_04_failure_test.yaml: each daemonless check of it fails
        ["cst failure: Debian Sources", """
            fileContentTests:
            - name: 'Debian Sources'
              excludedContents: ['.*gce_debian_mirror.*']
              expectedContents: ['.*httpredir\.debian\.org.*']
              path: '/etc/apt/sources.list'
            """, "does not match /.*httpredir\\.debian\\.org.*/"],
        ["cst failure: Wrong Retry Policy", "fileContentTests:\n- name: 'Wrong Retry Policy'\n  expectedContents: ['Acquire::Retries 4;']\n  path: '/etc/apt/apt.conf.d/apt-retry'\n", "does not match /Acquire::Retries 4;/"],
        ["cst failure: Fake Dir", "fileExistenceTests:\n- name: 'Fake Dir'\n  path: '/foo/bar'\n  shouldExist: true\n", "/foo/bar does not exist"],
        ["cst failure: Wrong permissions", "fileExistenceTests:\n- name: 'Wrong permissions'\n  path: '/etc/apt/sources.list'\n  permissions: '-rwxrwxrwx'\n  shouldExist: true\n", "has permissions -rw-r--r--, expected -rwxrwxrwx"],

        // permissions: Go's FileMode.String() of an lstat
        ["symlink is itself", "fileExistenceTests:\n- {name: l, path: /bin, permissions: Lrwxrwxrwx}\n", null],
        ["symlink is itself (twin)", "fileExistenceTests:\n- {name: l, path: /bin, permissions: drwxr-xr-x}\n", "has permissions Lrwxrwxrwx"],
        ["through a symlinked folder", "fileExistenceTests:\n- {name: d, path: /bin/date, permissions: -rwxr-xr-x}\n", null],
        ["setuid", "fileExistenceTests:\n- {name: s, path: /usr/bin/passwd, permissions: urwxr-xr-x}\n", null],
        ["setuid (twin)", "fileExistenceTests:\n- {name: s, path: /usr/bin/passwd, permissions: -rwsr-xr-x}\n", "has permissions urwxr-xr-x, expected -rwsr-xr-x"],
        ["setgid file", "fileExistenceTests:\n- {name: g, path: /usr/bin/crontab, permissions: grwxr-xr-x, gid: 107}\n", null],
        ["setgid folder", "fileExistenceTests:\n- {name: g, path: /var/mail, permissions: dgrwxrwxr-x, gid: 8}\n", null],
        ["setgid folder (twin)", "fileExistenceTests:\n- {name: g, path: /var/mail, permissions: drwxrwsr-x}\n", "has permissions dgrwxrwxr-x"],
        ["sticky", "fileExistenceTests:\n- {name: t, path: /tmp, permissions: dtrwxrwxrwx}\n", null],
        ["sticky (twin)", "fileExistenceTests:\n- {name: t, path: /tmp, permissions: drwxrwxrwt}\n", "has permissions dtrwxrwxrwx"],
        ["private folder", "fileExistenceTests:\n- {name: r, path: /root/, permissions: drwx------}\n", null],

        // existence: lstat, whiteouts, dangling links
        ["dangling symlink exists", "fileExistenceTests:\n- {name: a, path: /etc/alternatives/awk, shouldExist: true, permissions: Lrwxrwxrwx}\n", null],
        ["dangling symlink exists (twin)", "fileExistenceTests:\n- {name: a, path: /etc/alternatives/awk, shouldExist: false}\n", "exists but should not"],
        ["whited out", "fileExistenceTests:\n- {name: w, path: /opt/legacy, shouldExist: false}\n", null],
        ["whited out (twin)", "fileExistenceTests:\n- {name: w, path: /opt/legacy}\n", "/opt/legacy does not exist"],

        // $VAR in paths, from the image's environment and globalEnvVars
        ["$VAR in a path", "fileExistenceTests:\n- {name: v, path: $APP_HOME/run.sh}\n- {name: b, path: '${APP_HOME}/run.sh'}\n", null],
        ["$VAR in a path (twin)", "fileExistenceTests:\n- {name: v, path: $UNSET_HOME/run.sh}\n", "$UNSET_HOME/run.sh (/run.sh) does not exist"],
        ["globalEnvVars in a path", "globalEnvVars:\n- {key: DOCS, value: /usr/share/doc}\n- {key: APP_HOME, value: /nowhere}\nfileExistenceTests:\n- {name: g, path: $DOCS/dash/copyright}\n", null],
        ["globalEnvVars in a path (twin)", "globalEnvVars:\n- {key: APP_HOME, value: /nowhere}\nfileExistenceTests:\n- {name: g, path: $APP_HOME/run.sh}\n", "(/nowhere/run.sh) does not exist"],
        ["globalEnvVars expand the image's values", "globalEnvVars:\n- {key: SCRIPTS, value: '$APP_HOME'}\nfileExistenceTests:\n- {name: g, path: $SCRIPTS/run.sh}\n", null],

        // owners and executability
        ["owner", "fileExistenceTests:\n- {name: o, path: /app/run.sh, uid: 1654, gid: 1654}\n", null],
        ["owner (twin)", "fileExistenceTests:\n- {name: o, path: /app/run.sh, uid: 0}\n", "is owned by uid 1654, expected 0"],
        ["group (twin)", "fileExistenceTests:\n- {name: o, path: /app/run.sh, gid: 0}\n", "has gid 1654, expected 0"],
        ["executable by owner, group, any", "fileExistenceTests:\n- {name: o, path: /app/run.sh, isExecutableBy: owner}\n- {name: g, path: /app/run.sh, isExecutableBy: group}\n- {name: a, path: /app/run.sh, isExecutableBy: any}\n", null],
        ["executable by other (twin)", "fileExistenceTests:\n- {name: x, path: /app/run.sh, isExecutableBy: other}\n", "is not executable by other (mode -rwxr-x---)"],

        // contents: Go regexp without flags, files read through symlinks
        ["anchors are the whole text", "fileContentTests:\n- {name: p, path: /etc/passwd, expectedContents: ['^root:x:0:0', '(?m)^daemon:'], excludedContents: ['^daemon:']}\n", null],
        ["anchors are the whole text (twin)", "fileContentTests:\n- {name: p, path: /etc/passwd, expectedContents: ['^daemon:']}\n", "does not match /^daemon:/"],
        ["excluded contents (twin)", "fileContentTests:\n- {name: p, path: /etc/passwd, excludedContents: ['nologin']}\n", "matches excluded /nologin/"],
        ["content through a symlink", "fileContentTests:\n- {name: r, path: /etc/os-release, expectedContents: ['VERSION_ID=\"22\\.04\"']}\n", null],
        ["content of a folder (twin)", "fileContentTests:\n- {name: r, path: /etc/apt, expectedContents: ['x']}\n", "/etc/apt is a directory"],
        ["content of a missing file (twin)", "fileContentTests:\n- {name: r, path: /etc/dummy, expectedContents: ['x']}\n", "/etc/dummy does not exist"],

        // metadata
        ["env exact and regex", "metadataTest:\n  envVars:\n  - {key: APP_HOME, value: /app}\n  - {key: PATH, value: '/usr/bin', isRegex: true}\n", null],
        ["env exact (twin)", "metadataTest:\n  envVars:\n  - {key: APP_HOME, value: /app/}\n", "environment variable APP_HOME is '/app', expected '/app/'"],
        ["env regex anchored (twin)", "metadataTest:\n  envVars:\n  - {key: REGEX_VAR, value: '^2\\.1', isRegex: true}\n", "expected /^2\\.1/"],
        ["unbound env (twin)", "metadataTest:\n  unboundEnvVars:\n  - key: SOME_KEY\n", "environment variable SOME_KEY is set but should not be"],
        ["label (twin)", "metadataTest:\n  labels:\n  - {key: localnet.my-domain.my-label, value: my label}\n", "label localnet.my-domain.my-label is 'my test label'"],
        ["missing label (twin)", "metadataTest:\n  labels:\n  - {key: org.opencontainers.image.source, value: x}\n", "label org.opencontainers.image.source is not set"],
        ["ports with and without protocol", "metadataTest:\n  exposedPorts: ['8080', '8080/tcp', '53', '53/udp']\n  unexposedPorts: ['80', '53/tcp', '8080/udp']\n", null],
        ["exposed port (twin)", "metadataTest:\n  exposedPorts: ['8081']\n", "port 8081 is not exposed"],
        ["unexposed port (twin)", "metadataTest:\n  unexposedPorts: ['8080']\n", "port 8080 is exposed but should not be"],
        ["volumes", "metadataTest:\n  volumes: ['/data']\n  unmountedVolumes: ['/root']\n", null],
        ["volume (twin)", "metadataTest:\n  volumes: ['/cache']\n", "volume /cache is not declared"],
        ["unmounted volume (twin)", "metadataTest:\n  unmountedVolumes: ['/data']\n", "volume /data is declared but should not be"],
        ["entrypoint and cmd", "metadataTest:\n  entrypoint: ['/app/run.sh']\n  cmd: ['--serve']\n", null],
        ["entrypoint (twin)", "metadataTest:\n  entrypoint: ['dotnet', 'app.dll']\n", "entrypoint is [/app/run.sh], expected [dotnet, app.dll]"],
        ["empty cmd means none (twin)", "metadataTest:\n  cmd: []\n", "cmd is [--serve], expected []"],
        ["null entrypoint is not checked", "metadataTest:\n  entrypoint: null\n  user: app\n", null],
        ["workdir and user", "metadataTest:\n  workdir: /app\n  user: app\n", null],
        ["empty workdir and user are not checked", "metadataTest:\n  workdir: ''\n  user:\n  exposedPorts: ['8080']\n", null],
        ["workdir compared exactly (twin)", "metadataTest:\n  workdir: /app/\n", "workdir is '/app', expected '/app/'"],
        ["user (twin)", "metadataTest:\n  user: root\n", "user is 'app', expected 'root'"],

        // licenses: CST's built-in policy
        ["debian copyright files", "licenseTests:\n- debian: true\n", null],
        ["license file names a refused license (twin)", "licenseTests:\n- debian: false\n  files: [/usr/share/doc/libgnutls30/copyright]\n", "names the AGPL license"],
        ["missing license file (twin)", "licenseTests:\n- debian: false\n  files: [/usr/share/doc/zlib/copyright]\n", "/usr/share/doc/zlib/copyright does not exist"],
    ];

    [TestMethod]
    [DynamicData(nameof(Cases))]
    public void Judged_as_container_structure_test_judges(string name, string yaml, string? failure)
    {
        var file = StructureTestParser.Parse("schemaVersion: '2.0.0'\n" + yaml, name + ".yaml");
        var results = StructureTestRunner.Run(file, s_fs, s_config).ToList();
        Assert.IsNotEmpty(results, name);
        var report = string.Join("\n", results.Select(r => $"{r.Suite} {r.Name}: {(r.Passed ? "passed" : r.Failure)}"));
        if (failure is null) Assert.IsTrue(results.All(r => r.Passed), $"{name} should pass as in CST:\n{report}");
        else Assert.IsTrue(results.Any(r => !r.Passed && r.Failure!.Contains(failure, StringComparison.Ordinal)), $"{name} should fail with '{failure}':\n{report}");
    }

    [TestMethod]
    public void A_debian_package_folder_without_copyright_or_with_a_refused_license_fails()
    {
        var dir = Directory.CreateTempSubdirectory("bakery-cst-license-").FullName;
        try
        {
            var tar = new RawTar().Entry("usr/", '5').Entry("usr/share/", '5').Entry("usr/share/doc/", '5')
                .Entry("usr/share/doc/nolicense/", '5').File("usr/share/doc/nolicense/changelog", "x")
                .Entry("usr/share/doc/strict/", '5').File("usr/share/doc/strict/copyright", "Licensed under the wtfpl.")
                .Entry("usr/share/doc/fine/", '5').File("usr/share/doc/fine/copyright", "MIT").Build();
            var path = Path.Combine(dir, "layer.tar.gz");
            File.WriteAllBytes(path, RawTar.Gzip(tar));
            var fs = ImageFilesystem.Load([(Digest.Compute(File.ReadAllBytes(path)).ToString(), path)], Path.Combine(dir, "index"));
            var result = StructureTestRunner.Run(StructureTestParser.Parse("schemaVersion: 2.0.0\nlicenseTests:\n- debian: true\n", "l.yaml"), fs, s_config).Single();
            Assert.IsFalse(result.Passed);
            StringAssert.Contains(result.Failure, "/usr/share/doc/nolicense has no copyright file");
            StringAssert.Contains(result.Failure, "/usr/share/doc/strict/copyright names the WTFPL license");
            Assert.DoesNotContain("fine", result.Failure!);
        }
        finally { Directory.Delete(dir, recursive: true); }
    }
}
