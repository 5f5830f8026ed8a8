using System.Net;
using Vessel.Core.Validation;

namespace Vessel.Core.Tests;

public sealed class ServerConfigSchemaTests
{
    [Theory]
    [InlineData("127.0.0.1:8443", "127.0.0.1:8443")]
    [InlineData("[::1]:8443", "[::1]:8443")]
    [InlineData("0.0.0.0:443", "0.0.0.0:443")]
    public void HttpsAddress_TakesAddressAndPort(string value, string expected) =>
        Assert.Equal(IPEndPoint.Parse(expected), ServerConfigSchema.ParseEndpoint("core.https_address", value));

    [Theory]
    [InlineData("127.0.0.1")]
    [InlineData("[::1]")]
    [InlineData("::1")]
    [InlineData("127.0.0.1:0")]
    [InlineData("127.0.0.1:70000")]
    [InlineData("localhost:8443")]
    [InlineData("")]
    public void HttpsAddress_WithoutAUsablePortOrAddress_IsRefused(string value)
    {
        var e = Assert.Throws<BadRequestException>(() => ServerConfigSchema.ValidateKey("core.https_address", value));
        Assert.Contains("is not an address with a port", e.Message);
    }

    [Fact]
    public void UnknownKey_IsRefused_NamingTheKnownOnes() =>
        Assert.Contains("known: core.https_address", Assert.Throws<BadRequestException>(() => ServerConfigSchema.ValidateKey("core.trust", "x")).Message);
}
