// Reloads a list page when an event that concerns it arrives (coalesced: one reload per burst).
import { useEffect } from "preact/hooks";
import { get, type VesselEvent } from "../api";
import { useLoad } from "../components";
import { subscribe } from "../events";

export function useLiveReload(reload: () => void, concerns: (e: VesselEvent) => boolean, delay = 200) {
  useEffect(() => {
    let timer = 0;
    const unsubscribe = subscribe((e) => {
      if (e.type !== "resync" && !concerns(e)) return;
      clearTimeout(timer);
      timer = window.setTimeout(reload, delay);
    });
    return () => {
      unsubscribe();
      clearTimeout(timer);
    };
  }, []);
}

/** GET path (a list) once, and again after events that concern it. */
export function useLiveList<T>(path: string, concerns: (e: VesselEvent) => boolean) {
  const list = useLoad((signal) => get<T[]>(path, signal));
  useLiveReload(list.reload, concerns);
  return list;
}
