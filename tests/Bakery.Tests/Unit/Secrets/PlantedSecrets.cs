using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;

namespace Bakery.Tests.Unit.Secrets;

/// <summary>A secret the corpus planted: its exact text (null where a finding covers a block or a whole file) and the rules that may name it.</summary>
internal sealed record Plant(string? Secret, params string[] Rules);

/// <summary>One planted file as a format writes it: a name (relative, placed under a random app folder), its text or bytes, its secrets.</summary>
internal sealed record PlantedDocument(string Format, string Name, string? Text, byte[]? Bytes, IReadOnlyList<Plant> Secrets)
{
    public bool IsText => Text is not null;
}

/// <summary>
/// The formats and placements secrets are planted in: configuration (JSON, XML, YAML, INI, TOML, .env, properties),
/// connection strings, URLs, scripts, logs, CLI configs (.npmrc, docker, kube, aws, .netrc, git), key files and
/// keystores, minified and escaped text. Every value is random per seed.
/// </summary>
internal static class PlantedSecrets
{
    public delegate PlantedDocument Format(CorpusRandom r);

    private static PlantedDocument Doc(string format, string name, string text, params Plant[] secrets) => new(format, name, text, null, secrets);
    private static PlantedDocument Bin(string format, string name, byte[] bytes, params Plant[] secrets) => new(format, name, null, bytes, secrets);
    private static Plant P(string? secret, params string[] rules) => new(secret, rules);

    private static string UrlSafe(CorpusRandom r) => r.Alnum(6) + r.From("-_~", 1) + r.Alnum(8);

