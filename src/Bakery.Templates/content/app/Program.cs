var builder = WebApplication.CreateBuilder(args);
var app = builder.Build();

app.MapGet("/", () => "Hello from a baked image!");
app.MapGet("/healthz", () => Results.Ok());

app.Run();
