using System.Runtime.InteropServices;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Logging;

// A minimal web app. With --self-test it starts, calls its own endpoint over loopback,
// prints the answer and exits: enough to show a baked image running in a network-less container.
var builder = WebApplication.CreateBuilder(args);
builder.Logging.SetMinimumLevel(LogLevel.Warning);
var app = builder.Build();

var greeting = Environment.GetEnvironmentVariable("HELLO_GREETING") ?? "Hello";
var motdPath = "/etc/hello/motd.txt";
var motd = File.Exists(motdPath) ? File.ReadAllText(motdPath).Trim() : "(no motd)";

app.MapGet("/", () => $"{greeting}! motd: {motd}; user: {Environment.UserName}; runtime: {Environment.Version}; architecture: {RuntimeInformation.ProcessArchitecture}");

if (args.Contains("--self-test"))
{
    await app.StartAsync();
    using var http = new HttpClient();
    var url = app.Urls.First().Replace("[::]", "localhost").Replace("0.0.0.0", "localhost").Replace("+", "localhost").Replace("*", "localhost");
    Console.WriteLine(await http.GetStringAsync(url));
    await app.StopAsync();
    return;
}

app.Run();
