using Vessel.Core.Validation;

namespace Vessel.Core.Tests;

public sealed class NamesTests
{
    [Theory]
    [InlineData("a")]
    [InlineData("web1")]
    [InlineData("web-1")]
    [InlineData("Web-Server-2")]
    [InlineData("a--b")]
    public void Label_Valid_IsAccepted(string name) => Names.ValidateLabel("name", name);

    [Fact]
    public void Label_Of63Characters_IsAccepted() => Names.ValidateLabel("name", "a" + new string('b', 62));

    [Theory]
    [InlineData(null, "a name is required")]
    [InlineData("", "a name is required")]
    [InlineData("1web", "must start with a letter")]
    [InlineData("-web", "must start with a letter")]
    [InlineData("web-", "must not end with a dash")]
    [InlineData("web_1", "not '_'")]
    [InlineData("web.1", "not '.'")]
    [InlineData("web 1", "not ' '")]
    [InlineData("wéb", "not 'é'")]
    [InlineData("a/b", "not '/'")]
    public void Label_Invalid_IsRefusedWithTheReason(string? name, string reason)
    {
        var e = Assert.Throws<BadRequestException>(() => Names.ValidateLabel("pool", name));

        Assert.StartsWith("pool: ", e.Message, StringComparison.Ordinal);
        Assert.Contains(reason, e.Message, StringComparison.Ordinal);
        Assert.Equal(400, e.StatusCode);
    }

    [Fact]
    public void Label_Of64Characters_IsRefused()
    {
        var e = Assert.Throws<BadRequestException>(() => Names.ValidateLabel("name", "a" + new string('b', 63)));

        Assert.Contains("is 64 characters long; a name is at most 63", e.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("debian")]
    [InlineData("debian/12")]
    [InlineData("ubuntu/24.04/cloud")]
    [InlineData("my_image-1.0")]
    [InlineData("cafe")]
    [InlineData("abcdef1")]
    [InlineData("DEADBEEF")]
    [InlineData("deadbeef/1")]
    [InlineData("deadbeeg")]
    public void Alias_Valid_IsAccepted(string alias) => Names.ValidateAlias("alias", alias);

    [Fact]
    public void Alias_Of128Characters_IsAccepted() => Names.ValidateAlias("alias", "x" + new string('y', 127));

    [Theory]
    [InlineData(null, "an alias is required")]
    [InlineData("", "an alias is required")]
    [InlineData("/debian", "has an empty, '.' or '..' part")]
    [InlineData("debian/", "has an empty, '.' or '..' part")]
    [InlineData("debian//12", "has an empty, '.' or '..' part")]
    [InlineData("..", "has an empty, '.' or '..' part")]
    [InlineData("../etc", "has an empty, '.' or '..' part")]
    [InlineData("debian/../12", "has an empty, '.' or '..' part")]
    [InlineData("debian/.", "has an empty, '.' or '..' part")]
    [InlineData("debian 12", "not ' '")]
    [InlineData("debian:12", "not ':'")]
    [InlineData("debian\\12", "not '\\'")]
    [InlineData("deadbeef", "looks like a fingerprint")]
    [InlineData("0123456789abcdef", "looks like a fingerprint")]
    public void Alias_Invalid_IsRefusedWithTheReason(string? alias, string reason)
    {
        var e = Assert.Throws<BadRequestException>(() => Names.ValidateAlias("alias", alias));

        Assert.StartsWith("alias: ", e.Message, StringComparison.Ordinal);
        Assert.Contains(reason, e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Alias_Of129Characters_IsRefused()
    {
        var e = Assert.Throws<BadRequestException>(() => Names.ValidateAlias("alias", "x" + new string('y', 128)));

        Assert.Equal("alias: an alias is at most 128 characters", e.Message);
    }

    [Fact]
    public void Alias_FullFingerprint_IsRefused() =>
        Assert.Throws<BadRequestException>(() => Names.ValidateAlias("alias", new string('a', 64)));

    [Theory]
    [InlineData("deadbeef", true)]
    [InlineData("0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef", true)]
    [InlineData("deadbee", false)]
    [InlineData("DEADBEEF", false)]
    [InlineData("deadbeeg", false)]
    [InlineData("0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef0", false)]
    public void IsFingerprintPrefix_NeedsEightTo64LowercaseHexDigits(string value, bool expected) =>
        Assert.Equal(expected, Names.IsFingerprintPrefix(value));
}
