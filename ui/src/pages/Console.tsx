// The text console: xterm.js over the WebSocket /1.0/instances/NAME/console. Binary messages carry the console's
// raw bytes both ways; a terminal resize is sent as the text message {"type":"resize","columns":C,"rows":R}.
import { useRef } from "preact/hooks";
import { Terminal } from "@xterm/xterm";
import { FitAddon } from "@xterm/addon-fit";
import "@xterm/xterm/css/xterm.css";
import { enc, socketUrl } from "../api";
import { ConsolePanel, useConsoleConnection } from "./consoleConnection";

declare global {
  interface Window {
    /** The console's terminal, for end-to-end tests. */
    __vesselTerm?: Terminal;
  }
}

export function Console({ name }: { name: string }) {
  const box = useRef<HTMLDivElement>(null);
  const connection = useConsoleConnection(name, (session) => {
    const term = new Terminal({ cursorBlink: true, convertEol: false, fontSize: 14, scrollback: 5000, screenReaderMode: false });
    const fit = new FitAddon();
    term.loadAddon(fit);
    term.open(box.current!);
    window.__vesselTerm = term;
    let socket: WebSocket | null = null;
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

    return {
      connect() {
        const opened = { at: 0, received: false };
        socket = new WebSocket(socketUrl(`/instances/${enc(name)}/console`));
        socket.binaryType = "arraybuffer";
        socket.onopen = () => {
          opened.at = performance.now();
          session.opened();
          sendResize();
          term.focus();
        };
        socket.onmessage = (m) => {
          opened.received = true;
          term.write(typeof m.data === "string" ? m.data : new Uint8Array(m.data as ArrayBuffer));
        };
        socket.onclose = (e) => {
          const atOnce = opened.at === 0 || (!opened.received && performance.now() - opened.at < 2000);
          session.closed(e.reason, (why) =>
            opened.at === 0
              ? `The console could not be opened${why ? `: ${why}` : "; the daemon refused the connection."}`
              : atOnce
                ? `The console closed at once${why ? `: ${why}` : "."}`
                : `The console was disconnected${why ? `: ${why}` : "."}`,
          );
        };
      },
      close() {
        socket?.close();
        observer.disconnect();
        onResize.dispose();
        onData.dispose();
        onBinary.dispose();
        term.dispose();
        if (window.__vesselTerm === term) window.__vesselTerm = undefined;
      },
    };
  });

  return (
    <ConsolePanel id="console" title="Console" connection={connection}>
      <p class="muted">Select text and press Ctrl+Shift+C to copy it; paste with Ctrl+Shift+V or your browser's paste.</p>
      <div class="terminal" ref={box} data-testid="console-terminal" />
    </ConsolePanel>
  );
}
