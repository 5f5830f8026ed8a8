// The one client of the REST API: a fetch wrapper that turns the API's {error, error_code} into thrown errors,
// waits for operations, and sends the user back to the login page on any 401.

export type Status = "Stopped" | "Starting" | "Running" | "Stopping" | "Frozen" | "Error";
export type InstanceType = "container" | "virtual-machine";
export type Config = Record<string, string>;
export type Devices = Record<string, Record<string, string>>;

export interface Instance {
  name: string;
  type: InstanceType;
  status: Status;
  status_reason?: string;
  architecture: string;
  config: Config;
  devices: Devices;
  image?: string;
  pool: string;
  ephemeral: boolean;
  created_at: string;
  status_changed_at: string;
}

export interface Usage {
  cpu_seconds?: number;
  memory_bytes?: number;
  memory_peak_bytes?: number;
  processes?: number;
  disk_bytes?: number;
  network_rx_bytes?: number;
  network_tx_bytes?: number;
}

export interface InstanceState {
  status: Status;
  status_reason?: string;
  pid?: number;
  usage?: Usage;
  usage_unavailable?: string;
}

export type OperationStatus = "Pending" | "Running" | "Success" | "Failure" | "Cancelled";

export interface Operation {
  id: string;
  description: string;
  status: OperationStatus;
  resources: string[];
  error?: string;
  may_cancel: boolean;
  created_at: string;
  updated_at: string;
}

export interface Snapshot {
  instance: string;
  name: string;
  stateful: boolean;
  description: string;
  created_at: string;
  expires_at?: string;
}

export interface Image {
  fingerprint: string;
  type: InstanceType;
  architecture: string;
  format: string;
  filename: string;
  size: number;
  description: string;
  created_at: string;
  aliases: string[];
}

export interface ImageAlias {
  name: string;
  type: InstanceType;
  fingerprint: string;
  description: string;
}

export interface StoragePoolView {
  pool: { name: string; driver: string; source: string; description: string; created_at: string };
  usage: { used_bytes: number; total_bytes: number };
  instances: number;
}

export interface NetworkView {
  network: { name: string; description: string; config: Config; forwards: unknown[]; created_at: string };
  up: boolean;
  used_by: string[];
  leases: { instance: string; device: string; hwaddr: string; ipv4_address?: string }[];
}

export interface ServerInfo {
  api_version: string;
  version: string;
  pid: number;
  kernel: string;
  architecture: string;
  cpus: number;
  memory_bytes: number;
  vm_acceleration: string;
  engines: { type: string; name: string; version: string; operational: boolean; detail: string }[];
}

export interface VesselEvent {
  /** resync is the UI's own: the stream reconnected after a gap, so events may have been missed. */
  type: "operation" | "lifecycle" | "resync";
  timestamp: string;
  action?: string;
  source?: string;
  operation?: Operation;
}

/** An error the API answered (or the network failed with: status 0). */
export class ApiError extends Error {
  constructor(message: string, readonly status: number) {
    super(message);
  }
}

export const base = "/1.0";

let unauthorized: () => void = () => {};
/** Called on any 401: the app shows the login page. */
export function onUnauthorized(handler: () => void) {
  unauthorized = handler;
}

export async function request<T>(method: string, path: string, body?: unknown, signal?: AbortSignal): Promise<T> {
  let response: Response;
  try {
    response = await fetch(base + path, {
      method,
      signal,
      credentials: "same-origin",
      headers: body === undefined ? {} : { "Content-Type": "application/json" },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  } catch (e) {
    if ((e as Error).name === "AbortError") throw e;
    throw new ApiError(`cannot reach the Vessel daemon: ${(e as Error).message}`, 0);
  }
  const text = await response.text();
  let data: unknown = undefined;
  if (text && (response.headers.get("content-type") ?? "").includes("json")) {
    try {
      data = JSON.parse(text);
    } catch {
      data = undefined;
    }
  }
  if (!response.ok) {
    const message = (data as { error?: string } | undefined)?.error ?? `${method} ${path}: HTTP ${response.status} ${response.statusText}`;
    if (response.status === 401 && !path.startsWith("/auth")) unauthorized();
    throw new ApiError(message, response.status);
  }
  return (data ?? text) as T;
}

export const get = <T>(path: string, signal?: AbortSignal) => request<T>("GET", path, undefined, signal);
export const post = <T>(path: string, body?: unknown) => request<T>("POST", path, body ?? {});
export const put = <T>(path: string, body?: unknown) => request<T>("PUT", path, body ?? {});
export const patch = <T>(path: string, body: unknown) => request<T>("PATCH", path, body);
export const del = <T>(path: string) => request<T>("DELETE", path);

/** Waits for an operation to end; throws its error when it failed. */
export async function wait(operation: Operation): Promise<Operation> {
  let current = operation;
  while (current.status === "Pending" || current.status === "Running") {
    // The server holds the request until the operation ends; the timeout only bounds one request.
    current = await get<Operation>(`/operations/${encodeURIComponent(current.id)}/wait?timeout=30`);
  }
  if (current.status !== "Success") throw new ApiError(current.error ?? `${current.description}: ${current.status}`, 0);
  return current;
}

export const enc = encodeURIComponent;

/** The instance an API path such as /1.0/instances/web1/snapshots/s1 is about, or null. */
export function instanceOf(path: string | undefined): string | null {
  const match = /^\/1\.0\/instances\/([^/?]+)/.exec(path ?? "");
  return match && match[1] !== "import" ? decodeURIComponent(match[1]) : null;
}

/** The URL of a WebSocket endpoint of the API on this origin. */
export function socketUrl(path: string): string {
  const url = new URL(base + path, location.href);
  url.protocol = url.protocol === "https:" ? "wss:" : "ws:";
  return url.toString();
}

/** The running instances' usage (CPU seconds, memory, …), from GET /1.0/instances?recursion=2 (one request for all). */
export async function instanceUsage(): Promise<Map<string, Usage>> {
  const list = await get<{ instance: Instance; state: InstanceState }[]>("/instances?recursion=2");
  const usage = new Map<string, Usage>();
  for (const { instance, state } of list) if (state.usage) usage.set(instance.name, state.usage);
  return usage;
}

/** GET /1.0/resources: the host's load and memory now. */
export interface Resources {
  cpus: number;
  load_average: number[];
  memory_total_bytes: number;
  memory_available_bytes: number;
  swap_total_bytes: number;
  swap_free_bytes: number;
  uptime_seconds: number;
}

/** IPv4 addresses Vessel gave the instance's nics, as `vessel list` shows them. */
export function addresses(instance: Instance): string {
  const out: string[] = [];
  for (const name of Object.keys(instance.devices).sort()) {
    const device = instance.devices[name];
    if (device.type !== "nic") continue;
    const address = device["ipv4.address"] ?? instance.config[`volatile.${name}.ipv4.address`];
    if (address) out.push(`${address} (${name})`);
  }
  return out.join(" ");
}
