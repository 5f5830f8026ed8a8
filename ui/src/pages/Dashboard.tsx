// Host figures (GET /1.0, /1.0/resources, /1.0/storage-pools), instance usage (recursion=2), instances by status, recent operations.
import { get, instanceUsage, type Instance, type Resources, type Operation, type ServerInfo, type StoragePoolView } from "../api";
import { Loaded, StatusBadge, useLoad } from "../components";
import { Table } from "../table";
import { useLiveReload } from "./live";
import { newestFirst, operationColumns } from "./Operations";
import { bytes, percent } from "../format";
import { href } from "../router";

async function load() {
  const [server, resources, instances, pools, operations, usage] = await Promise.all([
    get<ServerInfo>(""),
    get<Resources>("/resources"),
    get<Instance[]>("/instances?recursion=1"),
    get<StoragePoolView[]>("/storage-pools"),
    get<Operation[]>("/operations"),
    instanceUsage(),
  ]);
  return { server, resources, instances, pools, operations, usage };
}

export function Dashboard() {
  const figures = useLoad(load);
  // Lifecycle changes and operations that start or end; not every step in between.
  useLiveReload(figures.reload, (e) => e.type !== "operation" || ["Running", "Success", "Failure", "Cancelled"].includes(e.operation?.status ?? ""), 500);
  return (
    <>
      <h1>Dashboard</h1>
      <Loaded load={figures} label="Loading the dashboard">
        {(value) => <Figures {...value} />}
      </Loaded>
    </>
  );
}

function Figures({ server, resources, instances, pools, operations, usage }: Awaited<ReturnType<typeof load>>) {
  const counts = new Map<string, number>();
  for (const i of instances) counts.set(i.status, (counts.get(i.status) ?? 0) + 1);
  let memory = 0;
  let cpu = 0;
  for (const u of usage.values()) {
    memory += u.memory_bytes ?? 0;
    cpu += u.cpu_seconds ?? 0;
  }
  const recent = newestFirst(operations).slice(0, 10);
  const c = operationColumns;
  return (
    <>
      <div class="cards">
        <section class="panel" aria-labelledby="host-h">
          <h2 id="host-h">Host</h2>
          <dl>
            <dt>CPUs</dt>
            <dd data-testid="host-cpus">{server.cpus}</dd>
            <dt>Load (1, 5, 15 min)</dt>
            <dd data-testid="host-load">
              {resources.load_average.map((l) => l.toFixed(2)).join(", ")}{" "}
              <meter min={0} max={resources.cpus} value={resources.load_average[0]} aria-label="load per CPU" />
            </dd>
            <dt>CPU time used by instances</dt>
            <dd>{cpu.toFixed(1)} s</dd>
            <dt>Memory in use</dt>
            <dd data-testid="host-memory">
              {bytes(resources.memory_total_bytes - resources.memory_available_bytes)} of {bytes(resources.memory_total_bytes)}{" "}
              <meter min={0} max={resources.memory_total_bytes} value={resources.memory_total_bytes - resources.memory_available_bytes} aria-label="host memory in use" />
            </dd>
            <dt>Memory used by instances</dt>
            <dd>
              {bytes(memory)} ({percent(memory, server.memory_bytes)})
            </dd>
            <dt>Kernel</dt>
            <dd>
              {server.kernel} ({server.architecture})
            </dd>
            <dt>VMs</dt>
            <dd>{server.vm_acceleration}</dd>
            <dt>Vessel</dt>
            <dd>
              {server.version} (API {server.api_version})
            </dd>
          </dl>
        </section>
        <section class="panel" aria-labelledby="disk-h">
          <h2 id="disk-h">Disk</h2>
          {pools.map((p) => (
            <div key={p.pool.name} class="meter-row">
              <span>
                {p.pool.name}: {bytes(p.usage.used_bytes)} of {bytes(p.usage.total_bytes)}
              </span>
              <meter min={0} max={p.usage.total_bytes} value={p.usage.used_bytes} aria-label={`${p.pool.name} used`} />
            </div>
          ))}
        </section>
        <section class="panel" aria-labelledby="inst-h">
          <h2 id="inst-h">Instances</h2>
          <p>
            <a href={href("instances")}>{instances.length} instances</a>
          </p>
          <ul class="plain" data-testid="status-counts">
            {[...counts].map(([status, n]) => (
              <li key={status}>
                <StatusBadge status={status} /> {n}
              </li>
            ))}
          </ul>
        </section>
      </div>
      <section class="panel" aria-labelledby="ops-h">
        <h2 id="ops-h">Recent operations</h2>
        <Table caption="Recent operations" rows={recent} rowKey={(o) => o.id} empty="No operations yet." columns={[c.description, c.status, c.created, c.error]} />
        <p>
          <a href={href("operations")}>All operations</a>
        </p>
      </section>
    </>
  );
}
