// One instance: status and actions, config (live edits), devices, snapshots, copy, export, delete, and its consoles.
import { lazy, Suspense } from "preact/compat";
import { useEffect, useState } from "preact/hooks";
import { ApiError, base, del, enc, get, instanceOf, patch, post, put, type Instance, type InstanceState, type Operation, type Snapshot } from "../api";
import { ActionStatus, ConfirmButton, DeleteButton, ErrorText, Loaded, Spinner, StatusBadge, message, useAction, useLoad } from "../components";
import { Table } from "../table";
import { subscribe } from "../events";
import { bytes, seconds, short, time } from "../format";
import { href, navigate } from "../router";

const Console = lazy(() => import("./Console").then((m) => ({ default: m.Console })));
const Vnc = lazy(() => import("./Vnc").then((m) => ({ default: m.Vnc })));

export function InstancePage({ name, tab }: { name: string; tab: string }) {
  const path = `/instances/${enc(name)}`;
  const instance = useLoad((signal) => get<Instance>(path, signal), [name]);
  const [gone, setGone] = useState(false);
  const [snapshotsVersion, setSnapshotsVersion] = useState(0);

  useEffect(
    () =>
      subscribe((event) => {
        if (event.type === "resync") {
          instance.reload();
          setSnapshotsVersion((v) => v + 1);
          return;
        }
        const sources = event.type === "operation" ? (event.operation?.resources ?? []) : [event.source ?? ""];
        if (!sources.some((s) => instanceOf(s) === name)) return;
        if (event.action === "instance-deleted") setGone(true);
        else instance.reload();
        if (sources.some((s) => s.includes("/snapshots/"))) setSnapshotsVersion((v) => v + 1);
      }),
    [name],
  );

  if (gone)
    return (
      <section class="panel">
        <h1>{name}</h1>
        <p role="status">This instance has been deleted.</p>
        <a href={href("instances")}>Back to the instances</a>
      </section>
    );
  if (!instance.value)
    return instance.error ? (
      <section class="panel">
        <h1>{name}</h1>
        <ErrorText error={instance.error} />
        <a href={href("instances")}>Back to the instances</a>
      </section>
    ) : (
      <Spinner label={`Loading ${name}`} />
    );

  const i = instance.value;
  const vm = i.type === "virtual-machine";
  const tabs: [string, string][] = [
    ["overview", "Overview"],
    ["snapshots", "Snapshots"],
    ["console", vm ? "Serial console" : "Console"],
    ...(vm ? [["vnc", "Graphical console"] as [string, string]] : []),
  ];
  return (
    <>
      <div class="title-row">
        <h1>
          {i.name} <StatusBadge status={i.status} />
        </h1>
        <span class="muted">
          {vm ? "virtual machine" : "container"}
          {i.status_reason ? ` — ${i.status_reason}` : ""}
        </span>
      </div>
      <ErrorText error={instance.error} />
      <Actions instance={i} />
      <nav class="tabs" aria-label="Instance">
        {tabs.map(([id, label]) => (
          <a key={id} href={href("instances", name, id)} aria-current={tab === id ? "page" : undefined} data-testid={`tab-${id}`}>
            {label}
          </a>
        ))}
      </nav>
      {tab === "overview" && <Overview instance={i} onChanged={instance.setValue} />}
      {tab === "snapshots" && <Snapshots instance={i} version={snapshotsVersion} />}
      <Suspense fallback={<Spinner label="Loading the console" />}>
        {tab === "console" && <Console name={name} />}
        {tab === "vnc" && vm && <Vnc name={name} />}
      </Suspense>
    </>
  );
}

function Actions({ instance }: { instance: Instance }) {
  const { busy, error, run } = useAction();
  const s = instance.status;
  const path = `/instances/${enc(instance.name)}`;
  const state = (action: string, force = false) => () =>
    run(`${action} ${instance.name}`, () => put<Operation>(`${path}/state`, { action, force, timeout: 30 }));
  const remove = async () => {
    if (await run(`delete ${instance.name}`, () => del<Operation>(`${path}${s === "Stopped" ? "" : "?force=1"}`))) navigate("instances");
  };
  const disabled = busy !== null;
  return (
    <section class="actions" aria-label="Actions">
      <div class="buttons">
        <button type="button" data-testid="action-start" disabled={disabled || !(s === "Stopped" || s === "Error")} onClick={state("start")}>
          Start
        </button>
        <button type="button" data-testid="action-stop" disabled={disabled || !(s === "Running" || s === "Frozen")} onClick={state("stop")}>
          Stop
        </button>
        <button
          type="button"
          data-testid="action-force-stop"
          disabled={disabled || s === "Stopped"}
          onClick={state("stop", true)}
          title="Stops at once, without a clean shutdown"
        >
          Force stop
        </button>
        <button type="button" data-testid="action-restart" disabled={disabled || s !== "Running"} onClick={state("restart")}>
          Restart
        </button>
        <button type="button" data-testid="action-pause" disabled={disabled || s !== "Running"} onClick={state("freeze")}>
          Pause
        </button>
        <button type="button" data-testid="action-resume" disabled={disabled || s !== "Frozen"} onClick={state("unfreeze")}>
          Resume
        </button>
        <ConfirmButton
          label="Delete"
          danger
          testid="action-delete"
          disabled={disabled}
          title={`Delete ${instance.name}?`}
          text={
            s === "Stopped"
              ? `The instance ${instance.name}, its root disk and its snapshots will be deleted. This cannot be undone.`
              : `${instance.name} is ${s}: it will be stopped at once, then deleted with its root disk and snapshots. This cannot be undone.`
          }
          onConfirm={remove}
        />
      </div>
      <ActionStatus busy={busy} error={error} />
    </section>
  );
}

