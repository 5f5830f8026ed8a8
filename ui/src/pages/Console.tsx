// The text console: xterm.js over the WebSocket /1.0/instances/NAME/console. Binary messages carry the console's
// raw bytes both ways; a terminal resize is sent as the text message {"type":"resize","columns":C,"rows":R}.
import { useEffect, useRef, useState } from "preact/hooks";
import { Terminal } from "@xterm/xterm";
import { FitAddon } from "@xterm/addon-fit";
import "@xterm/xterm/css/xterm.css";
import { enc, get, socketUrl, type InstanceState } from "../api";
import { ErrorText, Spinner, message } from "../components";

declare global {
  interface Window {
    /** The console's terminal, for end-to-end tests. */
    __vesselTerm?: Terminal;
  }
}

/**
 * Why a console cannot be opened, asked before the WebSocket: a refused upgrade's X-Vessel-Error header is out of
 * a browser's reach.
 */
export async function consoleRefusal(name: string): Promise<string | null> {
  const state = await get<InstanceState>(`/instances/${enc(name)}/state`);
  if (state.status === "Running") return null;
  return `${name} is ${state.status.toLowerCase()}${state.status_reason ? ` (${state.status_reason})` : ""}: start it to use its console.`;
}

export function Console({ name }: { name: string }) {
  const box = useRef<HTMLDivElement>(null);
  const [phase, setPhase] = useState<"checking" | "connecting" | "open" | "closed">("checking");
  const [error, setError] = useState<string | null>(null);
  const [attempt, setAttempt] = useState(0);

  useEffect(() => {
    const term = new Terminal({ cursorBlink: true, convertEol: false, fontSize: 14, scrollback: 5000, screenReaderMode: false });
    const fit = new FitAddon();
    term.loadAddon(fit);
    term.open(box.current!);
    window.__vesselTerm = term;
    let socket: WebSocket | null = null;
    let disposed = false;
    const encoder = new TextEncoder();
    // Ctrl+Shift+C copies the selection (Ctrl+C stays ^C for the guest); pasting is the browser's own paste.
    term.attachCustomKeyEventHandler((e) => {
      if (e.type === "keydown" && e.ctrlKey && e.shiftKey && e.code === "KeyC" && term.hasSelection()) {
        navigator.clipboard?.writeText(term.getSelection()).catch(() => {});
        return false;
      }
      return true;
    });

    const sendResize = () => {
      if (socket?.readyState === WebSocket.OPEN) socket.send(JSON.stringify({ type: "resize", columns: term.cols, rows: term.rows }));
    };
    const fitNow = () => {
      try {
        fit.fit();
      } catch {
        // Not laid out yet.
      }
    };
    fitNow();
    const observer = new ResizeObserver(fitNow);
    observer.observe(box.current!);
    const onResize = term.onResize(sendResize);
    const onData = term.onData((data) => socket?.readyState === WebSocket.OPEN && socket.send(encoder.encode(data)));
    const onBinary = term.onBinary((data) => {
      if (socket?.readyState !== WebSocket.OPEN) return;
      const bytes = new Uint8Array(data.length);
      for (let i = 0; i < data.length; i++) bytes[i] = data.charCodeAt(i) & 255;
      socket.send(bytes);
    });

    (async () => {
      setError(null);
      setPhase("checking");
      try {
        const refusal = await consoleRefusal(name);
        if (refusal) {
          if (!disposed) {
            setError(refusal);
            setPhase("closed");
          }
          return;
        }
      } catch (e) {
        if (!disposed) {
          setError(message(e));
          setPhase("closed");
        }
        return;
      }
      if (disposed) return;
      setPhase("connecting");
      const opened = { at: 0, received: false };
      socket = new WebSocket(socketUrl(`/instances/${enc(name)}/console`));
      socket.binaryType = "arraybuffer";
      socket.onopen = () => {
        opened.at = performance.now();
        setPhase("open");
        sendResize();
        term.focus();
      };
      socket.onmessage = (m) => {
        opened.received = true;
        term.write(typeof m.data === "string" ? m.data : new Uint8Array(m.data as ArrayBuffer));
      };
      socket.onclose = async (e) => {
        if (disposed) return;
        setPhase("closed");
        const atOnce = opened.at === 0 || (!opened.received && performance.now() - opened.at < 2000);
        let why = e.reason || "";
        try {
          why = (await consoleRefusal(name)) ?? why;
        } catch (err) {
          why = message(err);
        }
        if (disposed) return;
        setError(
          opened.at === 0
            ? `The console could not be opened${why ? `: ${why}` : "; the daemon refused the connection."}`
            : atOnce
              ? `The console closed at once${why ? `: ${why}` : "."}`
              : `The console was disconnected${why ? `: ${why}` : "."}`,
        );
      };
    })();

    return () => {
      disposed = true;
      socket?.close();
      observer.disconnect();
      onResize.dispose();
      onData.dispose();
      onBinary.dispose();
      term.dispose();
      if (window.__vesselTerm === term) window.__vesselTerm = undefined;
    };
  }, [name, attempt]);

  return (
    <section class="panel console" aria-labelledby="console-h">
      <div class="title-row">
        <h2 id="console-h">Console</h2>
        <span class="muted" role="status" data-testid="console-state">
          {phase === "checking" ? "checking the instance…" : phase === "connecting" ? "connecting…" : phase === "open" ? "connected" : "disconnected"}
        </span>
        <button type="button" onClick={() => setAttempt((a) => a + 1)} data-testid="console-reconnect">
          Reconnect
        </button>
      </div>
      {phase === "connecting" && <Spinner label="Connecting" />}
      <ErrorText error={error} testid="console-error" />
      <p class="muted">Select text and press Ctrl+Shift+C to copy it; paste with Ctrl+Shift+V or your browser's paste.</p>
      <div class="terminal" ref={box} data-testid="console-terminal" />
    </section>
  );
}
