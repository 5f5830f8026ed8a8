using System.Net.Http.Headers;
using Vessel.Core;
using Vessel.Core.Drivers;

namespace Vessel.Cli.Commands;

/// <summary>
/// vessel file push LOCAL NAME/PATH [--mode MODE] [--uid UID] [--gid GID] and vessel file pull NAME/PATH LOCAL, in a
/// running instance; "-" is stdin or stdout. A pushed file keeps its local mode unless --mode says otherwise, and is
/// root's unless --uid/--gid say otherwise.
/// </summary>
internal static class FileCommands
{
    private const string Usage = "vessel file push LOCAL NAME/PATH [--mode MODE] [--uid UID] [--gid GID] | pull NAME/PATH LOCAL";

    public static Task RunAsync(ApiClient api, string[] args) => args.FirstOrDefault() switch
    {
        "push" => PushAsync(api, args[1..]),
        "pull" => PullAsync(api, args[1..]),
        _ => throw new UsageException($"usage: {Usage}"),
    };

    /// <summary>NAME/PATH, as Incus writes it: c1/etc/hosts is /etc/hosts in c1.</summary>
    private static string FilesPath(string remote)
    {
        var slash = remote.IndexOf('/', StringComparison.Ordinal);
        if (slash <= 0 || slash == remote.Length - 1)
            throw new UsageException($"\"{remote}\" is not NAME/PATH (for example c1/etc/hosts)");
        return $"/1.0/instances/{Uri.EscapeDataString(remote[..slash])}/files?path={Uri.EscapeDataString(remote[slash..])}";
    }

    private static async Task PushAsync(ApiClient api, string[] args)
    {
        var a = Arguments.Parse(args, [], ["--mode", "--uid", "--gid"]);
        a.ExpectPositionals(2, 2, Usage);
        var (local, remote) = (a.Positionals[0], a.Positionals[1]);
        if (local != "-" && !File.Exists(local))
            throw new UsageException($"{local}: no such file");
        UnixFileMode mode;
        try
        {
            mode = InstanceFile.ParseMode("--mode", a.Option("--mode"))
                ?? (local == "-" ? InstanceFile.Default.Mode : File.GetUnixFileMode(local) & (UnixFileMode)0b111_111_111_111);
            InstanceFile.ParseId("--uid", a.Option("--uid"));
            InstanceFile.ParseId("--gid", a.Option("--gid"));
        }
        catch (BadRequestException e)
        {
            throw new UsageException(e.Message);
        }
        await using var input = local == "-" ? Console.OpenStandardInput()
            : new FileStream(local, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 20, FileOptions.SequentialScan);
        using var content = new StreamContent(input, 1 << 20);
        content.Headers.ContentType = new MediaTypeHeaderValue("application/octet-stream");
        content.Headers.Add("X-Vessel-Mode", Convert.ToString((int)mode, 8));
        content.Headers.Add("X-Vessel-Uid", a.Option("--uid") ?? "0");
        content.Headers.Add("X-Vessel-Gid", a.Option("--gid") ?? "0");
        await api.SendAsync(HttpMethod.Post, FilesPath(remote), content);
    }

    private static async Task PullAsync(ApiClient api, string[] args)
    {
        var a = Arguments.Parse(args, [], []);
        a.ExpectPositionals(2, 2, Usage);
        var (remote, local) = (a.Positionals[0], a.Positionals[1]);
        using var response = await api.SendRawAsync(HttpMethod.Get, FilesPath(remote), null, HttpCompletionOption.ResponseHeadersRead);
        await using var body = await response.Content.ReadAsStreamAsync();
        if (local == "-")
        {
            await body.CopyToAsync(Console.OpenStandardOutput());
            return;
        }
        if (Directory.Exists(local))
            local = Path.Combine(local, Path.GetFileName(remote));
        // Into a file beside it first: a transfer that breaks off leaves the old file, or none, not half of the new one.
        var partial = $"{local}.{Guid.NewGuid():N}.partial";
        try
        {
            await using (var file = new FileStream(partial, FileMode.CreateNew, FileAccess.Write))
                await body.CopyToAsync(file);
            File.Move(partial, local, overwrite: true);
        }
        finally
        {
            File.Delete(partial);
        }
    }
}