function Overview({ instance, onChanged }: { instance: Instance; onChanged: (i: Instance) => void }) {
  const path = `/instances/${enc(instance.name)}`;
  const state = useLoad((signal) => get<InstanceState>(`${path}/state`, signal), [instance.name, instance.status]);
  const u = state.value?.usage;
  return (
    <div class="cards">
      <section class="panel" aria-labelledby="info-h">
        <h2 id="info-h">Details</h2>
        <dl>
          <dt>Type</dt>
          <dd>{instance.type}</dd>
          <dt>Architecture</dt>
          <dd>{instance.architecture}</dd>
          <dt>Image</dt>
          <dd title={instance.image}>{short(instance.image)}</dd>
          <dt>Storage pool</dt>
          <dd>{instance.pool}</dd>
          <dt>Created</dt>
          <dd>{time(instance.created_at)}</dd>
          <dt>Ephemeral</dt>
          <dd>{instance.ephemeral ? "yes" : "no"}</dd>
          {state.value?.pid !== undefined && (
            <>
              <dt>PID</dt>
              <dd>{state.value.pid}</dd>
            </>
          )}
        </dl>
        <h3>Usage</h3>
        <ErrorText error={state.error} />
        {u ? (
          <dl>
            {u.cpu_seconds !== undefined && (
              <>
                <dt>CPU time</dt>
                <dd>{seconds(u.cpu_seconds)}</dd>
              </>
            )}
            {u.memory_bytes !== undefined && (
              <>
                <dt>Memory</dt>
                <dd>
                  {bytes(u.memory_bytes)}
                  {u.memory_peak_bytes !== undefined ? ` (peak ${bytes(u.memory_peak_bytes)})` : ""}
                </dd>
              </>
            )}
            {u.processes !== undefined && (
              <>
                <dt>Processes</dt>
                <dd>{u.processes}</dd>
              </>
            )}
            {u.disk_bytes !== undefined && (
              <>
                <dt>Disk</dt>
                <dd>{bytes(u.disk_bytes)}</dd>
              </>
            )}
            {u.network_rx_bytes !== undefined && (
              <>
                <dt>Network</dt>
                <dd>
                  received {bytes(u.network_rx_bytes)}, sent {bytes(u.network_tx_bytes)}
                </dd>
              </>
            )}
          </dl>
        ) : (
          <p>{state.value?.usage_unavailable ? `Not available: ${state.value.usage_unavailable}` : "None (not running)."}</p>
        )}
        <Copy instance={instance} />
        <h3>Export</h3>
        {instance.status === "Stopped" ? (
          <a class="button" href={`${base}${path}/backup`} download={`${instance.name}.vessel.tar.zst`} data-testid="export">
            Download backup
          </a>
        ) : (
          <p class="muted">Stop the instance to export it as a backup file.</p>
        )}
      </section>
      <ConfigEditor instance={instance} onChanged={onChanged} />
      <DevicesEditor instance={instance} onChanged={onChanged} />
    </div>
  );
}

function Copy({ instance }: { instance: Instance }) {
  const [target, setTarget] = useState(`${instance.name}-copy`);
  const { busy, error, run } = useAction();
  const submit = async (e: Event) => {
    e.preventDefault();
    const name = target.trim();
    if (await run(`copy to ${name}`, () => post<Operation>("/instances", { name, source: { instance: instance.name } }))) navigate("instances", name);
  };
  return (
    <form onSubmit={submit} class="inline-form">
      <h3>Copy</h3>
      <label for="copy-name">New instance name</label>
      <div class="row">
        <input id="copy-name" value={target} onInput={(e) => setTarget(e.currentTarget.value)} data-testid="copy-name" required />
        <button type="submit" disabled={busy !== null} data-testid="copy-submit">
          Copy
        </button>
      </div>
      <ActionStatus busy={busy} error={error} />
    </form>
  );
}

