using System.Text.Json;
using Vessel.Core.Api;
using Vessel.Core.Model;

namespace Vessel.Cli.Commands;

internal static class OperationCommands
{
    private const string Usage = "vessel operation list [--format table|json|csv] | show ID | wait ID | cancel ID";

    public static async Task RunAsync(ApiClient api, string[] args)
    {
        var a = Arguments.Parse(args.Skip(1), [], ["--format", "-f"]);
        switch (args.FirstOrDefault())
        {
            case "list":
                a.ExpectPositionals(0, 0, Usage);
                var operations = await api.GetAsync("/1.0/operations", VesselJson.Wire.ListOperation);
                Output.List(a, operations, VesselJson.Wire.ListOperation, ["ID", "DESCRIPTION", "STATUS", "CANCELABLE", "CREATED", "ERROR"],
                    o => [o.Id, o.Description, o.Status.ToString().ToUpperInvariant(), o.MayCancel ? "YES" : "NO", Output.Time(o.CreatedAt), o.Error ?? ""]);
                break;
            case "show":
                a.ExpectPositionals(1, 1, Usage);
                Print(await api.GetAsync($"/1.0/operations/{a.Positionals[0]}", VesselJson.Wire.Operation));
                break;
            case "wait":
                a.ExpectPositionals(1, 1, Usage);
                Print(await api.GetAsync($"/1.0/operations/{a.Positionals[0]}/wait?timeout=-1", VesselJson.Wire.Operation));
                break;
            case "cancel":
                a.ExpectPositionals(1, 1, Usage);
                Print(await api.SendAsync(HttpMethod.Delete, $"/1.0/operations/{a.Positionals[0]}", null, VesselJson.Wire.Operation));
                break;
            default:
                throw new UsageException($"usage: {Usage}");
        }
    }

    private static void Print(Operation o) => Console.Out.Write($"""
        ID: {o.Id}
        Description: {o.Description}
        Status: {o.Status}
        Resources: {string.Join(", ", o.Resources)}
        Created: {Output.Time(o.CreatedAt)}
        Updated: {Output.Time(o.UpdatedAt)}
        {(o.Error is null ? "" : $"Error: {o.Error}\n")}
        """);

    /// <summary>Prints every event as one JSON line until interrupted.</summary>
    public static async Task MonitorAsync(ApiClient api, string[] args)
    {
        var a = Arguments.Parse(args, [], ["--type"]);
        a.ExpectPositionals(0, 0, "vessel monitor [--type operation,lifecycle]");
        var type = a.Option("--type") is { } t ? $"?type={Uri.EscapeDataString(t)}" : "";
        using var response = await api.SendRawAsync(HttpMethod.Get, $"/1.0/events{type}", null, HttpCompletionOption.ResponseHeadersRead);
        using var reader = new StreamReader(await response.Content.ReadAsStreamAsync());
        while (await reader.ReadLineAsync() is { } line)
        {
            if (line.StartsWith("data: ", StringComparison.Ordinal))
            {
                Console.WriteLine(line["data: ".Length..]);
                Console.Out.Flush();
            }
        }
    }
}
