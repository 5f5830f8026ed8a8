#!/usr/bin/env node
// Development only: a stand-in for the daemon's HTTPS front (auth contract + static serving of dist/) in front of
// a daemon that has neither yet, so that the production build and e2e/ui.e2e.mjs can be tried with a login:
//   GET /1.0/auth -> 200 {"authenticated":true,"method":"token"} | 401; POST /1.0/auth/login {"token"} -> 200 and an
//   HttpOnly Secure SameSite=Strict cookie | 401 "the token is not valid or has expired"; POST /1.0/auth/logout;
//   any other /1.0 request without the cookie -> 401 JSON (a WebSocket upgrade: 401 with X-Vessel-Error).
// Everything else under /1.0 (WebSocket upgrades too) goes to the daemon's unix socket; /1.0/instances/NAME/vnc goes
// to --vnc HOST:PORT when given (e2e/dev-vnc-bridge.mjs).
//   node e2e/contract-server.mjs --socket RUN_DIR/vessel.sock --dist dist --token TOKEN [--port 18444] [--vnc 127.0.0.1:18490]
import { execFileSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { createServer } from "node:https";
import { request } from "node:http";
import { connect } from "node:net";
import { mkdtempSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { extname, join, normalize } from "node:path";

const args = Object.fromEntries(
  process.argv.slice(2).reduce((pairs, a, i, all) => (a.startsWith("--") ? [...pairs, [a.slice(2), all[i + 1]]] : pairs), []),
);
const { socket: socketPath, dist, token } = args;
if (!socketPath || !dist || !token) throw new Error("usage: contract-server.mjs --socket PATH --dist DIR --token TOKEN [--port N] [--vnc HOST:PORT]");

const dir = mkdtempSync(join(tmpdir(), "vessel-contract-"));
execFileSync("openssl", ["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=127.0.0.1",
  "-keyout", join(dir, "key.pem"), "-out", join(dir, "cert.pem")], { stdio: "ignore" });
const tls = { key: readFileSync(join(dir, "key.pem")), cert: readFileSync(join(dir, "cert.pem")) };
rmSync(dir, { recursive: true });

const sessions = new Set();
const session = (req) => /(?:^|;\s*)vessel_session=([^;]+)/.exec(req.headers.cookie ?? "")?.[1];
const authed = (req) => sessions.has(session(req));
const json = (res, status, body, headers = {}) =>
  res.writeHead(status, { "content-type": "application/json", ...headers }).end(JSON.stringify(body));
const types = { ".html": "text/html", ".js": "text/javascript", ".css": "text/css" };

const server = createServer(tls, (req, res) => {
  const url = new URL(req.url, "https://x");
  if (url.pathname === "/1.0/auth" && req.method === "GET")
    return authed(req) ? json(res, 200, { authenticated: true, method: "token" }) : json(res, 401, { error: "not logged in", error_code: 401 });
  if (url.pathname === "/1.0/auth/login" && req.method === "POST") {
    let body = "";
    req.on("data", (c) => (body += c));
    req.on("end", () => {
      let given = "";
      try {
        given = JSON.parse(body).token;
      } catch {}
      if (given !== token) return json(res, 401, { error: "the token is not valid or has expired", error_code: 401 });
      const id = randomBytes(24).toString("hex");
      sessions.add(id);
      json(res, 200, { authenticated: true, method: "token" }, { "set-cookie": `vessel_session=${id}; Path=/; HttpOnly; Secure; SameSite=Strict` });
    });
    return;
  }
  if (url.pathname === "/1.0/auth/logout" && req.method === "POST") {
    sessions.delete(session(req));
    return json(res, 200, {}, { "set-cookie": "vessel_session=; Path=/; HttpOnly; Secure; SameSite=Strict; Max-Age=0" });
  }
  if (url.pathname.startsWith("/1.0")) {
    if (!authed(req)) return json(res, 401, { error: "not logged in", error_code: 401 });
    const upstream = request({ socketPath, method: req.method, path: req.url, headers: req.headers }, (answer) => {
      res.writeHead(answer.statusCode, answer.headers);
      answer.pipe(res);
      answer.on("close", () => answer.complete || res.destroy()); // the daemon went away mid-answer (an event stream)
    });
    upstream.on("error", (e) => json(res, 502, { error: e.message, error_code: 502 }));
    req.pipe(upstream);
    res.on("close", () => upstream.destroy());
    return;
  }
  const file = normalize(join(dist, url.pathname === "/" ? "index.html" : url.pathname));
  try {
    if (!file.startsWith(normalize(dist)) || !statSync(file).isFile()) throw new Error();
    res.writeHead(200, { "content-type": types[extname(file)] ?? "application/octet-stream" }).end(readFileSync(file));
  } catch {
    res.writeHead(404).end();
  }
});

server.on("upgrade", (req, client, head) => {
  if (!authed(req)) return client.end("HTTP/1.1 401 Unauthorized\r\nX-Vessel-Error: not logged in\r\nContent-Length: 0\r\n\r\n");
  const vnc = args.vnc && /\/vnc$/.test(req.url.split("?")[0]);
  const upstream = vnc ? connect(Number(args.vnc.split(":")[1]), args.vnc.split(":")[0]) : connect(socketPath);
  upstream.on("connect", () => {
    const lines = [`${req.method} ${req.url} HTTP/1.1`];
    for (let i = 0; i < req.rawHeaders.length; i += 2) lines.push(`${req.rawHeaders[i]}: ${req.rawHeaders[i + 1]}`);
    upstream.write(lines.join("\r\n") + "\r\n\r\n");
    if (head.length) upstream.write(head);
    upstream.pipe(client);
    client.pipe(upstream);
  });
  upstream.on("error", () => client.destroy());
  client.on("error", () => upstream.destroy());
});

const port = Number(args.port ?? 18444);
server.listen(port, "127.0.0.1", () => console.log(`contract stand-in on https://127.0.0.1:${port}/ for ${socketPath}`));