function ConfigEditor({ instance, onChanged }: { instance: Instance; onChanged: (i: Instance) => void }) {
  const path = `/instances/${enc(instance.name)}`;
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [saving, setSaving] = useState<string | null>(null);
  const [newKey, setNewKey] = useState("");
  const [newValue, setNewValue] = useState("");

  const save = async (key: string, value: string | null) => {
    setSaving(key);
    try {
      onChanged(await patch<Instance>(path, { config: { [key]: value } }));
      setErrors(({ [key]: _, ...rest }) => rest);
      return true;
    } catch (e) {
      setErrors((all) => ({ ...all, [key]: message(e) }));
      return false;
    } finally {
      setSaving(null);
    }
  };
  const keys = Object.keys(instance.config).sort();
  return (
    <section class="panel" aria-labelledby="config-h">
      <h2 id="config-h">Config</h2>
      <p class="muted">Limits change live where the engine can. Volatile keys are Vessel's own and read-only.</p>
      {keys.length === 0 && <p>No config keys set.</p>}
      {keys.map((key) => (
        <ConfigRow
          key={key}
          name={key}
          value={instance.config[key]}
          error={errors[key]}
          saving={saving === key}
          onSave={(v) => save(key, v)}
        />
      ))}
      <form
        class="config-add"
        onSubmit={async (e) => {
          e.preventDefault();
          if (await save(newKey.trim(), newValue)) {
            setNewKey("");
            setNewValue("");
          }
        }}
      >
        <h3>Set a key</h3>
        <div class="row">
          <span>
            <label for="config-new-key">Key</label>
            <input id="config-new-key" value={newKey} onInput={(e) => setNewKey(e.currentTarget.value)} placeholder="limits.memory" required data-testid="config-new-key" />
          </span>
          <span>
            <label for="config-new-value">Value</label>
            <input id="config-new-value" value={newValue} onInput={(e) => setNewValue(e.currentTarget.value)} placeholder="512MiB" data-testid="config-new-value" />
          </span>
          <button type="submit" disabled={saving !== null || !newKey.trim()} data-testid="config-new-submit">
            Set
          </button>
        </div>
        {errors[newKey.trim()] && !(newKey.trim() in instance.config) && <ErrorText error={errors[newKey.trim()]} testid="config-new-error" />}
      </form>
    </section>
  );
}

function ConfigRow(props: { name: string; value: string; error?: string; saving: boolean; onSave: (v: string | null) => void }) {
  const [value, setValue] = useState(props.value);
  useEffect(() => setValue(props.value), [props.value]);
  const id = `config-${props.name}`;
  const readOnly = props.name.startsWith("volatile.");
  return (
    <form
      class="config-row"
      onSubmit={(e) => {
        e.preventDefault();
        props.onSave(value);
      }}
    >
      <label for={id}>{props.name}</label>
      <div class="row">
        <input
          id={id}
          value={value}
          readOnly={readOnly}
          onInput={(e) => setValue(e.currentTarget.value)}
          aria-invalid={props.error ? true : undefined}
          aria-describedby={props.error ? `${id}-error` : undefined}
          data-testid={`config-${props.name}`}
        />
        {!readOnly && (
          <>
            <button type="submit" disabled={props.saving || value === props.value}>
              Save
            </button>
            <button type="button" disabled={props.saving} onClick={() => props.onSave(null)} aria-label={`Unset ${props.name}`}>
              Unset
            </button>
          </>
        )}
        {props.saving && <Spinner label="Saving" />}
      </div>
      {props.error && (
        <p class="error" role="alert" id={`${id}-error`} data-testid={`config-error-${props.name}`}>
          {props.error}
        </p>
      )}
    </form>
  );
}

