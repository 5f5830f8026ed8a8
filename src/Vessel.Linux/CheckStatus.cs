namespace Vessel.Linux;

public enum CheckStatus
{
    Ok,
    Warn,
    Fail,
}
