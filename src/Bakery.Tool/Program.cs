using System.CommandLine;
using Bakery.Tool.Commands;

var root = new RootCommand("bakery: manage and inspect Bakery base images.")
{
    LifecycleCommands.Create(),
    InspectCommand.Create(),
    UpstreamCommands.Create(),
    OutdatedCommand.Create(),
    VerifyCommand.Create(),
    ScanCommand.Create(),
    RemediateCommand.Create(),
};
return await root.Parse(args).InvokeAsync();
