using System.Text;
using Bakery.Oci.Registry;
using Bakery.Tests.Infrastructure;

namespace Bakery.Tests.Unit;

/// <summary>Which credentials a client uses for a registry: by role from the environment, then docker's config.json.</summary>
[TestClass]
public sealed class RegistryCredentialTests
{
    private string _work = null!;

    [TestInitialize]
    public void CreateWork() => _work = TestPaths.NewTempDirectory("credentials");

    [TestCleanup]
    public void DeleteWork() => Directory.Delete(_work, recursive: true);

    private RegistryCredentials WithConfig(string json, Dictionary<string, string?>? more = null)
    {
        File.WriteAllText(Path.Combine(_work, "config.json"), json);
        var env = new Dictionary<string, string?>(more ?? []) { ["DOCKER_CONFIG"] = _work };
        return new RegistryCredentials(env);
    }

    [TestMethod]
    public void Source_and_push_credentials_are_separate_and_the_generic_pair_serves_both()
    {
        var env = new Dictionary<string, string?>
        {
            ["DOTNET_CONTAINER_SOURCE_REGISTRY_UNAME"] = "puller",
            ["DOTNET_CONTAINER_SOURCE_REGISTRY_PWORD"] = "p1",
            ["BAKERY_PUSH_REGISTRY_USERNAME"] = "pusher",
            ["BAKERY_PUSH_REGISTRY_PASSWORD"] = "p2",
            ["BAKERY_REGISTRY_USERNAME"] = "anyone",
            ["BAKERY_REGISTRY_PASSWORD"] = "p3",
        };
        var credentials = new RegistryCredentials(env);
        Assert.AreEqual(new RegistryCredential("puller", "p1"), credentials.Find("global.example", RegistryRole.Pull));
        Assert.AreEqual(new RegistryCredential("pusher", "p2"), credentials.Find("team.example", RegistryRole.Push));
        Assert.AreEqual("BAKERY_PUSH_REGISTRY_USERNAME/BAKERY_PUSH_REGISTRY_PASSWORD", credentials.Resolve("team.example", RegistryRole.Push).Source);

        env.Remove("DOTNET_CONTAINER_SOURCE_REGISTRY_UNAME");
        env.Remove("BAKERY_PUSH_REGISTRY_USERNAME");
        Assert.AreEqual(new RegistryCredential("anyone", "p3"), new RegistryCredentials(env).Find("global.example", RegistryRole.Pull));
        Assert.AreEqual(new RegistryCredential("anyone", "p3"), new RegistryCredentials(env).Find("team.example", RegistryRole.Push));

        var bakery = new RegistryCredentials(new Dictionary<string, string?>
        {
            ["BAKERY_SOURCE_REGISTRY_USERNAME"] = "src", ["BAKERY_SOURCE_REGISTRY_PASSWORD"] = "s",
            ["DOTNET_CONTAINER_PUSH_REGISTRY_UNAME"] = "dst", ["DOTNET_CONTAINER_PUSH_REGISTRY_PWORD"] = "d",
        });
        Assert.AreEqual("src", bakery.Find("r", RegistryRole.Pull)!.Username);
        Assert.AreEqual("dst", bakery.Find("r", RegistryRole.Push)!.Username);
    }

    [TestMethod]
    public void Identity_tokens_from_config_json_and_the_token_user()
    {
        var auth = Convert.ToBase64String(Encoding.UTF8.GetBytes("00000000-0000-0000-0000-000000000000:"));
        var credentials = WithConfig($$$"""
            {"auths": {
              "team.azurecr.example": {"auth": "{{{auth}}}", "identitytoken": "refresh-abc"},
              "tokenonly.example": {"identitytoken": "refresh-def"},
              "plain.example": {"username": "u", "password": "p"}
            }}
            """);
        var acr = credentials.Find("team.azurecr.example")!;
        Assert.AreEqual("refresh-abc", acr.IdentityToken);
        Assert.AreEqual("00000000-0000-0000-0000-000000000000", acr.Username);
        Assert.AreEqual("refresh-def", credentials.Find("tokenonly.example")!.IdentityToken);
        Assert.AreEqual(RegistryCredential.TokenUser, credentials.Find("tokenonly.example")!.Username);
        Assert.IsNull(credentials.Find("plain.example")!.IdentityToken);
        Assert.AreEqual("refresh-ghi", RegistryCredential.From("<token>", "refresh-ghi").IdentityToken, "a helper's <token> user means an identity token");
        Assert.IsNull(RegistryCredential.From("bob", "pw").IdentityToken);
    }