    private static string Jwt(CorpusRandom r)
    {
        static string B64(string json) => Convert.ToBase64String(Encoding.UTF8.GetBytes(json)).TrimEnd('=').Replace('+', '-').Replace('/', '_');
        return $"{B64("{\"alg\":\"HS256\",\"typ\":\"JWT\"}")}.{B64($"{{\"sub\":\"{r.Guid()}\",\"exp\":{1_700_000_000 + r.Next(100_000_000)}}}")}.{r.Base64Url(43)}";
    }

    public static readonly (string Name, Format Make)[] Formats =
    [
        ("appsettings password", r => { var pw = r.Password(); return Doc("json", "appsettings.Production.json", $$"""
            {
              "Logging": { "LogLevel": { "Default": "Warning" } },
              "Db": { "Host": "db-{{r.Next(9)}}", "User": "orders", "Password": "{{pw}}" }
            }
            """, P(pw, "config-secret")); }),
        ("sql server connection string", r => { var pw = r.Password(); return Doc("json", "appsettings.json", $$"""
            { "ConnectionStrings": { "Orders": "Server=sql-{{r.Next(9)}}.internal,1433;Database=orders;User Id=app;Password={{pw}};TrustServerCertificate=True" } }
            """, P(pw, "connection-string-password")); }),
        ("npgsql connection string", r => { var pw = r.Password(); return Doc("json", "appsettings.Staging.json", $$"""
            {"ConnectionStrings":{"Default":"Host=pg;Port=5432;Database=app;Username=svc;Password={{pw}};Pooling=true"} }
            """, P(pw, "connection-string-password")); }),
        ("redis connection string", r => { var pw = r.Alnum(32); return Doc("json", "appsettings.Redis.json", $$"""
            { "Redis": { "Configuration": "cache.redis.cache.windows.net:6380,password={{pw}},ssl=True,abortConnect=False" } }
            """, P(pw, "connection-string-password")); }),
        ("service bus connection string", r => { var key = r.Base64(32); return Doc("json", "servicebus.json", $$"""
            { "ServiceBus": "Endpoint=sb://orders-{{r.Next(99)}}.servicebus.windows.net/;SharedAccessKeyName=RootManageSharedAccessKey;SharedAccessKey={{key}}" }
            """, P(key, "azure-shared-access-key")); }),
        ("storage connection string", r => { var key = r.Base64(64); return Doc("config", "web.config", $$"""
            <?xml version="1.0" encoding="utf-8"?>
            <configuration>
              <connectionStrings>
                <add name="Blobs" connectionString="DefaultEndpointsProtocol=https;AccountName=orders{{r.Next(99)}};AccountKey={{key}};EndpointSuffix=core.windows.net" />
              </connectionStrings>
            </configuration>
            """, P(key, "azure-storage-key")); }),
        ("sas url", r => { var sig = Uri.EscapeDataString(r.Base64(32)); return Doc("yaml", "exports.yaml", $$"""
            exports:
              target: "https://orders.blob.core.windows.net/exports?sv=2022-11-02&ss=b&srt=co&sp=rwl&se=2031-01-01T00:00:00Z&spr=https&sig={{sig}}"
            """, P(sig, "azure-sas-signature")); }),
        (".env password", r => { var pw = r.Password(); return Doc("env", ".env", $"ASPNETCORE_ENVIRONMENT=Production\nDB_HOST=db\nDB_PASSWORD={pw}\nLOG_LEVEL=info\n", P(pw, "config-secret")); }),
        (".env.production token", r => { var token = r.Alnum(32); return Doc("env", ".env.production", $"# production\nexport API_TOKEN=\"{token}\"\nFEATURE_X=on\n", P(token, "config-secret")); }),
        ("user secrets client secret", r => { var secret = "GOCSPX-" + r.Base64Url(28); return Doc("json", "secrets.json", $$"""
            { "Authentication:Google:ClientId": "{{r.Next(999999)}}-abc.apps.googleusercontent.com", "Authentication:Google:ClientSecret": "{{secret}}" }
            """, P(secret, "google-oauth-client-secret")); }),
        ("web.config appSettings", r => { var key = r.Alnum(40); return Doc("config", "Web.config", $$"""
            <configuration>
              <appSettings>
                <add key="webpages:Version" value="3.0.0.0" />
                <add key="PaymentApiKey" value="{{key}}" />
              </appSettings>
            </configuration>
            """, P(key, "config-secret")); }),
        ("app.config applicationSettings", r => { var pw = r.Password(); return Doc("config", "App.config", $$"""
            <configuration>
              <applicationSettings>
                <Orders.Properties.Settings>
                  <setting name="SmtpPassword" serializeAs="String">
                    <value>{{pw}}</value>
                  </setting>
                </Orders.Properties.Settings>
              </applicationSettings>
            </configuration>
            """, P(pw, "config-secret")); }),
        ("nuget.config cleartext password", r => { var pw = r.Alnum(52); return Doc("xml", "NuGet.Config", $$"""
            <?xml version="1.0" encoding="utf-8"?>
            <configuration>
              <packageSources><add key="internal" value="https://pkgs.example.internal/nuget/v3/index.json" /></packageSources>
              <packageSourceCredentials>
                <internal>
                  <add key="Username" value="build" />
                  <add key="ClearTextPassword" value="{{pw}}" />
                </internal>
              </packageSourceCredentials>
            </configuration>
            """, P(pw, "nuget-cleartext-password")); }),
        ("ini password", r => { var pw = r.Password(); return Doc("ini", "settings.ini", $"[general]\nname=orders\n\n[database]\nhost = db.internal\npassword = {pw}\n", P(pw, "config-secret")); }),
        ("toml password", r => { var pw = r.Password(); return Doc("toml", "config.toml", $"title = \"orders\"\n\n[database]\nuser = \"svc\"\npassword = \"{pw}\"\n", P(pw, "config-secret")); }),
        ("yaml nested password", r => { var pw = r.Password(); return Doc("yaml", "application.yml", $"spring:\n  datasource:\n    url: jdbc:postgresql://db:5432/app\n    username: app\n    password: {pw}\n", P(pw, "config-secret")); }),
        ("kubernetes env", r => { var pw = r.Password(); return Doc("yaml", "deployment.yaml", $"apiVersion: apps/v1\nkind: Deployment\nspec:\n  template:\n    spec:\n      containers:\n        - name: api\n          env:\n            - name: DB_PASSWORD\n              value: \"{pw}\"\n            - name: LOG_LEVEL\n              value: info\n", P(pw, "config-secret")); }),
        ("kubeconfig", r => { var key = Convert.ToBase64String(Encoding.ASCII.GetBytes(CorpusRandom.RsaPrivateKeyPem("RSA PRIVATE KEY"))); var jwt = Jwt(r); return Doc("yaml", "kubeconfig", $"apiVersion: v1\nkind: Config\nusers:\n- name: admin\n  user:\n    client-certificate-data: {r.Base64(600)}\n    client-key-data: {key}\n- name: ci\n  user:\n    token: {jwt}\n", P(key, "kubeconfig-client-key"), P(jwt, "jwt")); }),
        (".npmrc auth token", r => { var token = "npm_" + r.Alnum(36); return Doc("npmrc", ".npmrc", $"registry=https://registry.npmjs.org/\n//registry.npmjs.org/:_authToken={token}\nalways-auth=true\n", P(token, "npm-access-token", "npm-auth-token")); }),
        (".npmrc basic auth", r => { var auth = Convert.ToBase64String(Encoding.UTF8.GetBytes($"ci:{r.Password()}")); var pw = Convert.ToBase64String(Encoding.UTF8.GetBytes(r.Password())); return Doc("npmrc", ".npmrc", $"@corp:registry=https://npm.corp.internal/\n_auth={auth}\n//npm.corp.internal/:_password={pw}\n", P(auth, "npm-auth"), P(pw, "npm-password")); }),
        ("docker config auth", r => { var auth = Convert.ToBase64String(Encoding.UTF8.GetBytes($"deploy:{r.Password()}")); return Doc("json", "config.json", $$"""
            { "auths": { "registry.corp.internal": { "auth": "{{auth}}" } }, "credsStore": "" }
            """, P(auth, "docker-config-auth")); }),
        ("aws credentials", r => { var id = "AKIA" + r.Base32(16); var secret = r.Alnum(30) + r.From("+/", 2) + r.Alnum(8); var session = "FwoGZXIvYXdz" + r.Base64(120).Replace("=", ""); return Doc("ini", "credentials", $"[default]\naws_access_key_id = {id}\naws_secret_access_key = {secret}\naws_session_token = {session}\nregion = eu-west-1\n", P(id, "aws-access-key-id"), P(secret, "aws-secret-access-key"), P(session, "aws-session-token")); }),
        ("shell export github token", r => { var token = "ghp_" + r.Alnum(36); return Doc("shell", "deploy.sh", $"#!/bin/sh\nset -e\nexport GITHUB_TOKEN={token}\ngit clone https://github.com/corp/app.git\n", P(token, "github-token")); }),
        ("curl basic user", r => { var pw = UrlSafe(r); return Doc("shell", "healthcheck.sh", $"#!/bin/bash\ncurl -fsS -u monitor:{pw} https://status.internal/api/health\n", P(pw, "curl-credentials")); }),
        ("curl bearer header", r => { var token = r.Alnum(40); return Doc("shell", "sync.sh", $"#!/bin/bash\ncurl -H \"Authorization: Bearer {token}\" https://api.partner.net/v2/sync\n", P(token, "authorization-header")); }),
        ("log line password", r => { var pw = r.Password(); return Doc("log", "app.log", $"2024-05-01T12:00:0{r.Next(9)}Z INFO Starting\n2024-05-01T12:00:02Z DEBUG connecting user=app password={pw} host=db\n2024-05-01T12:00:03Z INFO Ready\n", P(pw, "config-secret")); }),
        ("postgres url", r => { var pw = UrlSafe(r); return Doc("yaml", "database.yml", $"production:\n  url: postgres://orders:{pw}@pg.internal:5432/orders\n", P(pw, "url-credentials")); }),
        ("mysql url", r => { var pw = UrlSafe(r); return Doc("env", "mysql.env", $"DATABASE_URL=mysql://root:{pw}@mysql:3306/shop\n", P(pw, "url-credentials")); }),
        ("redis url", r => { var pw = r.Alnum(24); return Doc("json", "cache.json", $$"""{ "Cache": { "Url": "redis://:{{pw}}@cache:6379/0" } }""", P(pw, "url-credentials")); }),
        ("amqp url", r => { var pw = UrlSafe(r); return Doc("properties", "rabbit.properties", $"spring.rabbitmq.addresses=amqp://orders:{pw}@rabbit:5672/prod\n", P(pw, "url-credentials")); }),
        ("mongodb url", r => { var pw = UrlSafe(r); return Doc("json", "mongo.json", $$"""{"Mongo":{"ConnectionString":"mongodb+srv://app:{{pw}}@cluster0.abcde.mongodb.net/?retryWrites=true"} }""", P(pw, "url-credentials")); }),
        ("git credentials", r => { var token = "ghp_" + r.Alnum(36); return Doc("text", ".git-credentials", $"https://ci-bot:{token}@github.com\n", P(token, "url-credentials", "github-token")); }),
        ("slack webhook", r => { var url = $"hooks.slack.com/services/T{r.UpperAlnum(10)}/B{r.UpperAlnum(10)}/{r.Alnum(24)}"; return Doc("json", "alerts.json", $$"""{ "Alerts": { "Webhook": "https://{{url}}" } }""", P(url, "slack-webhook")); }),
        ("slack bot token", r => { var token = $"xoxb-{r.From("0123456789", 11)}-{r.From("0123456789", 13)}-{r.Alnum(24)}"; return Doc("yaml", "slack.yaml", $"slack:\n  bot: {token}\n  channel: '#ops'\n", P(token, "slack-token")); }),
        ("stripe keys", r => { var key = "sk_live_" + r.Alnum(99); var hook = "whsec_" + r.Alnum(32); return Doc("json", "payments.json", $$"""{ "Stripe": { "Secret": "{{key}}", "Webhook": "{{hook}}" } }""", P(key, "stripe-live-key"), P(hook, "stripe-webhook-secret")); }),
        ("sendgrid key", r => { var key = $"SG.{r.Base64Url(22)}.{r.Base64Url(43)}"; return Doc("env", "mail.env", $"SENDGRID_API_KEY={key}\nMAIL_FROM=noreply@corp.test\n", P(key, "sendgrid-api-key")); }),
        ("twilio key", r => { var key = "SK" + r.Hex(32); return Doc("json", "sms.json", $$"""{ "Twilio": { "AccountSid": "AC{{r.Hex(32)}}", "ApiKey": "{{key}}" } }""", P(key, "twilio-api-key")); }),
        ("gcp service account", r => { var pem = CorpusRandom.RsaPrivateKeyPem().Replace("\n", "\\n"); return Doc("json", "service-account.json", $$"""
            {
              "type": "service_account",
              "project_id": "orders-{{r.Next(999)}}",
              "private_key_id": "{{r.Hex(40)}}",
              "private_key": "{{pem}}",
              "client_email": "orders@orders.iam.gserviceaccount.com"
            }
            """, P(null, "gcp-service-account-key")); }),
        ("pem private key", r => Doc("pem", "tls.key", CorpusRandom.RsaPrivateKeyPem(), P(null, "private-key"))),
        ("pem rsa private key", r => Doc("pem", "signing.pem", "Bag Attributes\n    friendlyName: signing\n" + CorpusRandom.RsaPrivateKeyPem("RSA PRIVATE KEY"), P(null, "private-key"))),
        ("openssh private key", r => Doc("ssh", "id_ed25519", CorpusRandom.Pem("OPENSSH PRIVATE KEY", r.Bytes(400)), P(null, "private-key"))),
        ("pgp private key block", r => Doc("pgp", "release-signing.asc", "-----BEGIN PGP PRIVATE KEY BLOCK-----\n\n" + string.Join("\n", Enumerable.Range(0, 12).Select(_ => r.Base64(48))) + "\n=" + r.Alnum(4) + "\n-----END PGP PRIVATE KEY BLOCK-----\n", P(null, "pgp-private-key"))),
        ("putty key", r => Doc("ppk", "deploy.ppk", $"PuTTY-User-Key-File-3: ssh-ed25519\nEncryption: none\nComment: deploy\nPublic-Lines: 2\n{r.Base64(48)}\n{r.Base64(12)}\nPrivate-Lines: 1\n{r.Base64(48)}\nPrivate-MAC: {r.Hex(64)}\n", P(null, "putty-private-key"))),
        ("jwk private key", r => { var d = r.Base64Url(342); return Doc("json", "jwks.json", $$"""{"keys":[{"kty":"RSA","kid":"{{r.Guid()}}","use":"sig","n":"{{r.Base64Url(342)}}","e":"AQAB","d":"{{d}}"}]}""", P(d, "jwk-private-key")); }),
        ("jwk symmetric key", r => { var k = r.Base64Url(43); return Doc("json", "signing-key.json", $"{{\n  \"kty\": \"oct\",\n  \"alg\": \"HS256\",\n  \"k\": \"{k}\"\n}}\n", P(k, "jwk-private-key")); }),
        ("dataprotection key ring", r => { var master = r.Base64(64); return Doc("xml", $"key-{r.Guid()}.xml", $$"""
            <?xml version="1.0" encoding="utf-8"?>
            <key id="{{r.Guid()}}" version="1">
              <creationDate>2024-04-01T10:00:00Z</creationDate>
              <descriptor deserializerType="Microsoft.AspNetCore.DataProtection.AuthenticatedEncryption.ConfigurationModel.AuthenticatedEncryptorDescriptorDeserializer, Microsoft.AspNetCore.DataProtection">
                <descriptor>
                  <encryption algorithm="AES_256_CBC" />
                  <validation algorithm="HMACSHA256" />
                  <masterKey p4:requiresEncryption="true" xmlns:p4="http://schemas.asp.net/2015/03/dataProtection">
                    <!-- Warning: the key below is in an unencrypted form. -->
                    <value>{{master}}</value>
                  </masterKey>
                </descriptor>
              </descriptor>
            </key>
            """, P(master, "dataprotection-key")); }),
        ("jwt in config", r => { var jwt = Jwt(r); return Doc("json", "appsettings.Integration.json", $$"""{ "Partner": { "AccessToken": "{{jwt}}" } }""", P(jwt, "jwt")); }),
        ("openai key", r => { var key = "sk-proj-" + r.Base64Url(156); return Doc("env", "ai.env", $"OPENAI_API_KEY={key}\n", P(key, "openai-api-key")); }),
        ("anthropic key", r => { var key = "sk-ant-api03-" + r.Base64Url(93) + "AA"; return Doc("json", "ai.json", $$"""{"Anthropic":{"Key":"{{key}}"} }""", P(key, "anthropic-api-key")); }),
        ("machine key", r => { var validation = r.Hex(128).ToUpperInvariant(); var decryption = r.Hex(64).ToUpperInvariant(); return Doc("config", "web.config", $"<configuration>\n  <system.web>\n    <machineKey validationKey=\"{validation}\" decryptionKey=\"{decryption}\" validation=\"HMACSHA256\" decryption=\"AES\" />\n  </system.web>\n</configuration>\n", P(validation, "aspnet-machine-key"), P(decryption, "aspnet-machine-key")); }),
        ("teams webhook", r => { var url = $"corp.webhook.office.com/webhookb2/{r.Guid()}@{r.Guid()}/IncomingWebhook/{r.Hex(32)}/{r.Guid()}"; return Doc("json", "notify.json", $$"""{"Teams":"https://{{url}}"}""", P(url, "teams-webhook")); }),
        ("azure ad client secret", r => { var secret = r.Alnum(3) + r.Next(10) + "Q~" + r.From("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_~.-", 34); return Doc("json", "appsettings.AzureAd.json", $$"""{ "AzureAd": { "Instance": "https://login.microsoftonline.com/", "TenantId": "{{r.Guid()}}", "ClientId": "{{r.Guid()}}", "ClientSecret": "{{secret}}" } }""", P(secret, "azure-ad-client-secret")); }),
        ("gitlab token", r => { var token = "glpat-" + r.Base64Url(20); return Doc("yaml", ".gitlab-ci.local.yml", $"variables:\n  CI_PUSH: \"{token}\"\n", P(token, "gitlab-token")); }),
        ("nuget api key", r => { var key = "oy2" + r.LowerAlnum(43); return Doc("json", "publish.json", $$"""{ "NuGetApiKey": "{{key}}", "Source": "https://api.nuget.org/v3/index.json" }""", P(key, "nuget-api-key")); }),
        ("docker hub token", r => { var token = "dckr_pat_" + r.Base64Url(27); return Doc("shell", "push.sh", $"#!/bin/sh\necho \"{token}\" | docker login -u corp --password-stdin\n", P(token, "dockerhub-token")); }),
        ("vault token", r => { var token = "hvs." + r.Base64Url(90); return Doc("env", "vault.env", $"VAULT_ADDR=https://vault.internal:8200\nVAULT_TOKEN={token}\n", P(token, "hashicorp-vault-token")); }),
        ("basic authorization in http file", r => { var basic = Convert.ToBase64String(Encoding.UTF8.GetBytes($"admin:{r.Password()}")); return Doc("http", "api.http", $"GET https://api.internal/orders\nAuthorization: Basic {basic}\nAccept: application/json\n", P(basic, "authorization-header")); }),
        ("minified json, four secrets", r => { var pw = r.Password(); var token = r.Alnum(40); var id = "AKIA" + r.Base32(16); var stripe = "sk_live_" + r.Alnum(40); return Doc("json", "settings.min.json", $$"""{"db":{"host":"db","password":"{{pw}}"},"api":{"token":"{{token}}"},"aws":{"accessKeyId":"{{id}}"},"billing":{"stripeSecretKey":"{{stripe}}"},"features":[1,2,3]}""", P(pw, "config-secret"), P(token, "config-secret"), P(id, "aws-access-key-id"), P(stripe, "stripe-live-key")); }),
        ("minified bundle, three secrets", r => { var google = "AIza" + r.Base64Url(35); var secret = r.Alnum(32); var pw = r.Password(); return Doc("js", "main.4f2a1c.js", $$"""(self.webpackChunk=self.webpackChunk||[]).push([[179],{42:function(e,t,n){"use strict";const o={apiKey:"{{google}}",authDomain:"corp.firebaseapp.com"},a={clientSecret:"{{secret}}",adminPassword:"{{pw}}",type:"password"};e.exports={o:o,a:a} } }]);""", P(google, "google-api-key"), P(secret, "config-secret"), P(pw, "config-secret")); }),
        ("escaped json in a log", r => { var pw = r.Password(); return Doc("log", "requests.log", $$"""{"level":"info","msg":"request body","body":"{\"user\":\"svc\",\"password\":\"{{pw}}\"}"}""" + "\n", P(pw, "config-secret")); }),
        ("maven settings", r => { var pw = r.Password(); return Doc("xml", "settings.xml", $"<settings>\n  <servers>\n    <server>\n      <id>releases</id>\n      <username>deploy</username>\n      <password>{pw}</password>\n    </server>\n  </servers>\n</settings>\n", P(pw, "config-secret")); }),
        ("spring properties", r => { var pw = r.Password(); return Doc("properties", "application.properties", $"server.port=8080\nspring.datasource.url=jdbc:sqlserver://sql:1433;databaseName=app\nspring.datasource.password={pw}\n", P(pw, "config-secret")); }),
        ("command line flag", r => { var pw = r.Password(); return Doc("shell", "migrate.sh", $"#!/bin/sh\ndotnet ef database update --connection-timeout 60 --password {pw} --verbose\n", P(pw, "config-secret")); }),
        ("kubernetes secret stringData", r => { var pw = r.Password(); return Doc("yaml", "secret.yaml", $"apiVersion: v1\nkind: Secret\nmetadata:\n  name: db\ntype: Opaque\nstringData:\n  username: app\n  password: \"{pw}\"\n", P(pw, "config-secret")); }),
        ("weak password", r => { var pw = r.WeakPassword(); return Doc("json", "appsettings.Local.json", $$"""{ "Smtp": { "Host": "smtp.internal", "Password": "{{pw}}" } }""", P(pw, "config-secret")); }),
        (".netrc", r => { var pw = r.Password(); return Doc("netrc", ".netrc", $"machine api.heroku.com\n  login ops@corp.test\n  password {pw}\n", P(pw, "config-secret")); }),
        ("compose environment", r => { var pw = r.Password(); return Doc("yaml", "docker-compose.yml", $"services:\n  db:\n    image: postgres:16\n    environment:\n      - POSTGRES_USER=app\n      - POSTGRES_PASSWORD={pw}\n", P(pw, "config-secret")); }),
        ("age secret key", r => { var key = "AGE-SECRET-KEY-1" + r.From("QPZRY9X8GF2TVDW0S3JN54KHCE6MUA7L", 58); return Doc("text", "age-keys.txt", $"# created: 2024-01-01T00:00:00Z\n# public key: age1{r.LowerAlnum(58)}\n{key}\n", P(key, "age-secret-key")); }),
        ("hugging face token", r => { var token = "hf_" + r.From("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz", 34); return Doc("env", "ml.env", $"HF_TOKEN={token}\n", P(token, "huggingface-token")); }),
        ("token file", r => { var token = "ghp_" + r.Alnum(36); return Doc("text", "github_token", token + "\n", P(token, "github-token")); }),
        ("lone secret file", r => { var key = r.Alnum(40); return Doc("text", "stripe_api_key", key, P(key, "secret-file")); }),
        ("environment ini in powershell", r => { var pw = r.Password(); return Doc("ps1", "setup.ps1", $"$ErrorActionPreference = 'Stop'\n$env:SA_PASSWORD = \"{pw}\"\nInvoke-Sqlcmd -Query 'SELECT 1'\n", P(pw, "config-secret")); }),
        ("csharp hardcoded password", r => { var pw = r.Password(); return Doc("cs", "Seed.cs", $"public static class Seed\n{{\n    public static readonly Admin Admin = new() {{ Name = \"admin\", Password = \"{pw}\" }};\n}}\n", P(pw, "config-secret")); }),
    ];

    public static readonly (string Name, Format Make)[] BinaryFormats =
    [
        ("java keystore", r => Bin("jks", "keystore.jks", [0xFE, 0xED, 0xFE, 0xED, 0, 0, 0, 2, .. r.Bytes(900)], P(null, "keystore-file"))),
        ("java keystore without its extension", r => Bin("jks", "truststore.bin", [0xFE, 0xED, 0xFE, 0xED, 0, 0, 0, 2, .. r.Bytes(700)], P(null, "keystore-file"))),
        ("pkcs12", r => Bin("pfx", "aspnetapp.pfx", Pfx(r), P(null, "keystore-file"))),
        ("pkcs12 without its extension", r => Bin("pfx", "identity.data", Pfx(r), P(null, "keystore-file"))),
        ("strong-name key pair", r => Bin("snk", "Corp.snk", Snk(r), P(null, "strong-name-key"))),
        ("strong-name key pair without its extension", r => Bin("snk", "signing.blob", Snk(r), P(null, "strong-name-key"))),
    ];

    private static byte[] Pfx(CorpusRandom r)
    {
        using var rsa = RSA.Create(1024);
        var request = new CertificateRequest($"CN=app{r.Next(1000)}", rsa, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        using var certificate = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddYears(1));
        return certificate.Export(X509ContentType.Pfx, r.Password());
    }

    /// <summary>A CAPI PRIVATEKEYBLOB as sn.exe -k writes it: BLOBHEADER (7, 2, 0, CALG_RSA_SIGN), RSAPUBKEY ("RSA2", bit length, exponent), key material.</summary>
    private static byte[] Snk(CorpusRandom r)
    {
        byte[] header = [0x07, 0x02, 0x00, 0x00, 0x00, 0x24, 0x00, 0x00, (byte)'R', (byte)'S', (byte)'A', (byte)'2', 0x00, 0x04, 0x00, 0x00, 0x01, 0x00, 0x01, 0x00];
        return [.. header, .. r.Bytes(576)];
    }
}
