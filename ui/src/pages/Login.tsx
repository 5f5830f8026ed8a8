import { useState } from "preact/hooks";
import { post } from "../api";
import { ErrorText, Spinner, message } from "../components";

export function Login({ onLogin }: { onLogin: () => void }) {
  const [token, setToken] = useState("");
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const submit = async (e: Event) => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      await post("/auth/login", { token: token.trim() });
      onLogin();
    } catch (err) {
      setError(message(err));
    } finally {
      setBusy(false);
    }
  };
  return (
    <main class="center">
      <form class="panel login" onSubmit={submit}>
        <h1>Vessel</h1>
        <p>Log in with an API token (made on the host with the vessel CLI).</p>
        <label for="token">Token</label>
        <input
          id="token"
          type="password"
          autocomplete="current-password"
          value={token}
          onInput={(e) => setToken(e.currentTarget.value)}
          data-testid="login-token"
          required
          autoFocus
        />
        <ErrorText error={error} testid="login-error" />
        <div class="buttons">
          <button type="submit" class="primary" disabled={busy} data-testid="login-submit">
            Log in
          </button>
          {busy && <Spinner label="Checking the token" />}
        </div>
      </form>
    </main>
  );
}
