import { useState } from "preact/hooks";
import { del, enc, get, type NetworkView } from "../api";
import { ActionStatus, Confirm, ErrorText, Spinner, useAction, useLoad } from "../components";
import { useLiveReload } from "./live";
import { href } from "../router";

export function Networks() {
  const list = useLoad((signal) => get<NetworkView[]>("/networks", signal));
  useLiveReload(list.reload, (e) => (e.action ?? "").startsWith("network") || (e.action ?? "").startsWith("instance"));
  const { busy, error, run } = useAction();
  const [confirm, setConfirm] = useState<string | null>(null);
  return (
    <>
      <h1>Networks</h1>
      <ActionStatus busy={busy} error={error} />
      <ErrorText error={list.error} />
      {!list.value && !list.error && <Spinner label="Loading networks" />}
      {list.value && list.value.length === 0 && <p>No networks. Make one on the host with `vessel network create NAME`.</p>}
      {list.value && list.value.length > 0 && (
        <div class="table-wrap">
          <table>
            <thead>
              <tr>
                <th scope="col">Name</th>
                <th scope="col">IPv4</th>
                <th scope="col">NAT</th>
                <th scope="col">State</th>
                <th scope="col">Used by</th>
                <th scope="col">Leases</th>
                <th scope="col">Description</th>
                <th scope="col">Actions</th>
              </tr>
            </thead>
            <tbody>
              {list.value.map((n) => (
                <tr key={n.network.name} data-testid={`network-row-${n.network.name}`}>
                  <td>{n.network.name}</td>
                  <td>{n.network.config["ipv4.address"] ?? "–"}</td>
                  <td>{n.network.config["ipv4.nat"] ?? "–"}</td>
                  <td>{n.up ? "up" : "down"}</td>
                  <td>
                    {n.used_by.length === 0
                      ? "–"
                      : n.used_by.map((i, k) => (
                          <>
                            {k > 0 && ", "}
                            <a href={href("instances", i)}>{i}</a>
                          </>
                        ))}
                  </td>
                  <td>{n.leases.map((l) => `${l.instance} ${l.ipv4_address ?? l.hwaddr}`).join(", ") || "–"}</td>
                  <td>{n.network.description}</td>
                  <td>
                    <button type="button" class="danger" disabled={busy !== null} onClick={() => setConfirm(n.network.name)} aria-label={`Delete network ${n.network.name}`}>
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
          title={`Delete network ${confirm}?`}
          text={`The network ${confirm} and its bridge will be deleted. The API refuses while instances use it.`}
          confirm="Delete"
          onConfirm={async () => {
            await run(`delete network ${confirm}`, () => del(`/networks/${enc(confirm)}`));
            list.reload();
          }}
          onClose={() => setConfirm(null)}
        />
      )}
    </>
  );
}
