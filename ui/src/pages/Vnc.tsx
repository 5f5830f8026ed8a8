// The graphical console of a VM: noVNC's RFB over the WebSocket /1.0/instances/NAME/vnc (raw RFB bytes in binary
// frames, no VNC password), scaled to fit its box.
import { useRef } from "preact/hooks";
import RFB from "@novnc/novnc";
import { enc, socketUrl } from "../api";
import { message } from "../components";
import { ConsolePanel, useConsoleConnection } from "./consoleConnection";

export function Vnc({ name }: { name: string }) {
  const box = useRef<HTMLDivElement>(null);
  const rfb = useRef<RFB | null>(null);
  const connection = useConsoleConnection(name, (session) => ({
    connect() {
      let client: RFB;
      try {
        client = new RFB(box.current!, socketUrl(`/instances/${enc(name)}/vnc`), { shared: true });
      } catch (e) {
        session.failed(`The graphical console could not be opened: ${message(e)}`);
        return;
      }
      client.scaleViewport = true;
      client.background = "#1b1d21";
      rfb.current = client;
      let connectedAt = 0;
      client.addEventListener("connect", () => {
        connectedAt = performance.now();
        session.opened();
        client.focus();
      });
      client.addEventListener("securityfailure", (e) => {
        const detail = (e as CustomEvent<{ status: number; reason?: string }>).detail;
        session.failed(`The VNC server refused the connection: ${detail.reason ?? `status ${detail.status}`}`);
      });
      client.addEventListener("disconnect", (e) => {
        rfb.current = null;
        const clean = (e as CustomEvent<{ clean: boolean }>).detail?.clean;
        session.closed("", (why) =>
          connectedAt === 0
            ? `The graphical console could not be opened${why ? `: ${why}` : "; the daemon refused or closed the connection."}`
            : `The graphical console was disconnected${why ? `: ${why}` : clean ? "." : " unexpectedly."}`,
        );
      });
    },
    close() {
      rfb.current?.disconnect();
      rfb.current = null;
    },
  }));

  return (
    <ConsolePanel
      id="vnc"
      title="Graphical console"
      connection={connection}
      buttons={
        <button type="button" disabled={connection.phase !== "open"} onClick={() => rfb.current?.sendCtrlAltDel()}>
          Send Ctrl+Alt+Del
        </button>
      }
    >
      <div class="vnc" ref={box} data-testid="vnc-screen" />
    </ConsolePanel>
  );
}
