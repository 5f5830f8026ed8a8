using System.Globalization;
using System.Text;
using System.Text.Json;
using Vessel.Core.Api;
using Vessel.Core.Model;
using Vessel.Core.Validation;

namespace Vessel.Cli.Commands;

internal static class InstanceCommands
{
    public static async Task LaunchAsync(ApiClient api, string[] args)
    {
        var a = Arguments.Parse(args, ["--vm", "--ephemeral", "--no-wait"], ["-c", "--config", "--storage", "-s", "--network", "-n"]);
        a.ExpectPositionals(2, 2, "vessel launch IMAGE NAME [--vm] [-c key=value]... [--network NET|none] [--storage POOL] [--ephemeral]");
        var request = new InstancesPost
        {
            Name = a.Positionals[1],
            Type = a.Flag("--vm") ? InstanceType.VirtualMachine : InstanceType.Container,
            Source = new InstanceSource(Alias: a.Positionals[0]),
            Config = a.Options("-c").Concat(a.Options("--config")).Select(Arguments.KeyValue).ToDictionary(),
            Pool = a.Option("--storage") ?? a.Option("-s"),
            Network = a.Option("--network") ?? a.Option("-n"),
            Ephemeral = a.Flag("--ephemeral"),
            Start = true,
        };
        var operation = await api.SendAsync(HttpMethod.Post, "/1.0/instances", ApiClient.Json(request, VesselJson.Wire.InstancesPost),
            VesselJson.Wire.Operation);
        if (a.Flag("--no-wait"))
        {
            Console.WriteLine(operation.Id);
            return;
        }
        await api.WaitAsync(operation);
        Console.WriteLine($"Launched {request.Name}");
    }

    /// <summary>vessel copy SRC[/SNAP] DST: a new instance from another's root (or one of its snapshots), with new MACs and addresses.</summary>
    public static async Task CopyAsync(ApiClient api, string[] args)
    {
        var a = Arguments.Parse(args, ["--full"], ["-c", "--config", "--storage", "-s"]);
        a.ExpectPositionals(2, 2, "vessel copy SRC[/SNAP] DST [--full] [-c key=value]... [--storage POOL]");
        var source = a.Positionals[0].Split('/', 2);
        var request = new InstancesPost
        {
            Name = a.Positionals[1],
            Source = new InstanceSource(Instance: source[0], Snapshot: source.Length > 1 ? source[1] : null, Full: a.Flag("--full")),
            Config = a.Options("-c").Concat(a.Options("--config")).Select(Arguments.KeyValue).ToDictionary(),
            Pool = a.Option("--storage") ?? a.Option("-s"),
        };
        await api.WaitAsync(await api.SendAsync(HttpMethod.Post, "/1.0/instances", ApiClient.Json(request, VesselJson.Wire.InstancesPost),
            VesselJson.Wire.Operation));
    }

    /// <summary>vessel export NAME FILE: the stopped instance, its image and snapshots as one file (written whole or not at all).</summary>
    public static async Task ExportAsync(ApiClient api, string[] args)
    {
        var a = Arguments.Parse(args, ["--instance-only", "--incremental"], ["--compression"]);
        a.ExpectPositionals(2, 2, "vessel export NAME FILE [--instance-only] [--incremental] [--compression zstd|none]");
        var compression = a.Option("--compression") ?? "zstd";
        var query = $"?compression={Uri.EscapeDataString(compression)}{(a.Flag("--instance-only") ? "&instance-only=1" : "")}" +
            (a.Flag("--incremental") ? "&incremental=1" : "");
        using var response = await api.SendRawAsync(HttpMethod.Get, $"/1.0/instances/{a.Positionals[0]}/backup{query}", null,
            HttpCompletionOption.ResponseHeadersRead);
        await using var body = await response.Content.ReadAsStreamAsync();
        var file = a.Positionals[1];
        var partial = $"{file}.{Guid.NewGuid():N}.partial";
        try
        {
            await using (var output = new FileStream(partial, FileMode.CreateNew, FileAccess.Write))
            {
                try
                {
                    await body.CopyToAsync(output);
                }
                catch (HttpIOException e)
                {
                    throw new ApiException($"the export broke off midway ({e.Message}); vesseld's log says why", 500);
                }
            }
            File.Move(partial, file, overwrite: true);
        }
        finally
        {
            File.Delete(partial);
        }
        Console.WriteLine($"Exported {a.Positionals[0]} to {file} ({Sizes.Format(new FileInfo(file).Length)})");
    }

