// The instance list: one GET /1.0/instances?recursion=1, then kept live by the event stream: an event re-fetches
// only the instances it names. Usage comes from /1.0/instances?recursion=2 (one request for all), refreshed every 10 s.
import { Component } from "preact";
import { useEffect, useLayoutEffect, useMemo, useRef, useState } from "preact/hooks";
import { ApiError, addresses, enc, get, instanceOf, instanceUsage, type Instance, type Usage } from "../api";
import { ErrorText, Spinner, message } from "../components";
import { subscribe } from "../events";
import { bytes } from "../format";
import { href } from "../router";

declare global {
  interface Window {
    /** Timings for the benchmark: when the list arrived and when its rows were painted (performance.now()). */
    __vesselMarks?: Record<string, number>;
  }
}

const mark = (name: string) => ((window.__vesselMarks ??= {})[name] = performance.now());

interface Row {
  instance: Instance;
  usage?: Usage;
  cpuPercent?: number;
}

const usageEvery = 10_000;

export function Instances() {
  const [rows, setRows] = useState<Map<string, Row> | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [filter, setFilter] = useState("");
  const firstPaint = useRef(false);

  useEffect(() => {
    const abort = new AbortController();
    let previous = new Map<string, Usage>();
    let previousAt = 0;

    const refreshUsage = async () => {
      if (document.hidden) return;
      try {
        const usage = await instanceUsage();
        const now = performance.now();
        const elapsed = (now - previousAt) / 1000;
        setRows((current) => {
          if (!current) return current;
          let next: Map<string, Row> | null = null;
          for (const [name, row] of current) {
            const u = usage.get(name);
            const before = previous.get(name);
            const cpuPercent =
              u?.cpu_seconds !== undefined && before?.cpu_seconds !== undefined && previousAt > 0
                ? (100 * (u.cpu_seconds - before.cpu_seconds)) / elapsed
                : undefined;
            if (u !== row.usage) (next ??= new Map(current)).set(name, { ...row, usage: u, cpuPercent });
          }
          return next ?? current;
        });
        previous = usage;
        previousAt = now;
      } catch {
        // Usage is a nicety: the list stays without it.
      }
    };

    // Names an event touched, fetched together once the current burst of events has been read.
    const pending = new Set<string>();
    let scheduled = false;
    const refetch = async (name: string) => {
      try {
        const instance = await get<Instance>(`/instances/${enc(name)}`);
        setRows((current) => {
          if (!current) return current;
          const next = new Map(current);
          next.set(name, { ...(current.get(name) ?? {}), instance });
          return next;
        });
      } catch (e) {
        if (e instanceof ApiError && e.status === 404)
          setRows((current) => {
            if (!current?.has(name)) return current;
            const next = new Map(current);
            next.delete(name);
            return next;
          });
      }
    };
    const unsubscribe = subscribe((event) => {
      if (event.type === "resync") {
        loadAll();
        return;
      }
      const names = event.type === "operation" ? (event.operation?.resources ?? []).map(instanceOf) : [instanceOf(event.source)];
      for (const name of names) if (name) pending.add(name);
      if (pending.size > 0 && !scheduled) {
        scheduled = true;
        queueMicrotask(() => {
          scheduled = false;
          const names = [...pending];
          pending.clear();
          names.forEach(refetch);
        });
      }
    });

    // The whole list: at first, and again when the event stream had a gap.
    const loadAll = async () => {
      try {
        const list = await get<Instance[]>("/instances?recursion=1", abort.signal);
        mark("instancesResponse");
        setRows((current) => new Map(list.map((instance) => [instance.name, { ...(current?.get(instance.name) ?? {}), instance }])));
        setError(null);
        refreshUsage();
      } catch (e) {
        if (!abort.signal.aborted) setError(message(e));
      }
    };
    loadAll();
    const timer = setInterval(refreshUsage, usageEvery);
    return () => {
      abort.abort();
      unsubscribe();
      clearInterval(timer);
    };
  }, []);

  useLayoutEffect(() => {
    if (rows && !firstPaint.current) {
      firstPaint.current = true;
      mark("instancesCommitted");
      // After the next frame has been painted.
      requestAnimationFrame(() => setTimeout(() => mark("instancesRendered"), 0));
    }
  }, [rows]);

  const sorted = useMemo(() => {
    if (!rows) return [];
    const all = [...rows.values()];
    const f = filter.trim().toLowerCase();
    const shown = f ? all.filter((r) => r.instance.name.includes(f) || r.instance.status.toLowerCase().includes(f)) : all;
    return shown.sort((a, b) => (a.instance.name < b.instance.name ? -1 : 1));
  }, [rows, filter]);

  return (
    <>
      <div class="title-row">
        <h1>Instances</h1>
        <a class="button primary" href={href("create")}>
          Create instance
        </a>
      </div>
      <ErrorText error={error} />
      {!rows && !error && <Spinner label="Loading instances" />}
      {rows && (
        <>
          <div class="toolbar">
            <label for="filter">Filter</label>
            <input id="filter" type="search" value={filter} onInput={(e) => setFilter(e.currentTarget.value)} placeholder="name or status" />
            <span data-testid="instance-count">
              {sorted.length === rows.size ? `${rows.size} instances` : `${sorted.length} of ${rows.size} instances`}
            </span>
          </div>
          {rows.size === 0 ? (
            <p>
              No instances yet. <a href={href("create")}>Create one</a>.
            </p>
          ) : (
            <div class="table-wrap">
              <table class="instances" data-testid="instance-table">
                <thead>
                  <tr>
                    <th scope="col">Name</th>
                    <th scope="col">Type</th>
                    <th scope="col">Status</th>
                    <th scope="col">IPv4</th>
                    <th scope="col">CPU</th>
                    <th scope="col">Memory</th>
                  </tr>
                </thead>
                <tbody>
                  {sorted.map((row) => (
                    <InstanceRow key={row.instance.name} row={row} />
                  ))}
                </tbody>
              </table>
            </div>
          )}
        </>
      )}
    </>
  );
}

/** One plain row; it re-renders only when its own instance or usage changed. */
class InstanceRow extends Component<{ row: Row }> {
  shouldComponentUpdate(next: { row: Row }) {
    return next.row !== this.props.row;
  }
  render() {
    const { instance, usage, cpuPercent } = this.props.row;
    return (
      <tr data-testid={`instance-row-${instance.name}`}>
        <td>
          <a href={href("instances", instance.name)}>{instance.name}</a>
        </td>
        <td>{instance.type === "virtual-machine" ? "VM" : "container"}</td>
        <td>
          {/* StatusBadge's markup, inline: no component per row. */}
          <span class={`badge status-${instance.status.toLowerCase()}`} data-testid="status">
            {instance.status}
          </span>
        </td>
        <td>{addresses(instance)}</td>
        <td>{cpuPercent !== undefined ? `${Math.max(0, cpuPercent).toFixed(1)} %` : usage?.cpu_seconds !== undefined ? `${usage.cpu_seconds.toFixed(1)} s` : ""}</td>
        <td>{usage?.memory_bytes !== undefined ? bytes(usage.memory_bytes) : ""}</td>
      </tr>
    );
  }
}
