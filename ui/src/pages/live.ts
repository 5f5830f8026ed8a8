// Reloads a list page when an event that concerns it arrives (coalesced: one reload per burst).
import { useEffect } from "preact/hooks";
import type { VesselEvent } from "../api";
import { subscribe } from "../events";

export function useLiveReload(reload: () => void, concerns: (e: VesselEvent) => boolean) {
  useEffect(() => {
    let timer = 0;
    const unsubscribe = subscribe((e) => {
      if (e.type !== "resync" && !concerns(e)) return;
      clearTimeout(timer);
      timer = window.setTimeout(reload, 200);
    });
    return () => {
      unsubscribe();
      clearTimeout(timer);
    };
  }, []);
}
