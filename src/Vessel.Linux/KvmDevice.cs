using System.Runtime.InteropServices;

namespace Vessel.Linux;

internal static class KvmDevice
{
    private const nuint KvmGetApiVersion = 0xAE00; // _IO(KVMIO, 0x00)
    private const int StableApiVersion = 12;

    /// <summary>Null when <paramref name="path"/> opens read/write and answers KVM_GET_API_VERSION
    /// with 12; otherwise why it cannot be used.</summary>
    public static string? Probe(string path)
    {
        if (!File.Exists(path))
        {
            return $"{path} does not exist";
        }

        try
        {
            using var handle = File.OpenHandle(path, FileMode.Open, FileAccess.ReadWrite, FileShare.ReadWrite);
            var version = Interop.Ioctl(handle, KvmGetApiVersion, 0);
            if (version < 0)
            {
                return $"{path} does not answer KVM_GET_API_VERSION: {Marshal.GetPInvokeErrorMessage(Marshal.GetLastPInvokeError())}";
            }

            return version == StableApiVersion ? null : $"{path} speaks KVM API {version}, expected {StableApiVersion}";
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return $"cannot open {path} read/write: {e.Message}";
        }
    }
}
