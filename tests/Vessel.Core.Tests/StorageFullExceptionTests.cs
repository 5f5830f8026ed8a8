namespace Vessel.Core.Tests;

public sealed class StorageFullExceptionTests
{
    [Theory]
    [InlineData("/usr/bin/cp: error copying 'a' to 'b': No space left on device", true)]
    [InlineData("qemu-img: Disk quota exceeded", true)]
    [InlineData("/usr/bin/tar: ./upper/big: Wrote only 8704 of 10240 bytes; /usr/bin/tar: Exiting with failure status", true)]
    [InlineData("/usr/bin/tar: ./etc: Cannot mkdir: Permission denied", false)]
    [InlineData("Wrote only 3 of 4 bytes", false)]
    public void ToolMessages_SayWhetherTheDiskWasFull(string message, bool full) =>
        Assert.Equal(full, StorageFullException.IsCause(new VesselException(500, message)));

    [Fact]
    public void IOExceptionWithEnospc_IsAFullDisk_AndOtherErrnosAreNot()
    {
        Assert.True(StorageFullException.IsCause(new IOException("write failed", 28)));
        Assert.True(StorageFullException.IsCause(new IOException("write failed", 122)));
        Assert.False(StorageFullException.IsCause(new IOException("write failed", 5)));
    }

    [Fact]
    public void AStorageFullException_IsNotWrappedAgain() =>
        Assert.False(StorageFullException.IsCause(new StorageFullException("storage pool \"p\" is full: No space left on device", new IOException("x", 28))));
}