    /// <summary>vessel import FILE [NAME]: an instance back from a backup file, stopped.</summary>
    public static async Task ImportAsync(ApiClient api, string[] args)
    {
        var a = Arguments.Parse(args, [], ["--storage", "-s"]);
        a.ExpectPositionals(1, 2, "vessel import FILE [NAME] [--storage POOL]");
        await using var input = new FileStream(a.Positionals[0], FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 20, FileOptions.SequentialScan);
        using var content = new StreamContent(input, 1 << 20);
        content.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("application/octet-stream");
        var query = new List<string>();
        if (a.Positionals.Count > 1)
            query.Add($"name={Uri.EscapeDataString(a.Positionals[1])}");
        if ((a.Option("--storage") ?? a.Option("-s")) is { } pool)
            query.Add($"pool={Uri.EscapeDataString(pool)}");
        var instance = await api.SendAsync(HttpMethod.Post, $"/1.0/instances/import{(query.Count > 0 ? "?" + string.Join('&', query) : "")}", content,
            VesselJson.Wire.Instance);
        Console.WriteLine($"Imported {instance.Name}");
    }

    public static async Task ListAsync(ApiClient api, string[] args)
    {
        var a = Arguments.Parse(args, [], ["--format", "-f"]);
        a.ExpectPositionals(0, 0, "vessel list [--format table|json|csv]");
        var instances = await api.GetAsync("/1.0/instances?recursion=1", VesselJson.Wire.ListInstance);
        Output.List(a, instances, VesselJson.Wire.ListInstance, ["NAME", "STATE", "IPV4", "TYPE", "IMAGE", "POOL", "CREATED"],
            i => [i.Name, i.Status.ToString().ToUpperInvariant(), Addresses(i), i.Type.Name(), Output.Short(i.Image), i.Pool, Output.Time(i.CreatedAt)]);
    }

    /// <summary>The addresses Vessel gave the instance's nics, e.g. "10.42.7.2 (eth0)".</summary>
    private static string Addresses(Instance instance) => string.Join(' ', instance.Devices
        .Where(d => d.Value.GetValueOrDefault("type") == "nic")
        .OrderBy(d => d.Key, StringComparer.Ordinal)
        .Select(d => (d.Value.GetValueOrDefault("ipv4.address") ?? instance.Config.GetValueOrDefault($"volatile.{d.Key}.ipv4.address"), d.Key))
        .Where(n => n.Item1 is not null)
        .Select(n => $"{n.Item1} ({n.Key})"));

    public static async Task InfoAsync(ApiClient api, string[] args)
    {
        var a = Arguments.Parse(args, [], []);
        a.ExpectPositionals(1, 1, "vessel info NAME");
        var name = a.Positionals[0];
        var instanceTask = api.GetAsync($"/1.0/instances/{name}", VesselJson.Wire.Instance);
        var stateTask = api.GetAsync($"/1.0/instances/{name}/state", VesselJson.Wire.InstanceStateView);
        var instance = await instanceTask;
        var state = await stateTask;
        var text = new StringBuilder();
        text.Append(CultureInfo.InvariantCulture, $"Name: {instance.Name}\n");
        text.Append(CultureInfo.InvariantCulture, $"Type: {instance.Type.Name()}\n");
        text.Append(CultureInfo.InvariantCulture, $"Status: {state.Status}{(state.StatusReason is null ? "" : $" ({state.StatusReason})")}\n");
        text.Append(CultureInfo.InvariantCulture, $"Architecture: {instance.Architecture}\n");
        if (state.Machine is { } machine)
            text.Append(CultureInfo.InvariantCulture, $"Machine: {machine}\n");
        if (state.VncAddress is { } vnc)
            text.Append(CultureInfo.InvariantCulture, $"VNC: {vnc}, password {instance.Config.GetValueOrDefault(VncDisplay.PasswordKey)}\n");
        text.Append(CultureInfo.InvariantCulture, $"Image: {Output.Short(instance.Image)}\n");
        text.Append(CultureInfo.InvariantCulture, $"Storage pool: {instance.Pool}\n");
        text.Append(CultureInfo.InvariantCulture, $"Created: {Output.Time(instance.CreatedAt)}\n");
        text.Append(CultureInfo.InvariantCulture, $"Ephemeral: {(instance.Ephemeral ? "yes" : "no")}\n");
        if (state.Pid is { } pid)
            text.Append(CultureInfo.InvariantCulture, $"PID: {pid}\n");
        if (instance.Config.Count > 0)
        {
            text.Append("Config:\n");
            foreach (var (key, value) in instance.Config.OrderBy(c => c.Key))
                text.Append(CultureInfo.InvariantCulture, $"  {key}: {value}\n");
        }
        if (instance.Devices.Count > 0)
        {
            text.Append("Devices:\n");
            foreach (var (device, settings) in instance.Devices.OrderBy(d => d.Key))
                text.Append(CultureInfo.InvariantCulture, $"  {device}: {string.Join(", ", settings.OrderBy(s => s.Key).Select(s => $"{s.Key}={s.Value}"))}\n");
        }
        text.Append(UsageText(state));
        Console.Out.Write(text.ToString());
    }

