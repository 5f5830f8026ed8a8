// One EventSource for the whole app (GET /1.0/events, server-sent events, same-origin cookie); pages subscribe.
import { base, type VesselEvent } from "./api";

type Listener = (event: VesselEvent) => void;
const listeners = new Set<Listener>();
let source: EventSource | null = null;

function open() {
  source = new EventSource(`${base}/events`, { withCredentials: true });
  source.onmessage = (message) => {
    let event: VesselEvent;
    try {
      event = JSON.parse(message.data);
    } catch {
      return;
    }
    for (const listener of [...listeners]) listener(event);
  };
  // EventSource reconnects by itself after an error; a 401 ends it, and the next page load asks for a login.
}

/** Calls listener for every event until the returned function is called. */
export function subscribe(listener: Listener): () => void {
  listeners.add(listener);
  if (!source || source.readyState === EventSource.CLOSED) open();
  return () => {
    listeners.delete(listener);
  };
}

export function closeEvents() {
  source?.close();
  source = null;
}
