namespace Vessel.State;

public sealed partial class SqliteStateStore
{
    public Task<string?> GetSettingAsync(string key, CancellationToken cancellationToken = default) =>
        ReadAsync(c => Scalar(c, null, "SELECT value FROM settings WHERE key = $k", ("$k", key)) as string, cancellationToken);

    public Task SetSettingAsync(string key, string value, CancellationToken cancellationToken = default) =>
        WriteAsync((c, t) => Execute(c, t, "INSERT INTO settings (key, value) VALUES ($k, $v) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            ("$k", key), ("$v", value)), cancellationToken);

    public Task DeleteSettingAsync(string key, CancellationToken cancellationToken = default) =>
        WriteAsync((c, t) => Execute(c, t, "DELETE FROM settings WHERE key = $k", ("$k", key)), cancellationToken);
}