function DevicesEditor({ instance, onChanged }: { instance: Instance; onChanged: (i: Instance) => void }) {
  const path = `/instances/${enc(instance.name)}`;
  const { busy, error, run } = useAction();
  const [name, setName] = useState("");
  const [settings, setSettings] = useState("");
  const change = (label: string, devices: Record<string, Record<string, string> | null>) =>
    run(label, async () => onChanged(await patch<Instance>(path, { devices })));
  const add = async (e: Event) => {
    e.preventDefault();
    const parsed: Record<string, string> = {};
    for (const pair of settings.split(/[\s,]+/).filter(Boolean)) {
      const eq = pair.indexOf("=");
      if (eq < 1) {
        run("add device", () => Promise.reject(new ApiError(`"${pair}" is not key=value`, 400)));
        return;
      }
      parsed[pair.slice(0, eq)] = pair.slice(eq + 1);
    }
    if (await change(`add device ${name}`, { [name.trim()]: parsed })) {
      setName("");
      setSettings("");
    }
  };
  const names = Object.keys(instance.devices).sort();
  return (
    <section class="panel" aria-labelledby="devices-h">
      <h2 id="devices-h">Devices</h2>
      {names.length === 0 ? (
        <p>No devices of its own (the root disk comes from the pool).</p>
      ) : (
        <ul class="plain devices">
          {names.map((d) => (
            <li key={d}>
              <strong>{d}</strong>{" "}
              <span class="muted">
                {Object.entries(instance.devices[d])
                  .sort()
                  .map(([k, v]) => `${k}=${v}`)
                  .join(", ")}
              </span>{" "}
              <button type="button" disabled={busy !== null} onClick={() => change(`remove device ${d}`, { [d]: null })} aria-label={`Remove device ${d}`}>
                Remove
              </button>
            </li>
          ))}
        </ul>
      )}
      <form onSubmit={add}>
        <h3>Add a device</h3>
        <div class="row">
          <span>
            <label for="device-name">Name</label>
            <input id="device-name" value={name} onInput={(e) => setName(e.currentTarget.value)} placeholder="data" required />
          </span>
          <span class="grow">
            <label for="device-settings">Settings (key=value, separated by commas)</label>
            <input id="device-settings" value={settings} onInput={(e) => setSettings(e.currentTarget.value)} placeholder="type=disk, source=/srv/data, path=/data" required />
          </span>
          <button type="submit" disabled={busy !== null}>
            Add
          </button>
        </div>
      </form>
      <ActionStatus busy={busy} error={error} />
    </section>
  );
}

function Snapshots({ instance, version }: { instance: Instance; version: number }) {
  const path = `/instances/${enc(instance.name)}/snapshots`;
  const list = useLoad((signal) => get<Snapshot[]>(path, signal), [instance.name, version]);
  const action = useAction();
  const { busy, error, run } = action;
  const [name, setName] = useState("");
  const [stateful, setStateful] = useState(false);

  const create = async (e: Event) => {
    e.preventDefault();
    const body = { name: name.trim() || undefined, stateful };
    if (await run(`snapshot ${instance.name}`, () => post<Operation>(path, body))) {
      setName("");
      list.reload();
    }
  };
  const restore = async (snapshot: string) => {
    await run(`restore ${snapshot}`, () => post<Operation>(`${path}/${enc(snapshot)}/restore`));
    list.reload();
  };
  return (
    <section class="panel" aria-labelledby="snap-h">
      <h2 id="snap-h">Snapshots</h2>
      <form onSubmit={create} class="row">
        <span>
          <label for="snapshot-name">Name (optional)</label>
          <input id="snapshot-name" value={name} onInput={(e) => setName(e.currentTarget.value)} placeholder="snap0" data-testid="snapshot-name" />
        </span>
        <label class="check">
          <input type="checkbox" checked={stateful} onChange={(e) => setStateful(e.currentTarget.checked)} data-testid="snapshot-stateful" />
          Stateful (with memory; running VMs)
        </label>
        <button type="submit" class="primary" disabled={busy !== null} data-testid="snapshot-create">
          Create snapshot
        </button>
      </form>
      <ActionStatus busy={busy} error={error} />
      <Loaded load={list} label="Loading snapshots">
        {(snapshots) => (
          <Table
            caption={`Snapshots of ${instance.name}`}
            rows={snapshots}
            rowKey={(s) => s.name}
            rowTestid={(s) => `snapshot-row-${s.name}`}
            empty="No snapshots."
            columns={[
              { header: "Name", cell: (s) => s.name },
              { header: "Stateful", cell: (s) => (s.stateful ? "yes" : "no") },
              { header: "Created", cell: (s) => time(s.created_at) },
              { header: "Expires", cell: (s) => (s.expires_at ? time(s.expires_at) : "never") },
              {
                header: "Actions",
                class: "buttons",
                cell: (s) => (
                  <>
                    <ConfirmButton
                      label="Restore"
                      ariaLabel={`Restore snapshot ${s.name}`}
                      testid={`snapshot-restore-${s.name}`}
                      disabled={busy !== null}
                      title={`Restore ${s.name}?`}
                      text={`${instance.name} goes back to snapshot ${s.name}; what changed since is lost.`}
                      onConfirm={() => restore(s.name)}
                    />
                    <DeleteButton
                      what={`snapshot ${s.name}`}
                      path={`${path}/${enc(s.name)}`}
                      text={`Snapshot ${s.name} of ${instance.name} will be deleted.`}
                      action={action}
                      onDeleted={list.reload}
                      testid={`snapshot-delete-${s.name}`}
                    />
                  </>
                ),
              },
            ]}
          />
        )}
      </Loaded>
    </section>
  );
}