    [TestMethod]
    [DataRow("https://index.docker.io/v1/")]
    [DataRow("docker.io")]
    [DataRow("index.docker.io")]
    public void Docker_Hub_credentials_are_found_under_the_keys_docker_and_podman_write(string key)
    {
        var auth = Convert.ToBase64String(Encoding.UTF8.GetBytes("hubuser:hubpass"));
        var credentials = WithConfig("{\"auths\": {\"" + key + "\": {\"auth\": \"" + auth + "\"}}}");
        Assert.AreEqual(new RegistryCredential("hubuser", "hubpass"), credentials.Find("docker.io"));
        Assert.AreEqual(new RegistryCredential("hubuser", "hubpass"), credentials.Find("registry-1.docker.io"));
        Assert.IsNull(credentials.Find("ghcr.io"));
    }

    [TestMethod]
    public void The_v1_key_wins_for_Docker_Hub()
    {
        var v1 = Convert.ToBase64String(Encoding.UTF8.GetBytes("docker:one"));
        var podman = Convert.ToBase64String(Encoding.UTF8.GetBytes("podman:two"));
        var credentials = WithConfig("{\"auths\": {\"docker.io\": {\"auth\": \"" + podman + "\"}, \"https://index.docker.io/v1/\": {\"auth\": \"" + v1 + "\"}}}");
        Assert.AreEqual("docker", credentials.Find("docker.io")!.Username);
    }

    [TestMethod]
    public void A_config_json_that_is_not_JSON_is_a_credential_lookup_failure_naming_the_file()
    {
        var credentials = WithConfig("{ not json");
        var error = Assert.ThrowsExactly<RegistryException>(() => credentials.Find("r.example"));
        Assert.AreEqual(RegistryFailure.CredentialHelper, error.Failure);
        StringAssert.Contains(error.Message, Path.Combine(_work, "config.json"));
    }

    [TestMethod]
    public void Without_HOME_or_DOCKER_CONFIG_nothing_is_read()
    {
        var lookup = RegistryCredentials.None.Resolve("r.example", RegistryRole.Push);
        Assert.IsNull(lookup.Credential);
        CollectionAssert.Contains(lookup.Searched.ToList(), "BAKERY_PUSH_REGISTRY_USERNAME");
    }

    [TestMethod]
    public void Helpers_are_found_as_docker_credential_name_and_with_exe_on_Windows()
    {
        var bin = Path.Combine(_work, "bin");
        Directory.CreateDirectory(bin);
        File.WriteAllText(Path.Combine(bin, "docker-credential-wincred.exe"), "");
        File.WriteAllText(Path.Combine(bin, "docker-credential-pass"), "");
        Assert.AreEqual(Path.Combine(bin, "docker-credential-wincred.exe"),
            CredentialHelper.Locate("wincred", new CredentialHelperPath($"C:\\nowhere;{bin}", ".COM;.EXE", IsWindows: true)));
        Assert.IsNull(CredentialHelper.Locate("wincred", new CredentialHelperPath(bin, null, IsWindows: false)), "no .exe on Linux");
        Assert.AreEqual(Path.Combine(bin, "docker-credential-pass"), CredentialHelper.Locate("pass", new CredentialHelperPath($"/nowhere:{bin}", null, IsWindows: false)));
        Assert.IsNull(CredentialHelper.Locate("missing", new CredentialHelperPath(bin, null, IsWindows: false)));
    }
}
