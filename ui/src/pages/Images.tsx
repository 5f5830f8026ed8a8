import { useState } from "preact/hooks";
import { del, enc, get, type Image } from "../api";
import { ActionStatus, Confirm, ErrorText, Spinner, useAction, useLoad } from "../components";
import { useLiveReload } from "./live";
import { bytes, short, time } from "../format";

export function Images() {
  const list = useLoad((signal) => get<Image[]>("/images?recursion=1", signal));
  useLiveReload(list.reload, (e) => (e.action ?? "").startsWith("image") || (e.operation?.resources ?? []).includes("/1.0/images"));
  const { busy, error, run } = useAction();
  const [confirm, setConfirm] = useState<Image | null>(null);
  return (
    <>
      <h1>Images</h1>
      <ActionStatus busy={busy} error={error} />
      <ErrorText error={list.error} />
      {!list.value && !list.error && <Spinner label="Loading images" />}
      {list.value && list.value.length === 0 && <p>No images. Build one on the host with `vessel image build busybox`.</p>}
      {list.value && list.value.length > 0 && (
        <div class="table-wrap">
          <table>
            <thead>
              <tr>
                <th scope="col">Aliases</th>
                <th scope="col">Fingerprint</th>
                <th scope="col">Type</th>
                <th scope="col">Architecture</th>
                <th scope="col">Format</th>
                <th scope="col">Size</th>
                <th scope="col">Created</th>
                <th scope="col">Actions</th>
              </tr>
            </thead>
            <tbody>
              {list.value.map((i) => (
                <tr key={i.fingerprint} data-testid={`image-row-${i.fingerprint.slice(0, 12)}`}>
                  <td>{i.aliases.join(", ") || "–"}</td>
                  <td title={i.fingerprint}>
                    <code>{short(i.fingerprint)}</code>
                  </td>
                  <td>{i.type}</td>
                  <td>{i.architecture}</td>
                  <td>{i.format}</td>
                  <td>{bytes(i.size)}</td>
                  <td>{time(i.created_at)}</td>
                  <td>
                    <button type="button" class="danger" disabled={busy !== null} onClick={() => setConfirm(i)} aria-label={`Delete image ${short(i.fingerprint)}`}>
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
          title={`Delete image ${short(confirm.fingerprint)}?`}
          text={`The ${confirm.type} image ${confirm.aliases.join(", ") || short(confirm.fingerprint)} will be deleted from the image store.`}
          confirm="Delete"
          onConfirm={async () => {
            await run(`delete image ${short(confirm.fingerprint)}`, () => del(`/images/${enc(confirm.fingerprint)}`));
            list.reload();
          }}
          onClose={() => setConfirm(null)}
        />
      )}
    </>
  );
}
