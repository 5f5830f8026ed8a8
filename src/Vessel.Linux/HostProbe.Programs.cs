namespace Vessel.Linux;

public static partial class HostProbe
{
    private static HostCheck Program(HostFiles files, string program, CheckStatus whenMissing, string fix, string? name = null)
    {
        name ??= program;
        var path = files.FindProgram(program);
        if (path is null)
        {
            return new HostCheck(name, whenMissing, $"{program} not found on PATH or in /usr/sbin, /sbin", fix);
        }

        var version = VersionText.Parse(files.RunVersion(path));
        return HostCheck.Ok(name, version is null ? $"{path} (version unknown)" : $"{version} at {path}");
    }
}
