namespace Vessel.Linux;

/// <summary>One line of <c>vessel doctor</c>. <paramref name="Fix"/> is set whenever the status is not Ok.</summary>
public sealed record HostCheck(string Name, CheckStatus Status, string Detail, string? Fix)
{
    internal static HostCheck Ok(string name, string detail) => new(name, CheckStatus.Ok, detail, null);

    internal static HostCheck Warn(string name, string detail, string fix) => new(name, CheckStatus.Warn, detail, fix);

    internal static HostCheck Fail(string name, string detail, string fix) => new(name, CheckStatus.Fail, detail, fix);
}
