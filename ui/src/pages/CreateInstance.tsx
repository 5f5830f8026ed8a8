// The create-instance form: POST /1.0/instances with start: true (what `vessel launch` sends), then wait for it.
import { useState } from "preact/hooks";
import { get, post, type ImageAlias, type Image, type InstanceType, type NetworkView, type Operation, type StoragePoolView } from "../api";
import { ActionStatus, ErrorText, Spinner, useAction, useLoad } from "../components";
import { short } from "../format";
import { navigate } from "../router";

async function load() {
  const [images, aliases, networks, pools] = await Promise.all([
    get<Image[]>("/images?recursion=1"),
    get<ImageAlias[]>("/images/aliases"),
    get<NetworkView[]>("/networks"),
    get<StoragePoolView[]>("/storage-pools"),
  ]);
  return { images, aliases, networks, pools };
}

/** The field an API error is about: messages start with the key they name ("limits.memory: ..."). */
function fieldOf(error: string | null): string | null {
  const match = error ? /^([a-z0-9_.]+):\s/.exec(error) : null;
  return match ? match[1] : null;
}

export function CreateInstance() {
  const data = useLoad(load);
  const [name, setName] = useState("");
  const [type, setType] = useState<InstanceType>("container");
  const [image, setImage] = useState("");
  const [cpu, setCpu] = useState("");
  const [memory, setMemory] = useState("");
  const [network, setNetwork] = useState("");
  const [pool, setPool] = useState("");
  const [start, setStart] = useState(true);
  const { busy, error, run } = useAction();

  if (!data.value) return data.error ? <ErrorText error={data.error} /> : <Spinner label="Loading images, networks and pools" />;
  const { images, aliases, networks, pools } = data.value;
  const choices = [
    ...aliases.filter((a) => a.type === type).map((a) => ({ value: `alias:${a.name}`, label: `${a.name} (${short(a.fingerprint)})` })),
    ...images.filter((i) => i.type === type).map((i) => ({ value: `fingerprint:${i.fingerprint}`, label: `${short(i.fingerprint)} ${i.description}` })),
  ];
  const chosen = choices.some((c) => c.value === image) ? image : (choices[0]?.value ?? "");
  const field = fieldOf(error);
  const fieldError = (key: string) =>
    field === key ? (
      <p class="error" id={`${key}-error`} role="alert" data-testid={`create-error-${key}`}>
        {error}
      </p>
    ) : null;

  const submit = async (e: Event) => {
    e.preventDefault();
    const [kind, ref] = [chosen.slice(0, chosen.indexOf(":")), chosen.slice(chosen.indexOf(":") + 1)];
    const config: Record<string, string> = {};
    if (cpu.trim()) config["limits.cpu"] = cpu.trim();
    if (memory.trim()) config["limits.memory"] = memory.trim();
    const body = {
      name: name.trim(),
      type,
      source: kind === "alias" ? { alias: ref } : { fingerprint: ref },
      config,
      network: network || undefined,
      pool: pool || undefined,
      start,
    };
    if (await run(`create ${body.name}`, () => post<Operation>("/instances", body))) navigate("instances", body.name);
  };

  return (
    <form class="panel create" onSubmit={submit} aria-labelledby="create-h" data-testid="create-form">
      <h1 id="create-h">Create an instance</h1>
      <div class="field">
        <label for="create-name">Name</label>
        <input
          id="create-name"
          value={name}
          onInput={(e) => setName(e.currentTarget.value)}
          required
          pattern="[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?"
          title="a DNS label: lower-case letters, digits and dashes"
          aria-describedby={field === "name" ? "name-error" : undefined}
          data-testid="create-name"
        />
        {fieldError("name")}
      </div>
      <fieldset class="field">
        <legend>Type</legend>
        <label class="check">
          <input type="radio" name="type" value="container" checked={type === "container"} onChange={() => setType("container")} data-testid="create-type-container" />
          Container
        </label>
        <label class="check">
          <input type="radio" name="type" value="virtual-machine" checked={type === "virtual-machine"} onChange={() => setType("virtual-machine")} data-testid="create-type-vm" />
          Virtual machine
        </label>
      </fieldset>
      <div class="field">
        <label for="create-image">Image</label>
        <select id="create-image" value={chosen} onChange={(e) => setImage(e.currentTarget.value)} required data-testid="create-image">
          {choices.map((c) => (
            <option key={c.value} value={c.value}>
              {c.label}
            </option>
          ))}
        </select>
        {choices.length === 0 && <p class="muted">No {type} image yet: build one with `vessel image build busybox{type === "virtual-machine" ? " --vm" : ""}`.</p>}
        {fieldError("source")}
      </div>
      <div class="field-row">
        <div class="field">
          <label for="create-cpu">CPUs (limits.cpu)</label>
          <input id="create-cpu" value={cpu} onInput={(e) => setCpu(e.currentTarget.value)} placeholder="1" inputMode="numeric" data-testid="create-cpu" />
          {fieldError("limits.cpu")}
        </div>
        <div class="field">
          <label for="create-memory">Memory (limits.memory)</label>
          <input id="create-memory" value={memory} onInput={(e) => setMemory(e.currentTarget.value)} placeholder="512MiB" data-testid="create-memory" />
          {fieldError("limits.memory")}
        </div>
      </div>
      <div class="field-row">
        <div class="field">
          <label for="create-network">Network</label>
          <select id="create-network" value={network} onChange={(e) => setNetwork(e.currentTarget.value)} data-testid="create-network">
            <option value="">default</option>
            <option value="none">none</option>
            {networks.map((n) => (
              <option key={n.network.name} value={n.network.name}>
                {n.network.name}
              </option>
            ))}
          </select>
          {fieldError("network")}
        </div>
        <div class="field">
          <label for="create-pool">Storage pool</label>
          <select id="create-pool" value={pool} onChange={(e) => setPool(e.currentTarget.value)} data-testid="create-pool">
            <option value="">default</option>
            {pools.map((p) => (
              <option key={p.pool.name} value={p.pool.name}>
                {p.pool.name}
              </option>
            ))}
          </select>
          {fieldError("pool")}
        </div>
      </div>
      <label class="check">
        <input type="checkbox" checked={start} onChange={(e) => setStart(e.currentTarget.checked)} data-testid="create-start" />
        Start it once created
      </label>
      <div class="buttons">
        <button type="submit" class="primary" disabled={busy !== null} data-testid="create-submit">
          Create
        </button>
      </div>
      <ActionStatus busy={busy} error={field ? null : error} />
      {field && !["name", "source", "limits.cpu", "limits.memory", "network", "pool"].includes(field) && <ErrorText error={error} testid="create-error" />}
    </form>
  );
}
