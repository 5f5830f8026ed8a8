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

    [Theory]
    [InlineData("90s", 90)]
    [InlineData("30m", 1800)]
    [InlineData("12h", 43200)]
    [InlineData("2d", 172800)]
    [InlineData("1w", 604800)]
    public void Duration_TakesOneUnit(string value, int seconds) =>
        Assert.Equal(TimeSpan.FromSeconds(seconds), ServerConfigSchema.ParseDuration("expiry", value));

    [Theory]
    [InlineData("0s", "out of range")]
    [InlineData("100000w", "out of range")]
    [InlineData("5", "not a duration")]
    [InlineData("h", "not a duration")]
    [InlineData("-1d", "not a duration")]
    [InlineData("1.5h", "not a duration")]
    public void Duration_Bad_IsRefused(string value, string message) =>
        Assert.Contains(message, Assert.Throws<BadRequestException>(() => ServerConfigSchema.ParseDuration("expiry", value)).Message);
}
