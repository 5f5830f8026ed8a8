#!/usr/bin/env node
// UI benchmark (run by bench/ui.sh): in headless Debian chromium,
//  1. the instance list: from the /1.0/instances?recursion=1 response arriving (its resource timing's responseEnd)
//     to its rows painted (the frame after Preact committed them), against the anchor: chromium rendering the
//     same rows as a plain static HTML table (their markup fetched by a loaded page and put into its table), from
//     that response arriving to the rows painted;
//  2. a state change: from the action being sent (PUT /1.0/instances/NAME/state, as `vessel pause` does) to the
//     row showing the new status, against the anchor: the operation's Success event reaching a bare EventSource
//     in the same page.
// The UI comes from the daemon itself over HTTPS (core.https_address), logged in with a token; the actions and
// the anchor's rows go through the daemon's unix socket. Prints figures; asserts nothing.
//
// node ui.bench.mjs --url https://127.0.0.1:PORT --token TOKEN --socket PATH --instance NAME [--runs 7] [--changes 5] [--source "…"]
import { chromium } from "playwright-core";
import { request } from "node:http";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const args = Object.fromEntries(
  process.argv.slice(2).reduce((pairs, a, i, all) => (a.startsWith("--") ? [...pairs, [a.slice(2), all[i + 1]]] : pairs), []),
);
const origin = args.url?.replace(/\/$/, "");
const token = args.token;
const socketPath = args.socket;
const live = args.instance;
const runs = Number(args.runs ?? 7);
const changes = Number(args.changes ?? 5);
const source = args.source ?? "a real GET /1.0/instances?recursion=1 of a daemon";
if (!origin || !token || !socketPath || !live) throw new Error("usage: ui.bench.mjs --url URL --token TOKEN --socket PATH --instance NAME");

const now = () => performance.timeOrigin + performance.now();

function daemon(method, path, body) {
  return new Promise((resolve, reject) => {
    const req = request({ socketPath, method, path, headers: body ? { "content-type": "application/json" } : {} }, (res) => {
      const chunks = [];
      res.on("data", (c) => chunks.push(c));
      res.on("end", () => {
        const text = Buffer.concat(chunks).toString();
        if (res.statusCode >= 400) reject(new Error(`${method} ${path}: ${res.statusCode} ${text}`));
        else resolve(text ? JSON.parse(text) : null);
      });
    });
    req.on("error", reject);
    req.end(body ? JSON.stringify(body) : undefined);
  });
}

const escape = (s) => String(s).replace(/[&<>"]/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;" })[c]);

// The anchor: the same rows as a plain static HTML table: a loaded page fetches their markup, already written by the
// server, and puts it into its table; the time from that response arriving to the rows painted is the floor.
const instances = await daemon("GET", "/1.0/instances?recursion=1");
const anchorRows = instances
  .map((i) => `<tr><td><a href="#">${escape(i.name)}</a></td><td>${escape(i.type)}</td><td><span>${escape(i.status)}</span></td><td></td><td></td><td></td></tr>`)
  .join("\n");
const anchorHtml = `<!doctype html><html><head><meta charset="utf-8"><title>anchor</title></head><body><table><thead><tr>
<th>Name</th><th>Type</th><th>Status</th><th>IPv4</th><th>CPU</th><th>Memory</th></tr></thead><tbody></tbody></table>
<script>
fetch("/anchor-rows").then((r) => r.text()).then((rows) => {
  document.querySelector("tbody").innerHTML = rows;
  requestAnimationFrame(() => setTimeout(() => { window.__anchorRendered = performance.now(); }, 0));
});
</script></body></html>`;

const profile = mkdtempSync(join(tmpdir(), "vessel-ui-bench-"));
const context = await chromium.launchPersistentContext(profile, {
  executablePath: process.env.CHROMIUM ?? "/usr/bin/chromium",
  headless: true,
  args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
  viewport: { width: 1280, height: 800 },
  ignoreHTTPSErrors: true, // the daemon's certificate is self-signed
});
// The anchor's page and rows, answered by the browser itself on the daemon's origin.
await context.route(`${origin}/anchor.html`, (route) => route.fulfill({ contentType: "text/html; charset=utf-8", body: anchorHtml }));
await context.route(`${origin}/anchor-rows`, (route) => route.fulfill({ contentType: "text/html; charset=utf-8", body: anchorRows }));
const login = await context.request.post(`${origin}/1.0/auth/login`, { data: { token } });
if (!login.ok()) throw new Error(`login: ${login.status()} ${await login.text()}`);

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const fmt = (x) => `${x.toFixed(1)} ms`;
const line = (label, xs) => `${label}: median ${fmt(median(xs))} (min ${fmt(Math.min(...xs))}, max ${fmt(Math.max(...xs))}, ${xs.length} runs)`;

