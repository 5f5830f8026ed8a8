// What the text console (Console.tsx) and the graphical one (Vnc.tsx) share: the check that the instance runs before
// connecting, the explanation when the connection ends, reconnecting, and the panel around the screen.
import type { ComponentChildren } from "preact";
import { useEffect, useState } from "preact/hooks";
import { enc, get, type InstanceState } from "../api";
import { ErrorText, Spinner, message } from "../components";

type Phase = "checking" | "connecting" | "open" | "closed";

/**
 * Why a console cannot be opened, asked before the WebSocket: a refused upgrade's X-Vessel-Error header is out of
 * a browser's reach.
 */
async function consoleRefusal(name: string): Promise<string | null> {
  const state = await get<InstanceState>(`/instances/${enc(name)}/state`);
  if (state.status === "Running") return null;
  return `${name} is ${state.status.toLowerCase()}${state.status_reason ? ` (${state.status_reason})` : ""}: start it to use its console.`;
}

/** How a console's connection reports back. */
export interface ConsoleSession {
  opened(): void;
  failed(error: string): void;
  /** The connection ended: shows describe(why), why being the instance's refusal now (it may have stopped) or else reason. */
  closed(reason: string, describe: (why: string) => string): void;
}

/** One attempt: start() sets up what needs no connection; connect() runs once the instance is known to run; close() ends both. */
interface ConsoleAttempt {
  connect(): void;
  close(): void;
}

/** Runs one attempt per name and per Reconnect. */
export function useConsoleConnection(name: string, start: (session: ConsoleSession) => ConsoleAttempt) {
  const [phase, setPhase] = useState<Phase>("checking");
  const [error, setError] = useState<string | null>(null);
  const [attempt, setAttempt] = useState(0);

  useEffect(() => {
    let disposed = false;
    const fail = (text: string) => {
      if (disposed) return;
      setError(text);
      setPhase("closed");
    };
    const session: ConsoleSession = {
      opened: () => setPhase("open"),
      failed: fail,
      closed: async (reason, describe) => {
        if (disposed) return;
        setPhase("closed");
        let why = reason;
        try {
          why = (await consoleRefusal(name)) ?? reason;
        } catch (e) {
          why = message(e);
        }
        // A reason given earlier (failed()) stays.
        if (!disposed) setError((current) => current ?? describe(why));
      },
    };
    setError(null);
    setPhase("checking");
    const current = start(session);
    consoleRefusal(name).then(
      (refusal) => {
        if (disposed) return;
        if (refusal) return fail(refusal);
        setPhase("connecting");
        current.connect();
      },
      (e) => fail(message(e)),
    );
    return () => {
      disposed = true;
      current.close();
    };
  }, [name, attempt]);

  return { phase, error, reconnect: () => setAttempt((a) => a + 1) };
}

const phaseText: Record<Phase, string> = { checking: "checking the instance…", connecting: "connecting…", open: "connected", closed: "disconnected" };

/** The console's panel: title, connection state, buttons (Reconnect last), error, then children (the screen). */
export function ConsolePanel(props: {
  id: string;
  title: string;
  connection: ReturnType<typeof useConsoleConnection>;
  buttons?: ComponentChildren;
  children: ComponentChildren;
}) {
  const { id, connection } = props;
  return (
    <section class="panel console" aria-labelledby={`${id}-h`}>
      <div class="title-row">
        <h2 id={`${id}-h`}>{props.title}</h2>
        <span class="muted" role="status" data-testid={`${id}-state`}>
          {phaseText[connection.phase]}
        </span>
        {props.buttons}
        <button type="button" onClick={connection.reconnect} data-testid={`${id}-reconnect`}>
          Reconnect
        </button>
      </div>
      {connection.phase === "connecting" && <Spinner label="Connecting" />}
      <ErrorText error={connection.error} testid={`${id}-error`} />
      {props.children}
    </section>
  );
}
