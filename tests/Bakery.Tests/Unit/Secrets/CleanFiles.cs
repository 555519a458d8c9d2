using System.Text;

namespace Bakery.Tests.Unit.Secrets;

/// <summary>
/// Clean files a .NET image holds, full of what looks like secrets and is not: empty values, placeholders in every
/// CI/CD and configuration syntax, Key Vault references, published documentation values (AWS example keys, Azurite,
/// jwt.io, Stripe's test key), GUIDs, hashes in lock files, SRI hashes, public keys and certificates, base64 that is
/// no credential, UI text about passwords in many languages, test fixtures, prose.
/// </summary>
internal static class CleanFiles
{
    public delegate (string Name, string Text) Make(CorpusRandom r);

    private static string Placeholder(CorpusRandom r, string name) => r.Pick<string>(
    [
        "", "${" + name.ToUpperInvariant() + "}", "$(" + name + ")", "%" + name.ToUpperInvariant() + "%", "#{" + name + "}#", "#{" + name + "}", "__" + name + "__",
        "{{ " + name.ToLowerInvariant() + " }}", "{{ .Values." + name.ToLowerInvariant() + " }}", "<your-" + name.ToLowerInvariant() + ">", "<" + name.ToUpperInvariant() + ">",
        "@Microsoft.KeyVault(SecretUri=https://kv-orders.vault.azure.net/secrets/" + name.ToLowerInvariant() + "/)", "REPLACE_ME", "REPLACE_WITH_" + name.ToUpperInvariant(),
        "changeme", "********", "xxxxxxxx", "${{ secrets." + name.ToUpperInvariant() + " }}", "$" + name.ToUpperInvariant(), "[" + name.ToUpperInvariant() + "]", "TODO", "CHANGE_ME",
        "<%= ENV['" + name.ToUpperInvariant() + "'] %>", "{" + name + "}", "@@" + name.ToUpperInvariant() + "@@", "ENC(" + Convert.ToBase64String(Encoding.ASCII.GetBytes(name)) + ")",
    ]);

    private const string AzuriteKey = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==";
    private const string JwtIo = "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6IkpvaG4gRG9lIiwiaWF0IjoxNTE2MjM5MDIyfQ.SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c";

