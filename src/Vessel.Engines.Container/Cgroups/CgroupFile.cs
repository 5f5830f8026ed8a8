using System.Globalization;
using System.Text;

namespace Vessel.Engines.Container.Cgroups;

/// <summary>Reads and writes the small control files of cgroupfs, naming file and value in every error.</summary>
internal static class CgroupFile
{
    public static bool Exists(string directory, string name) => File.Exists(Path.Join(directory, name));

    public static string Read(string directory, string name)
    {
        var path = Path.Join(directory, name);
        try
        {
            return File.ReadAllText(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new CgroupException($"cannot read {path}: {Reason(e, path)}", e);
        }
    }

    public static long ReadLong(string directory, string name)
    {
        var text = Read(directory, name).Trim();
        return long.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var value)
            ? value
            : throw new CgroupException($"{Path.Join(directory, name)}: \"{text}\" is not a number");
    }

    /// <summary>The value of <paramref name="key"/> in a flat-keyed file such as memory.events ("oom_kill 3"), or 0 when absent.</summary>
    public static long ReadKeyed(string directory, string name, string key)
    {
        foreach (var line in Read(directory, name).Split('\n'))
        {
            var fields = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            if (fields.Length == 2 && fields[0] == key
                && long.TryParse(fields[1], NumberStyles.None, CultureInfo.InvariantCulture, out var value))
            {
                return value;
            }
        }
        return 0;
    }

    public static IReadOnlyList<int> ReadPids(string directory)
    {
        var pids = new List<int>();
        foreach (var line in Read(directory, "cgroup.procs").Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            if (int.TryParse(line, NumberStyles.None, CultureInfo.InvariantCulture, out var pid))
                pids.Add(pid);
        }
        return pids;
    }

    public static void Write(string directory, string name, long value) =>
        Write(directory, name, value.ToString(CultureInfo.InvariantCulture));

    /// <summary>Writes the whole value with one write(2), as cgroupfs parses each write on its own.</summary>
    public static void Write(string directory, string name, string value)
    {
        var path = Path.Join(directory, name);
        try
        {
            // Truncate without create: a missing control file is an error, never a new file.
            using var handle = File.OpenHandle(path, FileMode.Truncate, FileAccess.Write, FileShare.ReadWrite);
            RandomAccess.Write(handle, Encoding.ASCII.GetBytes(value), 0);
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            throw new CgroupException($"cannot write \"{value}\" to {path}: the file does not exist", e);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new CgroupException($"cannot write \"{value}\" to {path}: {Reason(e, path)}", e);
        }
    }

    // .NET ends errno messages with " : 'path'", which the message already names.
    private static string Reason(Exception e, string path)
    {
        var suffix = $" : '{path}'";
        return e.Message.EndsWith(suffix, StringComparison.Ordinal) ? e.Message[..^suffix.Length] : e.Message;
    }
}
