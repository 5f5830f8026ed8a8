using Vessel.Storage.Images;

namespace Vessel.Storage.Tests.Images;

public sealed class EntryPathTests
{
    [Theory]
    [InlineData("etc/passwd", "etc/passwd")]
    [InlineData("./etc/passwd", "etc/passwd")]
    [InlineData("/etc/passwd", "etc/passwd")]
    [InlineData("///etc//passwd/", "etc/passwd")]
    [InlineData("etc/./passwd", "etc/passwd")]
    [InlineData("./", "")]
    [InlineData(".", "")]
    [InlineData("/", "")]
    [InlineData("..foo/bar..", "..foo/bar..")]
    [InlineData(".wh..wh..opq", ".wh..wh..opq")]
    public void Normalize_MakesTheNameRelative(string name, string relative) => Assert.Equal(relative, EntryPath.Normalize(name));

    [Theory]
    [InlineData("..")]
    [InlineData("../etc")]
    [InlineData("etc/../../x")]
    [InlineData("etc/..")]
    [InlineData("/..")]
    public void Normalize_RefusesDotDot(string name) => Assert.Null(EntryPath.Normalize(name));

    [Fact]
    public void Ancestors_AreOutermostFirst() => Assert.Equal(["a", "a/b"], EntryPath.Ancestors("a/b/c"));

    [Fact]
    public void ParentAndName()
    {
        Assert.Equal(("a/b", "c"), (EntryPath.Parent("a/b/c"), EntryPath.Name("a/b/c")));
        Assert.Equal(("", "top"), (EntryPath.Parent("top"), EntryPath.Name("top")));
    }

    [Theory]
    [InlineData("a/b", "a", true)]
    [InlineData("a", "a", true)]
    [InlineData("ab", "a", false)]
    [InlineData("anything", "", true)]
    public void IsUnder(string path, string directory, bool under) => Assert.Equal(under, EntryPath.IsUnder(path, directory));
}