    public static readonly (string Kind, bool Configuration, Make Make)[] Kinds =
    [
        ("appsettings with placeholders", true, r => ("appsettings.json", $$"""
            {
              "Logging": { "LogLevel": { "Default": "Information", "Microsoft.AspNetCore": "Warning" } },
              "AllowedHosts": "*",
              "ConnectionStrings": {
                "Orders": "Server=sql;Database=orders;User Id=app;Password={{Placeholder(r, "DbPassword")}};TrustServerCertificate=True",
                "Cache": "cache:6379,password={{Placeholder(r, "RedisPassword")}},ssl=False"
              },
              "Jwt": { "Issuer": "https://auth.corp.test", "Audience": "orders-api", "Key": "{{Placeholder(r, "JwtKey")}}", "TokenLifetime": "00:{{r.Next(59):00}}:00" },
              "Smtp": { "Host": "smtp.corp.test", "Port": 587, "User": "noreply", "Password": "{{Placeholder(r, "SmtpPassword")}}" },
              "Auth": { "ClientId": "{{r.Guid()}}", "TenantId": "{{r.Guid()}}", "ClientSecret": "{{Placeholder(r, "ClientSecret")}}", "ApiKeyHeader": "X-Api-Key" },
              "Features": { "SecretsPath": "/run/secrets", "RequireHttps": true, "PasswordPolicy": { "RequiredLength": {{8 + r.Next(8)}}, "RequireDigit": true } },
              "ApplicationInsights": { "InstrumentationKey": "{{r.Guid()}}" }
            }
            """)),
        ("appsettings development with local defaults", true, r => ("appsettings.Development.json", $$"""
            {
              "ConnectionStrings": {
                "Storage": "UseDevelopmentStorage=true",
                "Blobs": "DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey={{AzuriteKey}};BlobEndpoint=http://127.0.0.1:10000/devstoreaccount1;",
                "Db": "Server=(localdb)\\mssqllocaldb;Database=orders-dev;Trusted_Connection=True;MultipleActiveResultSets=true"
              },
              "Kestrel": { "Certificates": { "Development": { "Password": "" } } },
              "UserSecretsId": "{{r.Guid()}}",
              "DetailedErrors": true
            }
            """)),
        ("key vault references", true, r => ("appsettings.Production.json", $$"""
            {
              "KeyVault": { "VaultUri": "https://kv-{{r.LowerAlnum(6)}}.vault.azure.net/" },
              "Db": { "Password": "@Microsoft.KeyVault(SecretUri=https://kv-orders.vault.azure.net/secrets/db-password/)" },
              "Stripe": { "SecretKey": "@Microsoft.KeyVault(VaultName=kv-orders;SecretName=stripe-secret)" },
              "ServiceBus": { "ConnectionString": "@Microsoft.KeyVault(SecretUri=https://kv-orders.vault.azure.net/secrets/sb/{{r.Hex(32)}})" }
            }
            """)),
        (".env example", true, r => (".env.example", $"# copy to .env and fill in\nDB_HOST=localhost\nDB_PASSWORD={Placeholder(r, "db_password")}\nAPI_KEY=<your-api-key>\nAPI_TOKEN=\nJWT_SECRET=REPLACE_ME\nSMTP_PASS=changeme\nREDIS_PASSWORD=********\nSESSION_SECRET=${{SESSION_SECRET}}\n")),
        ("docker compose with secrets", true, r => ("docker-compose.yml", $"services:\n  db:\n    image: postgres:16\n    environment:\n      POSTGRES_PASSWORD: ${{POSTGRES_PASSWORD:?set it}}\n      POSTGRES_PASSWORD_FILE: /run/secrets/db_password\n    secrets:\n      - db_password\n  api:\n    image: corp/orders:{r.Next(9)}.{r.Next(9)}\n    environment:\n      - ConnectionStrings__Db=Host=db;Username=app;Password=${{DB_PASSWORD}}\n      - Jwt__Key=${{JWT_KEY}}\nsecrets:\n  db_password:\n    file: ./secrets/db_password.txt\n")),
        ("helm values and templates", true, r => ("deployment.yaml", $"apiVersion: apps/v1\nkind: Deployment\nspec:\n  template:\n    spec:\n      containers:\n        - name: api\n          env:\n            - name: DB_PASSWORD\n              valueFrom:\n                secretKeyRef:\n                  name: db\n                  key: password\n            - name: API_TOKEN\n              value: {{{{ .Values.api.token | quote }}}}\n            - name: CLIENT_SECRET\n              value: \"{{{{ required \\\"clientSecret\\\" .Values.clientSecret }}}}\"\n          image: \"corp/api:{r.Next(99)}\"\n")),
        ("github actions", true, r => ("build.yml", $"name: build\non: [push]\njobs:\n  build:\n    runs-on: ubuntu-latest\n    steps:\n      - uses: actions/checkout@v4\n      - run: dotnet nuget push out/*.nupkg --api-key ${{{{ secrets.NUGET_API_KEY }}}} --source nuget.org\n        env:\n          NUGET_PASSWORD: ${{{{ secrets.NUGET_PASSWORD }}}}\n          GITHUB_TOKEN: ${{{{ secrets.GITHUB_TOKEN }}}}\n")),
        ("azure pipelines", true, r => ("azure-pipelines.yml", $"variables:\n  - group: orders-secrets\nsteps:\n  - script: ./deploy.sh --password $(DeployPassword) --token $(System.AccessToken)\n    env:\n      SQL_PASSWORD: $(SqlPassword)\n      ARM_CLIENT_SECRET: $(ArmClientSecret)\n")),
        ("octopus and token replacement", true, r => ("appsettings.Release.json", $$"""{ "Db": { "Password": "#{Db.Password}" }, "Api": { "Token": "#{ApiToken}#", "Secret": "__ApiSecret__" }, "Smtp": { "Password": "$(SmtpPassword)" } }""")),
        ("web.config with transforms", true, r => ("web.config", $"<?xml version=\"1.0\"?>\n<configuration>\n  <appSettings>\n    <add key=\"Password\" value=\"\" />\n    <add key=\"ApiKey\" value=\"%API_KEY%\" />\n    <add key=\"ClientValidationEnabled\" value=\"true\" />\n  </appSettings>\n  <connectionStrings>\n    <add name=\"Db\" connectionString=\"Data Source=.;Initial Catalog=app;Integrated Security=True\" providerName=\"System.Data.SqlClient\" />\n  </connectionStrings>\n  <system.web>\n    <machineKey validationKey=\"AutoGenerate,IsolateApps\" decryptionKey=\"AutoGenerate,IsolateApps\" validation=\"HMACSHA256\" />\n  </system.web>\n  <runtime>\n    <assemblyBinding xmlns=\"urn:schemas-microsoft-com:asm.v1\">\n      <dependentAssembly>\n        <assemblyIdentity name=\"Newtonsoft.Json\" publicKeyToken=\"30ad4fe6b2a6aeed\" culture=\"neutral\" />\n        <bindingRedirect oldVersion=\"0.0.0.0-13.0.0.0\" newVersion=\"13.0.0.0\" />\n      </dependentAssembly>\n    </assemblyBinding>\n  </runtime>\n</configuration>\n")),
        ("nuget.config with variables", true, r => ("NuGet.config", $"<configuration>\n  <packageSources>\n    <add key=\"corp\" value=\"https://pkgs.corp.test/nuget/v3/index.json\" />\n  </packageSources>\n  <packageSourceCredentials>\n    <corp>\n      <add key=\"Username\" value=\"%NUGET_USER%\" />\n      <add key=\"ClearTextPassword\" value=\"{r.Pick<string>(["%NUGET_PASSWORD%", "$(NuGetPassword)", "${NUGET_PASSWORD}", "#{NuGetPassword}#"])}\" />\n    </corp>\n  </packageSourceCredentials>\n</configuration>\n")),
        ("spring properties with placeholders", true, r => ("application.properties", $"spring.datasource.url=jdbc:postgresql://db:5432/app\nspring.datasource.username=app\nspring.datasource.password=${{DB_PASSWORD}}\nspring.security.oauth2.client.registration.corp.client-secret=${{OAUTH_SECRET:}}\nmanagement.endpoints.web.exposure.include=health\n")),
        ("kubernetes secret template", true, r => ("secret.yaml", "apiVersion: v1\nkind: Secret\nmetadata:\n  name: db\ntype: Opaque\nstringData:\n  password: \"{{ .Values.db.password }}\"\n  token: ''\n")),
        ("ini with empty password", true, r => ("odbc.ini", $"[orders]\nDriver=ODBC Driver 18 for SQL Server\nServer=sql{r.Next(9)}\nDatabase=orders\nTrusted_Connection=yes\nPassword=\nPWD=\n")),
        ("toml with env references", true, r => ("config.toml", "[database]\nurl = \"postgres://app@db/app\"\npassword = \"${DB_PASSWORD}\"\n\n[auth]\ntoken_file = \"/run/secrets/token\"\nsecret_env = \"AUTH_SECRET\"\n")),
        ("ansible vars", true, r => ("vars.yml", $"db_user: app\ndb_password: \"{{{{ vault_db_password }}}}\"\napi_token: !vault |\n  $ANSIBLE_VAULT;1.1;AES256\n  {r.Hex(64)}\nsmtp_password: \"{{{{ lookup('env', 'SMTP_PASSWORD') }}}}\"\n")),
        ("terraform variables", true, r => ("main.tf", "variable \"db_password\" {\n  type      = string\n  sensitive = true\n}\nresource \"azurerm_sql_server\" \"db\" {\n  administrator_login_password = var.db_password\n  name                         = \"orders\"\n}\n")),
        ("documentation with published examples", false, r => ("README.md", $"# Orders\n\nConfigure AWS with the documentation example keys:\n\n```\naws_access_key_id = AKIAIOSFODNN7EXAMPLE\naws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY\n```\n\nA token looks like `{JwtIo}` (from jwt.io).\nStripe's test key `sk_test_4eC39HqLyjWDarjtT1zdp7dc` works in the sandbox.\nConnect with `postgres://user:password@localhost:5432/orders` or set the password in your user secrets.\nNever commit your token, key or secret; rotate the password every {30 + r.Next(60)} days.\n")),
        ("azurite and emulator configuration", true, r => ("local.settings.json", $$"""{ "IsEncrypted": false, "Values": { "AzureWebJobsStorage": "UseDevelopmentStorage=true", "CosmosDb": "AccountEndpoint=https://localhost:8081/;AccountKey=C2y6yDjf5/R+ob0N8A7Cgv30VRDJIWEHLM+4QDU5DE2nQ9nDuVTqobD4b8mGGyPMbIZnqyMsEcaGQy67XIw/Jw==", "Storage": "DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey={{AzuriteKey}};" } }""")),
        ("package-lock hashes", false, r => ("package-lock.json", "{\n  \"name\": \"spa\",\n  \"lockfileVersion\": 3,\n  \"packages\": {\n" + string.Join(",\n", Enumerable.Range(0, 20).Select(i => $"    \"node_modules/pkg{i}\": {{ \"version\": \"1.{i}.0\", \"resolved\": \"https://registry.npmjs.org/pkg{i}/-/pkg{i}-1.{i}.0.tgz\", \"integrity\": \"sha512-{Convert.ToBase64String(r.Bytes(64))}\" }}")) + "\n  }\n}\n")),
        ("deps.json hashes", false, r => ("Orders.deps.json", "{\n  \"runtimeTarget\": { \"name\": \".NETCoreApp,Version=v10.0\" },\n  \"libraries\": {\n" + string.Join(",\n", Enumerable.Range(0, 15).Select(i => $"    \"Corp.Lib{i}/1.{i}.0\": {{ \"type\": \"package\", \"serviceable\": true, \"sha512\": \"sha512-{Convert.ToBase64String(r.Bytes(64))}\", \"path\": \"corp.lib{i}/1.{i}.0\", \"hashPath\": \"corp.lib{i}.1.{i}.0.nupkg.sha512\" }}")) + "\n  }\n}\n")),
        ("packages.lock.json", false, r => ("packages.lock.json", "{\n  \"version\": 2,\n  \"dependencies\": {\n    \"net10.0\": {\n" + string.Join(",\n", Enumerable.Range(0, 12).Select(i => $"      \"Corp.Pkg{i}\": {{ \"type\": \"Direct\", \"requested\": \"[1.0.{i}, )\", \"resolved\": \"1.0.{i}\", \"contentHash\": \"{Convert.ToBase64String(r.Bytes(64))}\" }}")) + "\n    }\n  }\n}\n")),
        ("html with sri and password inputs", false, r => ("index.html", $"<!doctype html>\n<html><head>\n<script src=\"https://cdn.jsdelivr.net/npm/bootstrap@5/dist/js/bootstrap.min.js\" integrity=\"sha384-{Convert.ToBase64String(r.Bytes(48))}\" crossorigin=\"anonymous\"></script>\n</head><body>\n<form><label for=\"password\">Password</label><input type=\"password\" id=\"password\" name=\"password\" placeholder=\"Password\" autocomplete=\"current-password\" required>\n<input type=\"hidden\" name=\"token\" value=\"\"><button>Sign in</button></form>\n</body></html>\n")),
        ("i18n english", false, r => ("assets/i18n/en.json", """{ "login": { "password": "Password", "forgotPassword": "Forgot your password?", "passwordRequired": "Password is required.", "token": "Token", "apiKey": "API key", "secret": "Secret", "showPassword": "Show password" } }""")),
        ("i18n other languages", false, r => (r.Pick<string>(["assets/i18n/de.json", "assets/i18n/fr.json", "assets/i18n/es.json", "assets/i18n/pt.json", "locales/pl/common.json", "assets/i18n/ru.json"]), r.Pick<string>(
            ["""{ "password": "Passwort", "forgotPassword": "Passwort vergessen?", "newPassword": "Neues Passwort", "secret": "Geheimnis" }""",
             """{ "password": "Mot de passe", "forgotPassword": "Mot de passe oublié ?", "token": "Jeton" }""",
             """{ "password": "Contraseña", "forgotPassword": "¿Olvidaste tu contraseña?", "secret": "Secreto" }""",
             """{ "password": "Senha", "confirmPassword": "Confirmar senha" }""",
             """{ "password": "Hasło", "repeatPassword": "Powtórz hasło" }""",
             """{ "password": "Пароль", "forgotPassword": "Забыли пароль?" }"""]))),
        ("resx resources", false, r => ("Resources/Strings.de.resx", "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<root>\n  <data name=\"Password\" xml:space=\"preserve\">\n    <value>Kennwort</value>\n  </data>\n  <data name=\"PasswordHint\" xml:space=\"preserve\">\n    <value>Mindestens 12 Zeichen</value>\n  </data>\n  <data name=\"ApiKey\" xml:space=\"preserve\">\n    <value>API-Schlüssel</value>\n  </data>\n</root>\n")),
        ("public keys and certificates", false, r => ("certs/ca.pem", CorpusRandom.Pem("CERTIFICATE", r.Bytes(700)) + CorpusRandom.Pem("PUBLIC KEY", r.Bytes(294)))),
        ("ssh public keys and known hosts", false, r => ("home/app/.ssh/known_hosts", $"github.com ssh-ed25519 {r.Base64(51)}\ngitlab.com ecdsa-sha2-nistp256 {r.Base64(104)}\n") ),
        ("authorized keys", false, r => ("home/app/.ssh/id_ed25519.pub", $"ssh-ed25519 {r.Base64(51)} app@build\n")),
        ("lorem ipsum about secrets", false, r => ("docs/security.txt", "Lorem ipsum dolor sit amet. The token service issues a key per tenant; the secret store keeps the password.\n" +
            "Keys rotate; a password reset mails a one-time token. Credential stuffing is blocked. Pass the key id, never the key.\nPassword: see the vault. Token: issued at login.\n")),
        ("base64 that is not a secret", false, r => ("wwwroot/manifest.json", $$"""{ "name": "Orders", "icons": [ { "src": "data:image/png;base64,{{Convert.ToBase64String(r.Bytes(300))}}", "sizes": "48x48" } ], "theme_color": "#{{r.Hex(6)}}" }""")),
        ("test fixtures", true, r => ("tests/fixtures/users.json", """[ { "user": "alice", "password": "password123" }, { "user": "bob", "password": "test" }, { "user": "carol", "password": "dummy-password" }, { "user": "dave", "token": "test-token" }, { "user": "erin", "password": "example" } ]""")),
        ("logs with masked values", false, r => ("logs/app.log", $"2024-05-0{1 + r.Next(8)}T10:00:00Z INFO Token validation failed for client {r.Guid()}\n2024-05-01T10:00:01Z INFO Password reset email sent to user {r.Next(9999)}\n2024-05-01T10:00:02Z DEBUG Authorization: Bearer ***\n2024-05-01T10:00:03Z DEBUG request {{\"access_token\":\"<redacted>\",\"password\":\"[REDACTED]\"}}\n2024-05-01T10:00:04Z WARN secret rotation due in 3 days; key id {r.Hex(16)}\n")),
        ("runtime and project files", true, r => ("Orders.runtimeconfig.json", $$"""{ "runtimeOptions": { "tfm": "net10.0", "framework": { "name": "Microsoft.AspNetCore.App", "version": "10.0.0" }, "configProperties": { "System.GC.Server": true, "System.Globalization.Invariant": false } } }""")),
        ("hash manifests", false, r => ("SHA256SUMS", string.Join("\n", Enumerable.Range(0, 10).Select(i => $"{r.Hex(64)}  lib/Corp.Lib{i}.dll")) + "\n")),
        ("oidc configuration", true, r => ("appsettings.Oidc.json", $$"""{ "Oidc": { "Authority": "https://login.corp.test/realms/orders", "ClientId": "orders-web", "ClientSecret": "", "ResponseType": "code", "Scope": "openid profile", "MetadataAddress": "https://login.corp.test/.well-known/openid-configuration", "TokenValidationParameters": { "NameClaimType": "name" }, "SaveTokens": true, "SigningKeyId": "{{r.Hex(16)}}", "CertificateThumbprint": "{{r.Hex(40).ToUpperInvariant()}}" } }""")),
        ("sql scripts with sqlcmd variables", true, r => ("init.sql", "CREATE LOGIN [orders] WITH PASSWORD = '$(OrdersPassword)';\nALTER LOGIN sa WITH PASSWORD = N'$(SaPassword)';\nGO\n")),
        ("powershell prompting", false, r => ("deploy.ps1", "$password = Read-Host -AsSecureString 'Password'\n$token = $env:DEPLOY_TOKEN\n$cred = New-Object System.Management.Automation.PSCredential('deploy', $password)\n")),
        ("nginx with key file paths", true, r => ("nginx.conf", "server {\n  listen 443 ssl;\n  ssl_certificate     /etc/ssl/certs/site.crt;\n  ssl_certificate_key /etc/ssl/private/site.key;\n  ssl_password_file   /etc/ssl/private/pass.txt;\n}\n")),
        ("source with password variables", false, r => ("Services/LoginService.cs", "public sealed class LoginService(IUserStore users)\n{\n    public bool Check(string user, string password) => users.Verify(user, password);\n    private const string PasswordKey = \"Password\";\n    public string Token { get; set; } = string.Empty;\n    var secret = configuration[\"Auth:ClientSecret\"];\n    options.ClientSecret = builder.Configuration[\"Google:ClientSecret\"];\n}\n")),
        ("minified bundle without secrets", false, r => ("main.b1c2d3.js", "(self.webpackChunk=self.webpackChunk||[]).push([[1],{7:function(e,t,n){const r={password:e.password,token:t.token,type:\"password\",autocomplete:\"new-password\",apiKey:n.apiKey,placeholder:\"Enter your password\"};localStorage.setItem(\"token\",e);const o=\"access_token\",a={ACCESS_TOKEN_KEY:\"access_token\",REFRESH_TOKEN_KEY:\"refresh_token\"};e.exports={r:r,o:o,a:a}}}]);")),
        ("kestrel endpoints", true, r => ("appsettings.Kestrel.json", """{ "Kestrel": { "Endpoints": { "Https": { "Url": "https://*:8443", "Certificate": { "Path": "/https/aspnetapp.pfx", "Password": "${CERT_PASSWORD}", "KeyPath": "/https/key.pem" } } } } }""")),
        ("swagger examples", false, r => ("swagger.json", """{ "components": { "schemas": { "Login": { "properties": { "password": { "type": "string", "example": "string" }, "apiKey": { "type": "string", "format": "uuid", "example": "3fa85f64-5717-4562-b3fc-2c963f66afa6" } } } }, "securitySchemes": { "ApiKey": { "type": "apiKey", "in": "header", "name": "X-Api-Key" } } } }""")),
        ("dpkg logs and status of packages named like secrets", false, r => ("var/log/dpkg.log", string.Join("\n", new[] { "base-passwd", "passwd", "libpam-pwdfile", "gnupg-agent", "libsecret-1-0", "keyutils", "libkeyutils1" }.SelectMany(p => new[]
        {
            $"2026-0{1 + r.Next(8)}-1{r.Next(9)} 12:0{r.Next(9)}:3{r.Next(9)} install {p}:{r.Pick<string>(["amd64", "arm64", "all", "i386", "armhf"])} <none> {1 + r.Next(4)}.{r.Next(20)}.{r.Next(9)}",
            $"2026-01-01 12:00:00 status unpacked {p}:amd64 1:4.13+dfsg1-1",
            $"2026-01-01 12:00:00 configure {p}:arm64 3.6.1 <none>",
            $"2026-01-01 12:00:00 status installed {p}:all 3.6.1",
        })) + "\n")),
        ("dotnet user jwt settings", true, r => ("appsettings.Jwt.json", $$"""{ "Authentication": { "Schemes": { "Bearer": { "ValidAudiences": [ "http://localhost:{{5000 + r.Next(999)}}" ], "ValidIssuer": "dotnet-user-jwts", "SigningKeys": [ { "Issuer": "dotnet-user-jwts", "Value": "${SIGNING_KEY}", "Length": 32, "Id": "{{r.Hex(8)}}" } ] } } } }""")),
    ];

    /// <summary>At least <paramref name="count"/> files, every kind in turn with fresh random values.</summary>
    public static List<(string Path, byte[] Content, string Kind, bool Configuration)> Generate(int seed, int count)
    {
        var random = new CorpusRandom(seed);
        var files = new List<(string, byte[], string, bool)>();
        for (var i = 0; files.Count < count; i++)
        {
            var (kind, configuration, make) = Kinds[i % Kinds.Length];
            var (name, text) = make(random);
            var encoding = i % 7 == 3 ? "utf-16le bom" : i % 11 == 5 ? "utf-8 bom" : "utf-8";
            files.Add(($"srv/clean{i}/{name}", SecretCorpus.Encode(text, encoding), kind, configuration));
        }
        return files;
    }
}