try {
  // 1. First render of the list. A fresh page each run; the first run warms the caches and is not counted.
  const ui = [];
  const parsedToPaint = [];
  const anchor = [];
  for (let run = 0; run <= runs; run++) {
    const page = await context.newPage();
    await page.goto(`${origin}/#/instances`);
    await page.waitForFunction(() => window.__vesselMarks?.instancesRendered !== undefined, null, { timeout: 60000 });
    const m = await page.evaluate(() => {
      const entry = performance.getEntriesByType("resource").find((e) => e.name.includes("/1.0/instances?recursion=1"));
      return {
        responseEnd: entry.responseEnd,
        marks: window.__vesselMarks,
        rows: document.querySelectorAll('[data-testid^="instance-row-"]').length,
      };
    });
    if (m.rows !== instances.length) throw new Error(`the list shows ${m.rows} rows, the API has ${instances.length}`);
    await page.close();

    const plain = await context.newPage();
    await plain.goto(`${origin}/anchor.html`);
    await plain.waitForFunction(() => window.__anchorRendered !== undefined);
    const a = await plain.evaluate(
      () => window.__anchorRendered - performance.getEntriesByType("resource").find((e) => e.name.endsWith("/anchor-rows")).responseEnd,
    );
    await plain.close();
    if (run === 0) continue;
    ui.push(m.marks.instancesRendered - m.responseEnd);
    parsedToPaint.push(m.marks.instancesRendered - m.marks.instancesResponse);
    anchor.push(a);
  }
  console.log(`instance list, ${instances.length} instances (${source})`);
  console.log(`  ${line("UI: response arrived -> rows painted", ui)}  (goal <= 200 ms)`);
  console.log(`  ${line("   of which JSON parsed -> rows painted", parsedToPaint)}`);
  console.log(`  ${line("anchor: static HTML table, response arrived -> rows painted", anchor)}`);
  console.log(`  ratio UI / anchor: ${(median(ui) / median(anchor)).toFixed(2)}`);

  // 2. A state change of the one real instance, seen on the list page.
  const page = await context.newPage();
  await page.goto(`${origin}/#/instances`);
  await page.waitForFunction(() => window.__vesselMarks?.instancesRendered !== undefined, null, { timeout: 60000 });
  await page.evaluate((name) => {
    window.__bench = { event: [], shown: [] };
    const source = new EventSource("/1.0/events?type=operation");
    source.onmessage = (m) => {
      const e = JSON.parse(m.data);
      if (e.operation?.status === "Success" && e.operation.resources.includes(`/1.0/instances/${name}`))
        window.__bench.event.push(performance.timeOrigin + performance.now());
    };
    const row = document.querySelector(`[data-testid="instance-row-${name}"]`);
    new MutationObserver(() => {
      const status = row.querySelector('[data-testid="status"]')?.textContent;
      window.__bench.shown.push({ status, at: performance.timeOrigin + performance.now() });
    }).observe(row, { subtree: true, childList: true, characterData: true });
  }, live);
  await page.waitForTimeout(500); // the bench's EventSource is connected

  const total = [];
  const eventDelay = [];
  const uiAfterEvent = [];
  for (let i = 0; i < changes; i++) {
    for (const [action, want] of [
      ["freeze", "Frozen"],
      ["unfreeze", "Running"],
    ]) {
      await page.evaluate(() => ((window.__bench.event = []), (window.__bench.shown = [])));
      const sent = now();
      const operation = await daemon("PUT", `/1.0/instances/${live}/state`, { action, timeout: 30 });
      await daemon("GET", `/1.0/operations/${operation.id}/wait?timeout=30`);
      await page.waitForFunction((w) => window.__bench.shown.some((s) => s.status === w) && window.__bench.event.length > 0, want, { timeout: 10000 });
      const b = await page.evaluate(() => window.__bench);
      const shown = b.shown.find((s) => s.status === want).at;
      total.push(shown - sent);
      eventDelay.push(b.event[0] - sent);
      uiAfterEvent.push(shown - b.event[0]);
    }
  }
  await page.close();
  console.log(`state change of ${live} (pause/resume through the API, ${total.length} changes), seen in the list of ${instances.length}`);
  console.log(`  ${line("UI: action sent -> row shows the new status", total)}  (goal <= 100 ms)`);
  console.log(`  ${line("anchor: action sent -> Success event in a bare EventSource", eventDelay)}`);
  console.log(`  ${line("UI's own part: Success event -> row shows it (negative: shown from an earlier event)", uiAfterEvent)}`);
  console.log(`  ratio UI / anchor: ${(median(total) / median(eventDelay)).toFixed(2)}`);
} finally {
  await context.close();
  rmSync(profile, { recursive: true, force: true });
}
