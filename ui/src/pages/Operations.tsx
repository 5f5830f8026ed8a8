import { del, enc, get, type Operation } from "../api";
import { ActionStatus, ErrorText, Spinner, StatusBadge, useAction, useLoad } from "../components";
import { useLiveReload } from "./live";
import { time } from "../format";

export function Operations() {
  const list = useLoad((signal) => get<Operation[]>("/operations", signal));
  useLiveReload(list.reload, (e) => e.type === "operation");
  const { busy, error, run } = useAction();
  const operations = list.value ? [...list.value].sort((a, b) => b.created_at.localeCompare(a.created_at)) : null;
  return (
    <>
      <h1>Operations</h1>
      <ActionStatus busy={busy} error={error} />
      <ErrorText error={list.error} />
      {!operations && !list.error && <Spinner label="Loading operations" />}
      {operations && operations.length === 0 && <p>No operations yet.</p>}
      {operations && operations.length > 0 && (
        <div class="table-wrap">
          <table>
            <thead>
              <tr>
                <th scope="col">Description</th>
                <th scope="col">Status</th>
                <th scope="col">Resources</th>
                <th scope="col">Created</th>
                <th scope="col">Updated</th>
                <th scope="col">Error</th>
                <th scope="col">Actions</th>
              </tr>
            </thead>
            <tbody>
              {operations.map((o) => (
                <tr key={o.id}>
                  <td title={o.id}>{o.description}</td>
                  <td>
                    <StatusBadge status={o.status} />
                  </td>
                  <td>{o.resources.join(", ")}</td>
                  <td>{time(o.created_at)}</td>
                  <td>{time(o.updated_at)}</td>
                  <td class="error-cell">{o.error ?? ""}</td>
                  <td>
                    {o.may_cancel && (o.status === "Running" || o.status === "Pending") && (
                      <button type="button" disabled={busy !== null} onClick={() => run(`cancel ${o.description}`, () => del(`/operations/${enc(o.id)}`))}>
                        Cancel
                      </button>
                    )}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </>
  );
}
