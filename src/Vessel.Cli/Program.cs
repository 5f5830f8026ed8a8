using Vessel.Cli;
using Vessel.Cli.Commands;

var commands = new Dictionary<string, Func<ApiClient, string[], Task>>
{
    ["console"] = ConsoleCommand.RunAsync,
    ["exec"] = async (api, a) => Environment.ExitCode = await ExecCommand.RunAsync(api, a),
    ["file"] = FileCommands.RunAsync,
    ["launch"] = InstanceCommands.LaunchAsync,
    ["copy"] = InstanceCommands.CopyAsync,
    ["export"] = InstanceCommands.ExportAsync,
    ["import"] = InstanceCommands.ImportAsync,
    ["publish"] = ImageCommands.PublishAsync,
    ["list"] = InstanceCommands.ListAsync,
    ["info"] = InstanceCommands.InfoAsync,
    ["start"] = (api, a) => InstanceCommands.ChangeStateAsync(api, "start", a),
    ["stop"] = (api, a) => InstanceCommands.ChangeStateAsync(api, "stop", a),
    ["restart"] = (api, a) => InstanceCommands.ChangeStateAsync(api, "restart", a),
    ["pause"] = (api, a) => InstanceCommands.ChangeStateAsync(api, "freeze", a),
    ["resume"] = (api, a) => InstanceCommands.ChangeStateAsync(api, "unfreeze", a),
    ["delete"] = InstanceCommands.DeleteAsync,
    ["config"] = ConfigCommands.RunAsync,
    ["image"] = ImageCommands.RunAsync,
    ["storage"] = StorageCommands.RunAsync,
    ["network"] = NetworkCommands.RunAsync,
    ["snapshot"] = SnapshotCommands.RunAsync,
    ["operation"] = OperationCommands.RunAsync,
    ["monitor"] = OperationCommands.MonitorAsync,
    ["server"] = ServerCommands.RunAsync,
    ["auth"] = AuthCommands.RunAsync,
    ["doctor"] = DoctorCommand.RunAsync,
    ["version"] = DoctorCommand.VersionAsync,
};

if (args.Length == 0 || args[0] is "help" or "--help" or "-h")
{
    Console.Out.Write(Help.Text);
    return args.Length == 0 ? 2 : 0;
}
if (!commands.TryGetValue(args[0], out var command))
{
    await Console.Error.WriteLineAsync($"Error: unknown command \"{args[0]}\" (see vessel help)");
    return 2;
}

using var api = new ApiClient(ApiClient.DefaultSocket());
try
{
    await command(api, args[1..]);
    return Environment.ExitCode;
}
catch (UsageException e)
{
    await Console.Error.WriteLineAsync($"Error: {e.Message}");
    return 2;
}
catch (ApiException e)
{
    await Console.Error.WriteLineAsync($"Error: {e.Message}");
    return 1;
}
catch (IOException e)
{
    await Console.Error.WriteLineAsync($"Error: {e.Message}");
    return 1;
}
