// The shell: asks GET /1.0/auth once, shows the login page or the navigation and the page of the route.
import { useEffect, useState } from "preact/hooks";
import { ApiError, get, onUnauthorized, post } from "./api";
import { ErrorBoundary, ErrorText, Spinner, message } from "./components";
import { closeEvents } from "./events";
import { href, useRoute } from "./router";
import { Login } from "./pages/Login";
import { Dashboard } from "./pages/Dashboard";
import { Instances } from "./pages/Instances";
import { InstancePage } from "./pages/Instance";
import { CreateInstance } from "./pages/CreateInstance";
import { Images } from "./pages/Images";
import { Networks } from "./pages/Networks";
import { StoragePools } from "./pages/StoragePools";
import { Operations } from "./pages/Operations";

type Auth = "checking" | "in" | "out";

const pages: [string, string][] = [
  ["", "Dashboard"],
  ["instances", "Instances"],
  ["create", "Create instance"],
  ["images", "Images"],
  ["networks", "Networks"],
  ["storage", "Storage pools"],
  ["operations", "Operations"],
];

export function App() {
  const [auth, setAuth] = useState<Auth>("checking");
  const [error, setError] = useState<string | null>(null);
  const [menu, setMenu] = useState(false);
  const route = useRoute();

  const check = () => {
    setError(null);
    get("/auth").then(
      () => setAuth("in"),
      (e) => {
        if (e instanceof ApiError && e.status === 401) setAuth("out");
        else setError(message(e));
      },
    );
  };
  useEffect(() => {
    onUnauthorized(() => {
      closeEvents();
      setAuth("out");
    });
    check();
  }, []);
  useEffect(() => setMenu(false), [route.join("/")]);

  if (error)
    return (
      <main class="center">
        <h1>Vessel</h1>
        <ErrorText error={error} />
        <button type="button" onClick={check}>
          Retry
        </button>
      </main>
    );
  if (auth === "checking")
    return (
      <main class="center">
        <Spinner label="Connecting" />
      </main>
    );
  if (auth === "out") return <Login onLogin={() => setAuth("in")} />;

  const logout = async () => {
    try {
      await post("/auth/logout");
    } catch {
      // Logged out either way.
    }
    closeEvents();
    setAuth("out");
  };
  const section = route[0] ?? "";
  return (
    <div class="layout">
      <a class="skip" href="#main" onClick={(e) => (e.preventDefault(), document.getElementById("main")?.focus())}>
        Skip to content
      </a>
      <header class="top">
        <a class="brand" href="#/">
          Vessel
        </a>
        <button type="button" class="menu-toggle" aria-expanded={menu} aria-controls="nav" onClick={() => setMenu(!menu)}>
          Menu
        </button>
        <nav id="nav" class={menu ? "open" : ""} aria-label="Main">
          <ul>
            {pages.map(([path, label]) => (
              <li key={path}>
                <a href={href(path)} aria-current={section === path ? "page" : undefined} data-testid={`nav-${path || "dashboard"}`}>
                  {label}
                </a>
              </li>
            ))}
          </ul>
          {auth === "in" && (
            <button type="button" class="link" onClick={logout} data-testid="logout">
              Log out
            </button>
          )}
        </nav>
      </header>
      <main id="main" tabIndex={-1}>
        <ErrorBoundary resetKey={route.join("/")}>
          <Page route={route} />
        </ErrorBoundary>
      </main>
    </div>
  );
}

function Page({ route }: { route: string[] }) {
  switch (route[0] ?? "") {
    case "":
      return <Dashboard />;
    case "instances":
      return route[1] ? <InstancePage key={route[1]} name={route[1]} tab={route[2] ?? "overview"} /> : <Instances />;
    case "create":
      return <CreateInstance />;
    case "images":
      return <Images />;
    case "networks":
      return <Networks />;
    case "storage":
      return <StoragePools />;
    case "operations":
      return <Operations />;
    default:
      return (
        <section class="panel">
          <h1>Not found</h1>
          <p>
            There is no page #{route.join("/")}. <a href="#/">Go to the dashboard</a>.
          </p>
        </section>
      );
  }
}
