using Vessel.Storage.Images;

namespace Vessel.Storage.Tests.Images;

public sealed class ElfFileTests
{
    [Fact]
    public void BusyboxStatic_IsStatic() => Assert.True(ElfFile.IsStatic(BusyboxImage.BusyboxPath));

    [Theory]
    [InlineData("/bin/ls")]
    [InlineData("/bin/sh")]
    public void DynamicallyLinkedPrograms_AreNot(string path) => Assert.False(ElfFile.IsStatic(path));

    [Fact]
    public void NonElfFiles_AreNot() => Assert.False(ElfFile.IsStatic("/etc/passwd"));
}
