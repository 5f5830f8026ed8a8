// One EventSource for the whole app (GET /1.0/events, server-sent events, same-origin cookie); pages subscribe.
// A stream that breaks is opened again, and listeners then get a "resync" event: what happened in the gap is
// unknown, so they re-read what they show.
import { base, get, type VesselEvent } from "./api";

type Listener = (event: VesselEvent) => void;
const listeners = new Set<Listener>();
let source: EventSource | null = null;
let retry = 0;
let retryTimer = 0;

function emit(event: VesselEvent) {
  for (const listener of [...listeners]) listener(event);
}

function open(afterGap: boolean) {
  let broken = afterGap;
  const current = new EventSource(`${base}/events`, { withCredentials: true });
  source = current;
  current.onopen = () => {
    retry = 0;
    if (broken) emit({ type: "resync", timestamp: new Date().toISOString() });
    broken = false;
  };
  current.onerror = () => {
    broken = true;
    // EventSource retries a dropped connection by itself, but gives up for good on an HTTP error answer (a proxy's
    // 502 while the daemon restarts, a 401): then open a new one, a little later each time.
    if (current.readyState === EventSource.CLOSED && source === current) {
      source = null;
      // EventSource hides the status; asking who we are turns a 401 (an expired or revoked token) into the login page.
      get("/auth").catch(() => {});
      retry = Math.min(retry + 1, 6);
      retryTimer = window.setTimeout(() => {
        retryTimer = 0;
        if (listeners.size > 0 && !source) open(true);
      }, 500 * 2 ** retry);
    }
  };
  current.onmessage = (message) => {
    let event: VesselEvent;
    try {
      event = JSON.parse(message.data);
    } catch {
      return;
    }
    emit(event);
  };
}

/** Calls listener for every event until the returned function is called. */
export function subscribe(listener: Listener): () => void {
  listeners.add(listener);
  if (!source && !retryTimer) open(false);
  return () => {
    listeners.delete(listener);
  };
}

/** On logout or a 401: no stream until the next subscriber after a login. */
export function closeEvents() {
  clearTimeout(retryTimer);
  retryTimer = 0;
  source?.close();
  source = null;
}
