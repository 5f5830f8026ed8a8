// Small shared pieces: data loading, actions with operation progress, errors, the error boundary, dialogs.
import { Component, type ComponentChildren } from "preact";
import { useCallback, useEffect, useLayoutEffect, useRef, useState } from "preact/hooks";
import { del, wait, type Operation } from "./api";

export function message(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

/** Loads data once and on reload(); keeps the last value while reloading. */
export function useLoad<T>(load: (signal: AbortSignal) => Promise<T>, deps: unknown[] = []) {
  const [value, setValue] = useState<T | undefined>(undefined);
  const [error, setError] = useState<string | null>(null);
  const [loading, setLoading] = useState(true);
  const [generation, setGeneration] = useState(0);
  useEffect(() => {
    const abort = new AbortController();
    setLoading(true);
    load(abort.signal).then(
      (v) => {
        if (abort.signal.aborted) return;
        setValue(v);
        setError(null);
        setLoading(false);
      },
      (e) => {
        if (abort.signal.aborted) return;
        setError(message(e));
        setLoading(false);
      },
    );
    return () => abort.abort();
  }, [...deps, generation]);
  const reload = useCallback(() => setGeneration((g) => g + 1), []);
  return { value, error, loading, reload, setValue };
}

function isOperation(x: unknown): x is Operation {
  return typeof x === "object" && x !== null && "id" in x && "status" in x && "description" in x;
}

/**
 * Runs user actions one at a time. An action that answers an operation shows its description with a spinner
 * until GET /1.0/operations/ID/wait returns; a failure is kept to show where the action was started.
 */
export function useAction() {
  const [busy, setBusy] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  const run = useCallback(async (label: string, action: () => Promise<unknown>): Promise<boolean> => {
    setBusy(label);
    setError(null);
    try {
      const result = await action();
      if (isOperation(result)) {
        setBusy(result.description);
        await wait(result);
      }
      return true;
    } catch (e) {
      setError(message(e));
      return false;
    } finally {
      setBusy(null);
    }
  }, []);
  return { busy, error, run, setError };
}

export type Action = ReturnType<typeof useAction>;

export function Spinner({ label }: { label: string }) {
  return (
    <span class="progress" role="status" aria-live="polite">
      <span class="spinner" aria-hidden="true" /> {label}…
    </span>
  );
}

export function ErrorText({ error, testid }: { error: string | null | undefined; testid?: string }) {
  if (!error) return null;
  return (
    <p class="error" role="alert" data-testid={testid ?? "error"}>
      {error}
    </p>
  );
}

/** What loaded data shows: its error, a spinner until it first arrives, then children(value). */
export function Loaded<T>(props: { load: { value: T | undefined; error: string | null }; label: string; children: (value: T) => ComponentChildren }) {
  const { value, error } = props.load;
  return (
    <>
      <ErrorText error={error} />
      {value === undefined ? !error && <Spinner label={props.label} /> : props.children(value)}
    </>
  );
}

/** Shows busy/error of an action in place. */
export function ActionStatus({ busy, error }: { busy: string | null; error: string | null }) {
  return (
    <>
      {busy && <Spinner label={busy} />}
      <ErrorText error={error} />
    </>
  );
}

/** Keeps a page's failure to that page: the message instead of a blank screen or a stack trace. */
export class ErrorBoundary extends Component<{ children: ComponentChildren; resetKey?: string }, { error: string | null }> {
  state = { error: null as string | null };
  static getDerivedStateFromError(e: unknown) {
    return { error: message(e) };
  }
  componentDidUpdate(previous: { resetKey?: string }) {
    if (previous.resetKey !== this.props.resetKey && this.state.error) this.setState({ error: null });
  }
  render() {
    if (this.state.error)
      return (
        <section class="panel">
          <h2>Something went wrong on this page</h2>
          <ErrorText error={this.state.error} />
          <button type="button" onClick={() => this.setState({ error: null })}>
            Try again
          </button>
        </section>
      );
    return this.props.children;
  }
}

const focusable = 'button:not([disabled]), [href], input:not([disabled]), select:not([disabled]), textarea, [tabindex]:not([tabindex="-1"])';

/** A modal dialog: focus moves in and stays in, Escape closes it, focus goes back where it was. */
export function Dialog({ title, onClose, children }: { title: string; onClose: () => void; children: ComponentChildren }) {
  const ref = useRef<HTMLDivElement>(null);
  useLayoutEffect(() => {
    const before = document.activeElement as HTMLElement | null;
    const node = ref.current!;
    (node.querySelector<HTMLElement>("[data-autofocus]") ?? node.querySelector<HTMLElement>(focusable))?.focus();
    return () => before?.focus();
  }, []);
  const key = (e: KeyboardEvent) => {
    if (e.key === "Escape") {
      e.preventDefault();
      onClose();
    } else if (e.key === "Tab") {
      const items = [...ref.current!.querySelectorAll<HTMLElement>(focusable)];
      if (items.length === 0) return;
      const first = items[0];
      const last = items[items.length - 1];
      if (e.shiftKey && document.activeElement === first) {
        e.preventDefault();
        last.focus();
      } else if (!e.shiftKey && document.activeElement === last) {
        e.preventDefault();
        first.focus();
      }
    }
  };
  return (
    <div class="backdrop" onClick={(e) => e.target === e.currentTarget && onClose()}>
      <div class="dialog" role="dialog" aria-modal="true" aria-labelledby="dialog-title" ref={ref} onKeyDown={key}>
        <h2 id="dialog-title">{title}</h2>
        {children}
      </div>
    </div>
  );
}

/** Asks before something that cannot be undone. */
export function Confirm(props: { title: string; text: string; confirm: string; onConfirm: () => void; onClose: () => void }) {
  return (
    <Dialog title={props.title} onClose={props.onClose}>
      <p>{props.text}</p>
      <div class="buttons">
        <button type="button" onClick={props.onClose} data-autofocus>
          Cancel
        </button>
        <button
          type="button"
          class="danger"
          data-testid="confirm"
          onClick={() => {
            props.onClose();
            props.onConfirm();
          }}
        >
          {props.confirm}
        </button>
      </div>
    </Dialog>
  );
}

/** A button that asks first; its label is the dialog's confirm button too. */
export function ConfirmButton(props: {
  label: string;
  title: string;
  text: string;
  onConfirm: () => void;
  disabled?: boolean;
  danger?: boolean;
  ariaLabel?: string;
  testid?: string;
}) {
  const [asking, setAsking] = useState(false);
  return (
    <>
      <button
        type="button"
        class={props.danger ? "danger" : undefined}
        disabled={props.disabled}
        onClick={() => setAsking(true)}
        aria-label={props.ariaLabel}
        data-testid={props.testid}
      >
        {props.label}
      </button>
      {asking && <Confirm title={props.title} text={props.text} confirm={props.label} onConfirm={props.onConfirm} onClose={() => setAsking(false)} />}
    </>
  );
}

/** Deletes what `what` names (e.g. "image 0123abcd") at the API path, as the page's action, after asking; then onDeleted. */
export function DeleteButton(props: { what: string; path: string; text: string; action: Action; onDeleted: () => void; testid?: string }) {
  const { what, action } = props;
  return (
    <ConfirmButton
      label="Delete"
      danger
      title={`Delete ${what}?`}
      text={props.text}
      ariaLabel={`Delete ${what}`}
      testid={props.testid}
      disabled={action.busy !== null}
      onConfirm={async () => {
        await action.run(`delete ${what}`, () => del(props.path));
        props.onDeleted();
      }}
    />
  );
}

export function StatusBadge({ status }: { status: string }) {
  return (
    <span class={`badge status-${status.toLowerCase()}`} data-testid="status">
      {status}
    </span>
  );
}
