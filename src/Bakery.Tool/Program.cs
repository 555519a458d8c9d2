using System.CommandLine;
using Bakery.Tool.Commands;

var root = new RootCommand("bakery: manage, inspect, verify, scan and rebake Bakery base images, and plan the rebuilds a fixed one calls for.")
{
    LifecycleCommands.Create(),
    InspectCommand.Create(),
    UpstreamCommands.Create(),
    OutdatedCommand.Create(),
    VerifyCommand.Create(),
    ScanCommand.Create(),
    RemediateCommand.Create(),
    BakeCommand.Create(),
    PushCommand.Create(),
    RebaseCommand.Create(),
    SignCommand.Create(),
    AttestationsCommand.Create(),
    KeysCommand.Create(),
};
return await root.Parse(args).InvokeAsync();
