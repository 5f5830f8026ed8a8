using System.Net;
using Vessel.Core.Validation;

namespace Vessel.Core.Tests;

public sealed class VncDisplayTests
{
    [Theory]
    [InlineData("127.0.0.1:5901", "127.0.0.1", 5901, 5901)]
    [InlineData("127.0.0.2:5900-5910", "127.0.0.2", 5900, 5910)]
    [InlineData("127.0.0.1:auto", "127.0.0.1", 5900, 5999)]
    [InlineData("[::1]:6000", "::1", 6000, 6000)]
    public void Parse_TakesALoopbackAddressWithAPortARangeOrAuto(string value, string host, int first, int last)
    {
        Assert.Equal(new VncDisplay.Listen(IPAddress.Parse(host), first, last), VncDisplay.Parse("vm.vnc.address", value));
    }

    [Theory]
    [InlineData("0.0.0.0:5901", "vm.vnc.address: 0.0.0.0 is not a loopback address; VNC's password authentication is too weak for a network")]
    [InlineData("[::]:5901", "vm.vnc.address: :: is not a loopback address")]
    [InlineData("192.168.1.5:auto", "vm.vnc.address: 192.168.1.5 is not a loopback address")]
    [InlineData("localhost:5901", "vm.vnc.address: \"localhost:5901\" is not a loopback address and a port of 5900-65535")]
    [InlineData("127.0.0.1", "vm.vnc.address: \"127.0.0.1\" is not a loopback address and a port")]
    [InlineData("::1:5901", "vm.vnc.address: \"::1:5901\": write an IPv6 address in brackets, such as [::1]:5901")]
    [InlineData("127.0.0.1:80", "vm.vnc.address: 80 is out of range; allowed is 5900 to 65535 (QEMU numbers VNC displays from port 5900)")]
    [InlineData("127.0.0.1:5910-5901", "vm.vnc.address: the range 5910-5901 ends before it begins")]
    [InlineData("127.0.0.1:59o1", "vm.vnc.address: \"59o1\" is not a whole number")]
    public void Parse_RefusesWhatIsNotLoopbackOrNoPort(string value, string message)
    {
        var error = Assert.Throws<BadRequestException>(() => VncDisplay.Parse("vm.vnc.address", value));

        Assert.StartsWith(message, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void WithPassword_MakesOneForAnAddress_KeepsIt_AndDropsItWithTheAddress()
    {
        var made = VncDisplay.WithPassword(new Dictionary<string, string> { ["vm.vnc.address"] = "127.0.0.1:auto" });
        var password = made["volatile.vnc.password"];

        Assert.Equal(8, password.Length);
        Assert.Equal(password, VncDisplay.WithPassword(made)["volatile.vnc.password"]);
        Assert.NotEqual(password, VncDisplay.WithPassword(new Dictionary<string, string> { ["vm.vnc.address"] = "127.0.0.1:auto" })["volatile.vnc.password"]);
        Assert.Empty(VncDisplay.WithPassword(new Dictionary<string, string> { ["volatile.vnc.password"] = password }));
    }

    [Fact]
    public void Address_OnAMachineWithoutDisplay_IsRefused()
    {
        var config = new Dictionary<string, string> { ["vm.machine"] = "microvm", ["vm.vnc.address"] = "127.0.0.1:5901" };

        var error = Assert.Throws<BadRequestException>(() => MachineTypes.Check("x86_64", "x86_64", config));

        Assert.Equal("vm.vnc.address: a microvm machine has no graphical console (q35 has one)", error.Message);
    }
}