    private static string UsageText(InstanceStateView state)
    {
        if (state.Usage is not { } u)
            return state.UsageUnavailable is { } why ? $"Usage: not available: {why}\n" : "Usage: none (not running)\n";
        var lines = new List<string>();
        if (u.CpuSeconds is { } cpu)
            lines.Add(string.Create(CultureInfo.InvariantCulture, $"  CPU time: {cpu:0.00}s"));
        if (u.MemoryBytes is { } memory)
            lines.Add($"  Memory: {Sizes.Format(memory)}{(u.MemoryPeakBytes is { } peak ? $" (peak {Sizes.Format(peak)})" : "")}");
        if (u.Processes is { } processes)
            lines.Add($"  Processes: {processes}");
        if (u.DiskBytes is { } disk)
            lines.Add($"  Disk: {Sizes.Format(disk)}");
        if (u.NetworkRxBytes is { } rx && u.NetworkTxBytes is { } tx)
            lines.Add($"  Network: received {Sizes.Format(rx)}, sent {Sizes.Format(tx)}");
        return "Usage:\n" + string.Join('\n', lines) + "\n";
    }

    public static async Task ChangeStateAsync(ApiClient api, string action, string[] args)
    {
        var a = Arguments.Parse(args, ["--force", "-f", "--no-wait"], ["--timeout"]);
        if (a.Positionals.Count == 0)
            throw new UsageException($"usage: vessel {action} NAME... [--force] [--timeout SECONDS]");
        var timeout = 30;
        if (a.Option("--timeout") is { } text && !int.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out timeout))
            throw new UsageException($"--timeout: \"{text}\" is not a number of seconds");
        var request = new InstanceStatePut { Action = action, Force = a.Flag("--force") || a.Flag("-f"), Timeout = timeout };
        await ForEachAsync(api, a, name => api.SendAsync(HttpMethod.Put, $"/1.0/instances/{name}/state",
            ApiClient.Json(request, VesselJson.Wire.InstanceStatePut), VesselJson.Wire.Operation));
    }

    public static async Task DeleteAsync(ApiClient api, string[] args)
    {
        var a = Arguments.Parse(args, ["--force", "-f", "--no-wait"], []);
        if (a.Positionals.Count == 0)
            throw new UsageException("usage: vessel delete NAME... [--force]");
        var force = a.Flag("--force") || a.Flag("-f") ? "?force=1" : "";
        await ForEachAsync(api, a, name => api.SendAsync(HttpMethod.Delete, $"/1.0/instances/{name}{force}", null, VesselJson.Wire.Operation));
    }

    /// <summary>Starts the action on every named instance, then waits for all of them; reports each failure.</summary>
    private static async Task ForEachAsync(ApiClient api, Arguments a, Func<string, Task<Operation>> begin)
    {
        var failures = new List<string>();
        var started = new List<Operation>();
        foreach (var name in a.Positionals)
        {
            try
            {
                started.Add(await begin(name));
            }
            catch (ApiException e)
            {
                failures.Add(e.Message);
            }
        }
        foreach (var operation in started)
        {
            if (a.Flag("--no-wait"))
            {
                Console.WriteLine(operation.Id);
                continue;
            }
            try
            {
                await api.WaitAsync(operation);
            }
            catch (ApiException e)
            {
                failures.Add(e.Message);
            }
        }
        if (failures.Count > 0)
            throw new ApiException(string.Join("; ", failures), 0);
    }
}
