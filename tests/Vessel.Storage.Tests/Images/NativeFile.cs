using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;

namespace Vessel.Storage.Tests.Images;

/// <summary>What .NET does not tell about a file: owner, full mode, type and device numbers (stat(1)), and xattrs.</summary>
internal static partial class NativeFile
{
    public sealed record Status(int Uid, int Gid, string Mode, string Type, int Major, int Minor, long Mtime);

    /// <summary>lstat, through stat(1): a symbolic link is described, not followed.</summary>
    public static Status Stat(string path)
    {
        var start = new ProcessStartInfo("stat") { ArgumentList = { "-c", "%u %g %a %t %T %Y %F", path }, RedirectStandardOutput = true, RedirectStandardError = true };
        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        Assert.True(process.ExitCode == 0, process.StandardError.ReadToEnd());
        var parts = output.TrimEnd('\n').Split(' ', 7);
        return new Status(int.Parse(parts[0], CultureInfo.InvariantCulture), int.Parse(parts[1], CultureInfo.InvariantCulture), parts[2], parts[6],
            int.Parse(parts[3], NumberStyles.HexNumber, CultureInfo.InvariantCulture), int.Parse(parts[4], NumberStyles.HexNumber, CultureInfo.InvariantCulture),
            long.Parse(parts[5], CultureInfo.InvariantCulture));
    }

    [LibraryImport("libc", EntryPoint = "lgetxattr", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial nint Lgetxattr(string path, string name, Span<byte> value, nuint size);

    /// <summary>The attribute's bytes, or null when the file has no such attribute.</summary>
    public static byte[]? GetXattr(string path, string name)
    {
        var buffer = new byte[65536];
        var length = Lgetxattr(path, name, buffer, (nuint)buffer.Length);
        if (length < 0)
        {
            const int NoData = 61; // ENODATA
            var errno = Marshal.GetLastPInvokeError();
            Assert.True(errno == NoData, $"lgetxattr {path} {name}: {Marshal.GetPInvokeErrorMessage(errno)}");
            return null;
        }
        return buffer[..(int)length];
    }
}
