using Microsoft.Data.Sqlite;
using Vessel.Core;
using Vessel.Core.Model;

namespace Vessel.State;

public sealed partial class SqliteStateStore
{
    private const string OperationColumns = "id, description, status, resources, error, may_cancel, created_at, updated_at";
    private const string UpdateOperationSql =
        "UPDATE operations SET status = $status, error = $err, may_cancel = $cancel, updated_at = $updated WHERE id = $id";

    // An operation's record is bookkeeping, written twice by every action: its commits are not durable (see WriteAsync).
    // What a power cut takes is the last few records; a daemon start marks the unfinished ones failed anyway.
    public Task CreateOperationAsync(Operation operation, CancellationToken cancellationToken = default) =>
        WriteAsync((c, t) => Execute(c, t,
            $"INSERT INTO operations ({OperationColumns}) VALUES ($id, $desc, $status, $res, $err, $cancel, $created, $updated)",
            OperationParameters(operation)), cancellationToken, () => $"operation {operation.Id} already exists", durable: false);

    public Task UpdateOperationAsync(Operation operation, CancellationToken cancellationToken = default) =>
        WriteAsync((c, t) =>
        {
            if (Execute(c, t, UpdateOperationSql,
                    OperationParameters(operation)) == 0)
                throw new NotFoundException($"operation {operation.Id} not found");
        }, cancellationToken, durable: false);

    private static (string, object?)[] OperationParameters(Operation o) =>
    [
        ("$id", o.Id), ("$desc", o.Description), ("$status", o.Status.ToString()),
        ("$res", Json(o.Resources.ToList(), Encoding.ListString)), ("$err", o.Error), ("$cancel", o.MayCancel ? 1 : 0),
        ("$created", Time(o.CreatedAt)), ("$updated", Time(o.UpdatedAt)),
    ];

    public Task<Operation?> GetOperationAsync(string id, CancellationToken cancellationToken = default) =>
        ReadAsync(c => Query(c, null, $"SELECT {OperationColumns} FROM operations WHERE id = $id", ReadOperation, ("$id", id)).SingleOrDefault(),
            cancellationToken);

    public Task<IReadOnlyList<Operation>> ListOperationsAsync(CancellationToken cancellationToken = default) =>
        ReadAsync<IReadOnlyList<Operation>>(c => Query(c, null, $"SELECT {OperationColumns} FROM operations ORDER BY created_at", ReadOperation),
            cancellationToken);

    private static Operation ReadOperation(SqliteDataReader r) => new()
    {
        Id = r.GetString(0),
        Description = r.GetString(1),
        Status = Enum.Parse<OperationStatus>(r.GetString(2)),
        Resources = FromJson(r.GetString(3), Encoding.ListString),
        Error = NullableString(r, 4),
        MayCancel = r.GetInt64(5) != 0,
        CreatedAt = Time(r, 6),
        UpdatedAt = Time(r, 7),
    };

    public Task<IReadOnlyList<Operation>> FailUnfinishedOperationsAsync(string reason, CancellationToken cancellationToken = default) =>
        WriteAsync<IReadOnlyList<Operation>>((c, t) =>
        {
            var unfinished = Query(c, t, $"SELECT {OperationColumns} FROM operations WHERE status IN ('Pending', 'Running')", ReadOperation);
            var now = DateTimeOffset.UtcNow;
            var failed = unfinished.ConvertAll(o => o with { Status = OperationStatus.Failure, Error = reason, MayCancel = false, UpdatedAt = now });
            foreach (var operation in failed)
                Execute(c, t, UpdateOperationSql,
                    OperationParameters(operation));
            return failed;
        }, cancellationToken);

    public Task PruneOperationsAsync(DateTimeOffset cutoff, CancellationToken cancellationToken = default) =>
        WriteAsync((c, t) => Execute(c, t, "DELETE FROM operations WHERE status IN ('Success', 'Failure', 'Cancelled') AND updated_at < $cutoff",
            ("$cutoff", Time(cutoff))), cancellationToken);
}
