import { useState } from "preact/hooks";
import { del, enc, get, type StoragePoolView } from "../api";
import { ActionStatus, Confirm, ErrorText, Spinner, useAction, useLoad } from "../components";
import { useLiveReload } from "./live";
import { bytes, percent } from "../format";

export function StoragePools() {
  const list = useLoad((signal) => get<StoragePoolView[]>("/storage-pools", signal));
  useLiveReload(list.reload, (e) => (e.action ?? "").startsWith("storage-pool") || e.action === "instance-created" || e.action === "instance-deleted");
  const { busy, error, run } = useAction();
  const [confirm, setConfirm] = useState<string | null>(null);
  return (
    <>
      <h1>Storage pools</h1>
      <ActionStatus busy={busy} error={error} />
      <ErrorText error={list.error} />
      {!list.value && !list.error && <Spinner label="Loading storage pools" />}
      {list.value && (
        <div class="table-wrap">
          <table>
            <thead>
              <tr>
                <th scope="col">Name</th>
                <th scope="col">Driver</th>
                <th scope="col">Source</th>
                <th scope="col">Used</th>
                <th scope="col">Size</th>
                <th scope="col">Instances</th>
                <th scope="col">Description</th>
                <th scope="col">Actions</th>
              </tr>
            </thead>
            <tbody>
              {list.value.map((p) => (
                <tr key={p.pool.name} data-testid={`pool-row-${p.pool.name}`}>
                  <td>{p.pool.name}</td>
                  <td>{p.pool.driver}</td>
                  <td>
                    <code>{p.pool.source}</code>
                  </td>
                  <td>
                    {bytes(p.usage.used_bytes)} ({percent(p.usage.used_bytes, p.usage.total_bytes)})
                  </td>
                  <td>{bytes(p.usage.total_bytes)}</td>
                  <td>{p.instances}</td>
                  <td>{p.pool.description}</td>
                  <td>
                    <button type="button" class="danger" disabled={busy !== null} onClick={() => setConfirm(p.pool.name)} aria-label={`Delete pool ${p.pool.name}`}>
                      Delete
                    </button>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      {confirm && (
        <Confirm
          title={`Delete storage pool ${confirm}?`}
          text={`The pool ${confirm} will be deleted. The API refuses while it holds instances.`}
          confirm="Delete"
          onConfirm={async () => {
            await run(`delete pool ${confirm}`, () => del(`/storage-pools/${enc(confirm)}`));
            list.reload();
          }}
          onClose={() => setConfirm(null)}
        />
      )}
    </>
  );
}
