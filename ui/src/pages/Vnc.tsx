// The graphical console of a VM: noVNC's RFB over the WebSocket /1.0/instances/NAME/vnc (raw RFB bytes in binary
// frames, no VNC password), scaled to fit its box.
import { useEffect, useRef, useState } from "preact/hooks";
import RFB from "@novnc/novnc";
import { enc, socketUrl } from "../api";
import { ErrorText, Spinner, message } from "../components";
import { consoleRefusal } from "./Console";

export function Vnc({ name }: { name: string }) {
  const box = useRef<HTMLDivElement>(null);
  const rfb = useRef<RFB | null>(null);
  const [phase, setPhase] = useState<"checking" | "connecting" | "open" | "closed">("checking");
  const [error, setError] = useState<string | null>(null);
  const [attempt, setAttempt] = useState(0);

  useEffect(() => {
    let disposed = false;
    let connectedAt = 0;
    (async () => {
      setError(null);
      setPhase("checking");
      try {
        const refusal = await consoleRefusal(name);
        if (refusal) throw new Error(refusal);
      } catch (e) {
        if (!disposed) {
          setError(message(e));
          setPhase("closed");
        }
        return;
      }
      if (disposed) return;
      setPhase("connecting");
      let client: RFB;
      try {
        client = new RFB(box.current!, socketUrl(`/instances/${enc(name)}/vnc`), { shared: true });
      } catch (e) {
        setError(`The graphical console could not be opened: ${message(e)}`);
        setPhase("closed");
        return;
      }
      client.scaleViewport = true;
      client.background = "#1b1d21";
      rfb.current = client;
      client.addEventListener("connect", () => {
        connectedAt = performance.now();
        setPhase("open");
        client.focus();
      });
      client.addEventListener("securityfailure", (e) => {
        const detail = (e as CustomEvent<{ status: number; reason?: string }>).detail;
        setError(`The VNC server refused the connection: ${detail.reason ?? `status ${detail.status}`}`);
      });
      client.addEventListener("disconnect", async (e) => {
        if (disposed) return;
        rfb.current = null;
        setPhase("closed");
        const clean = (e as CustomEvent<{ clean: boolean }>).detail?.clean;
        let why = "";
        try {
          why = (await consoleRefusal(name)) ?? "";
        } catch (err) {
          why = message(err);
        }
        if (disposed) return;
        setError((current) =>
          current ??
          (connectedAt === 0
            ? `The graphical console could not be opened${why ? `: ${why}` : "; the daemon refused or closed the connection."}`
            : `The graphical console was disconnected${why ? `: ${why}` : clean ? "." : " unexpectedly."}`),
        );
      });
    })();
    return () => {
      disposed = true;
      rfb.current?.disconnect();
      rfb.current = null;
    };
  }, [name, attempt]);

  return (
    <section class="panel console" aria-labelledby="vnc-h">
      <div class="title-row">
        <h2 id="vnc-h">Graphical console</h2>
        <span class="muted" role="status" data-testid="vnc-state">
          {phase === "checking" ? "checking the instance…" : phase === "connecting" ? "connecting…" : phase === "open" ? "connected" : "disconnected"}
        </span>
        <button type="button" disabled={phase !== "open"} onClick={() => rfb.current?.sendCtrlAltDel()}>
          Send Ctrl+Alt+Del
        </button>
        <button type="button" onClick={() => setAttempt((a) => a + 1)} data-testid="vnc-reconnect">
          Reconnect
        </button>
      </div>
      {phase === "connecting" && <Spinner label="Connecting" />}
      <ErrorText error={error} testid="vnc-error" />
      <div class="vnc" ref={box} data-testid="vnc-screen" />
    </section>
  );
}
