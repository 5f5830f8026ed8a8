#!/usr/bin/env node
// End-to-end test of the web UI in headless Debian chromium (playwright-core; no browser is downloaded).
//
// Env: VESSEL_UI_URL (https://127.0.0.1:PORT/), VESSEL_TOKEN (empty: the daemon asks for no login, dev only),
// VESSEL_VM_NAME (a running busybox VM), VESSEL_IMAGE (container image alias, default busybox), VESSEL_NETWORK
// (default none), ARTIFACTS_DIR (screenshots), VESSEL_NAME_PREFIX (default e2e), VESSEL_E2E_HEADFUL=1 to watch.
// Prints one line per step; exits 1 with the failing step's message.
import { chromium } from "playwright-core";
import { mkdtempSync, mkdirSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const url = (process.env.VESSEL_UI_URL ?? "").replace(/\/?$/, "/");
const token = process.env.VESSEL_TOKEN ?? "";
const vm = process.env.VESSEL_VM_NAME ?? "";
const imageAlias = process.env.VESSEL_IMAGE || "busybox";
const network = process.env.VESSEL_NETWORK || "none";
const artifacts = process.env.ARTIFACTS_DIR || join(process.cwd(), "artifacts", "e2e");
const prefix = process.env.VESSEL_NAME_PREFIX || "e2e";
const name = `${prefix}-c${Date.now().toString(36).slice(-5)}`;

if (!url.startsWith("http")) fail("setup", "VESSEL_UI_URL is not set (e.g. https://127.0.0.1:8443/)");
mkdirSync(artifacts, { recursive: true });

function fail(step, message) {
  console.error(`FAIL ${step}: ${message}`);
  process.exit(1);
}

let page;
let failed = false;
async function step(title, action) {
  const started = Date.now();
  try {
    const note = await action();
    console.log(`ok   ${title}${note ? ` (${note})` : ""} [${Date.now() - started} ms]`);
  } catch (e) {
    failed = true;
    console.error(`FAIL ${title}: ${e?.message?.split("\n")[0] ?? e}`);
    if (page) await page.screenshot({ path: join(artifacts, "failure.png"), fullPage: true }).catch(() => {});
    throw e;
  }
}

const shot = (file) => page.screenshot({ path: join(artifacts, `${file}.png`), fullPage: true });
const go = async (hash) => {
  await page.goto(`${url}#/${hash}`);
  await page.waitForLoadState("domcontentloaded");
};

/** The terminal's lines, from xterm's buffer (window.__vesselTerm). */
const terminalLines = () =>
  page.evaluate(() => {
    const term = window.__vesselTerm;
    if (!term) return null;
    const buffer = term.buffer.active;
    const lines = [];
    // Up to the cursor's line: the rest of the buffer is empty rows.
    for (let i = 0; i <= buffer.baseY + buffer.cursorY; i++) lines.push(buffer.getLine(i)?.translateToString(true) ?? "");
    return lines;
  });

/** Types a command line into the console and waits for a line equal to want (the command's echo never is). */
async function run(command, want, timeout = 15000) {
  const before = (await terminalLines())?.length ?? 0;
  await page.getByTestId("console-terminal").click();
  await page.keyboard.type(command, { delay: 5 });
  await page.keyboard.press("Enter");
  const deadline = Date.now() + timeout;
  while (Date.now() < deadline) {
    const lines = (await terminalLines()) ?? [];
    if (lines.slice(Math.max(0, before - 1)).some((l) => l.trim() === want)) return;
    await page.waitForTimeout(100);
  }
  const tail = ((await terminalLines()) ?? []).filter((l) => l.trim()).slice(-6).join(" | ");
  throw new Error(`"${command}" did not print "${want}" within ${timeout / 1000} s; the terminal shows: ${tail}`);
}

async function openConsole(instance) {
  await go(`instances/${instance}/console`);
  await page.getByTestId("console-state").filter({ hasText: "connected" }).waitFor({ timeout: 20000 }).catch(async () => {
    const error = await page.getByTestId("console-error").textContent().catch(() => "");
    throw new Error(`the console did not connect${error ? `: ${error}` : ""}`);
  });
  // A fresh prompt: whatever the line held before is run (or fails) and forgotten.
  await page.getByTestId("console-terminal").click();
  await page.keyboard.press("Enter");
  await page.waitForTimeout(300);
}

async function rowStatus(instance, want, timeout) {
  const row = page.getByTestId(`instance-row-${instance}`);
  await row.getByTestId("status").filter({ hasText: new RegExp(`^${want}$`) }).waitFor({ timeout }).catch(async () => {
    const now = await row.getByTestId("status").textContent({ timeout: 1000 }).catch(() => "no row");
    throw new Error(`${instance} is not ${want} in the list within ${timeout / 1000} s (shows: ${now})`);
  });
}

const profile = mkdtempSync(join(tmpdir(), "vessel-ui-e2e-"));
const context = await chromium.launchPersistentContext(profile, {
  executablePath: process.env.CHROMIUM ?? "/usr/bin/chromium",
  headless: process.env.VESSEL_E2E_HEADFUL !== "1",
  args: [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
  ].filter((a) => a !== "--headless" || process.env.VESSEL_E2E_HEADFUL !== "1"),
  ignoreHTTPSErrors: true,
  viewport: { width: 1280, height: 800 },
});
page = context.pages()[0] ?? (await context.newPage());
page.setDefaultTimeout(15000);
const pageErrors = [];
page.on("pageerror", (e) => pageErrors.push(e.message));

let created = false;
const copies = [];
try {
  await step("open the UI", async () => {
    await page.goto(url);
    await page.locator('[data-testid="login-token"], [data-testid="nav-dashboard"]').first().waitFor();
  });

  const login = await page.getByTestId("login-token").isVisible();
  if (login) {
    if (!token) throw new Error("the UI asks for a token but VESSEL_TOKEN is not set");
    await step("a wrong token is refused with a message", async () => {
      await page.getByTestId("login-token").fill("not-a-valid-token");
      await page.getByTestId("login-submit").click();
      const error = page.getByTestId("login-error");
      await error.waitFor();
      const text = (await error.textContent())?.trim();
      if (!text) throw new Error("the login error is empty");
      await shot("login");
      return text;
    });
    await step("log in with the token", async () => {
      await page.getByTestId("login-token").fill(token);
      await page.getByTestId("login-submit").click();
      await page.getByTestId("nav-dashboard").waitFor();
    });
  } else {
    if (token) throw new Error("VESSEL_TOKEN is set but the UI shows no login page");
    console.log("skip login steps: this daemon asks for no login (development)");
    await shot("login");
  }

  await step("dashboard", async () => {
    await go("");
    await page.getByTestId("host-cpus").waitFor();
    await shot("dashboard");
  });

  await step(`create container ${name} from the form`, async () => {
    await go("create");
    await page.getByTestId("create-name").fill(name);
    await page.getByTestId("create-type-container").check();
    const option = page.getByTestId("create-image").locator("option", { hasText: new RegExp(`^${imageAlias} `) }).first();
    await page.getByTestId("create-image").selectOption(await option.getAttribute("value"));
    await page.getByTestId("create-network").selectOption(network);
    await shot("create");
    await page.getByTestId("create-submit").click();
    created = true;
    await page.waitForURL((u) => u.hash === `#/instances/${name}`, { timeout: 120000 }).catch(async () => {
      const error = await page.locator('[role="alert"]').first().textContent({ timeout: 1000 }).catch(() => "");
      throw new Error(`the form did not lead to the instance${error ? `: ${error}` : ""}`);
    });
  });

  await step(`${name} is Running in the list`, async () => {
    await go("instances");
    await rowStatus(name, "Running", 60000);
    await shot("instances");
  });

  await step("console: echo hello", async () => {
    await openConsole(name);
    await run("echo hello", "hello");
    await shot("console");
  });

  await step("console: reconnect", async () => {
    await page.evaluate(() => (window.__vesselTerm.__old = true));
    await page.getByTestId("console-reconnect").click();
    await page.waitForFunction(() => window.__vesselTerm && !window.__vesselTerm.__old);
    await page.getByTestId("console-state").filter({ hasText: /^connected$/ }).waitFor({ timeout: 20000 });
    await page.getByTestId("console-terminal").click();
    await page.keyboard.press("Enter");
    await page.waitForTimeout(300);
    await run("echo again", "again");
  });

  await step("snapshot, change a file, restore, the file is back", async () => {
    await run("mkdir -p /root && echo orig > /root/f && cat /root/f", "orig");
    await go(`instances/${name}/snapshots`);
    await page.getByTestId("snapshot-name").fill("e2e1");
    await page.getByTestId("snapshot-create").click();
    await page.getByTestId("snapshot-row-e2e1").waitFor({ timeout: 60000 });
    await openConsole(name);
    await run("echo changed > /root/f && cat /root/f", "changed");
    await go(`instances/${name}/snapshots`);
    await page.getByTestId("snapshot-restore-e2e1").click();
    await page.getByTestId("confirm").click();
    // The restore stops the container, puts its root back and starts it again.
    await page.locator(".progress").first().waitFor({ timeout: 2000 }).catch(() => {});
    await page.locator(".progress").first().waitFor({ state: "detached", timeout: 90000 });
    const error = await page.locator('[role="alert"]').first().textContent({ timeout: 500 }).catch(() => null);
    if (error) throw new Error(`the restore failed: ${error}`);
    await page.getByTestId("status").first().filter({ hasText: /^Running$/ }).waitFor({ timeout: 60000 });
    await go(`instances/${name}`);
    await shot("instance");
    await openConsole(name);
    await run("cat /root/f", "orig");
  });

  await step("config: a wrong value shows the API's message by the field, a right one is applied", async () => {
    await go(`instances/${name}`);
    await page.getByTestId("config-new-key").fill("limits.memory");
    await page.getByTestId("config-new-value").fill("lots");
    await page.getByTestId("config-new-submit").click();
    const error = page.getByTestId("config-new-error");
    await error.waitFor();
    const text = (await error.textContent())?.trim() ?? "";
    if (!text.includes("limits.memory")) throw new Error(`the message does not name the key: ${text}`);
    await page.getByTestId("config-new-value").fill("256MiB");
    await page.getByTestId("config-new-submit").click();
    await page.getByTestId("config-limits.memory").waitFor();
    const value = await page.getByTestId("config-limits.memory").inputValue();
    if (value !== "256MiB") throw new Error(`limits.memory shows ${value}`);
    return text;
  });

  if (vm)
    await step(`graphical console of ${vm} shows a picture`, async () => {
      await go(`instances/${vm}/vnc`);
      await page.getByTestId("vnc-state").filter({ hasText: "connected" }).waitFor({ timeout: 30000 }).catch(async () => {
        const error = await page.getByTestId("vnc-error").textContent().catch(() => "");
        throw new Error(`the graphical console did not connect${error ? `: ${error}` : ""}`);
      });
      const deadline = Date.now() + 30000;
      let last = "";
      while (Date.now() < deadline) {
        const result = await page.evaluate(() => {
          const canvas = document.querySelector('[data-testid="vnc-screen"] canvas');
          if (!canvas || canvas.width === 0 || canvas.height === 0) return { ok: false, why: "no canvas yet" };
          const data = canvas.getContext("2d").getImageData(0, 0, canvas.width, canvas.height).data;
          const first = [data[0], data[1], data[2]];
          let differs = false;
          let lit = 0;
          for (let i = 0; i < data.length; i += 4) {
            if (data[i] !== first[0] || data[i + 1] !== first[1] || data[i + 2] !== first[2]) differs = true;
            if (data[i] + data[i + 1] + data[i + 2] > 0) lit++;
          }
          return { ok: differs && lit > 0, why: `${canvas.width}x${canvas.height}, ${lit} lit pixels, all the same: ${!differs}` };
        });
        last = result.why;
        if (result.ok) {
          await shot("vnc");
          return last;
        }
        await page.waitForTimeout(500);
      }
      await shot("vnc");
      throw new Error(`the VNC canvas stayed blank (${last})`);
    });
  else console.log("skip graphical console: VESSEL_VM_NAME is not set");

  for (const [hash, file, testid] of [
    ["images", "images", "h1"],
    ["networks", "networks", "h1"],
    ["storage", "storage", "h1"],
    ["operations", "operations", "h1"],
  ])
    await step(`page ${hash}`, async () => {
      await go(hash);
      await page.locator(testid).first().waitFor();
      await page.locator(".progress").first().waitFor({ state: "detached", timeout: 10000 });
      const error = await page.locator('[role="alert"]').first().textContent({ timeout: 300 }).catch(() => null);
      if (error) throw new Error(`the page shows an error: ${error}`);
      await shot(file);
    });

  await step("phone viewport: the menu collapses and opens", async () => {
    await page.setViewportSize({ width: 390, height: 844 });
    await go("instances");
    if (await page.getByTestId("nav-images").isVisible()) throw new Error("the navigation is not collapsed at 390 px");
    await page.getByRole("button", { name: "Menu" }).click();
    await page.getByTestId("nav-images").waitFor();
    await shot("phone");
    await page.setViewportSize({ width: 1280, height: 800 });
  });

  await step("stop from the page; its console says it is stopped", async () => {
    await go(`instances/${name}`);
    await page.getByTestId("action-stop").click();
    await page.getByTestId("status").first().filter({ hasText: /^Stopped$/ }).waitFor({ timeout: 60000 });
    await go(`instances/${name}/console`);
    const error = page.getByTestId("console-error");
    await error.waitFor();
    const text = (await error.textContent())?.trim() ?? "";
    if (!/stopped/i.test(text)) throw new Error(`the console says: ${text}`);
    return text;
  });

  await step("export downloads a backup file", async () => {
    await go(`instances/${name}`);
    const [download] = await Promise.all([page.waitForEvent("download", { timeout: 60000 }), page.getByTestId("export").click()]);
    const failure = await download.failure();
    if (failure) throw new Error(`the download failed: ${failure}`);
    const file = join(artifacts, "export.tmp");
    await download.saveAs(file);
    const size = statSync(file).size;
    rmSync(file);
    if (size < 1024) throw new Error(`the backup is only ${size} bytes`);
    return `${download.suggestedFilename()}, ${size} bytes`;
  });

  await step("copy to a new name, then delete the copy", async () => {
    const copy = `${name}-copy`;
    await go(`instances/${name}`);
    await page.getByTestId("copy-name").fill(copy);
    await page.getByTestId("copy-submit").click();
    copies.push(copy);
    await page.waitForURL((u) => u.hash === `#/instances/${copy}`, { timeout: 60000 });
    await page.getByTestId("action-delete").click();
    await page.getByTestId("confirm").click();
    await page.waitForURL((u) => u.hash === "#/instances", { timeout: 60000 });
    copies.pop();
  });

  await step(`delete ${name} through the page`, async () => {
    await go(`instances/${name}`);
    await page.getByTestId("action-delete").click();
    const dialog = page.getByRole("dialog");
    await dialog.waitFor();
    await page.keyboard.press("Escape");
    await dialog.waitFor({ state: "detached" });
    await page.getByTestId("action-delete").click();
    await page.getByTestId("confirm").click();
    await page.waitForURL((u) => u.hash === "#/instances", { timeout: 60000 });
    await page.getByTestId("instance-count").waitFor();
    await page.getByTestId(`instance-row-${name}`).waitFor({ state: "detached", timeout: 10000 });
    created = false;
  });

  if (login) {
    await step("an expired session (any 401) goes back to the login page", async () => {
      await go("instances");
      await page.getByTestId("instance-count").waitFor();
      await context.clearCookies();
      await page.getByTestId("nav-images").click();
      await page.getByTestId("login-token").waitFor();
    });
    await step("log in again, log out", async () => {
      await page.getByTestId("login-token").fill(token);
      await page.getByTestId("login-submit").click();
      await page.getByTestId("logout").click();
      await page.getByTestId("login-token").waitFor();
      await page.reload();
      await page.getByTestId("login-token").waitFor();
    });
  }

  if (pageErrors.length) throw new Error(`uncaught errors in the page: ${pageErrors.join("; ")}`);
  console.log(`passed: screenshots in ${artifacts}`);
} catch (e) {
  if (!failed) console.error(`FAIL ${e?.message ?? e}`);
  failed = true;
} finally {
  // Leave nothing behind: delete what the test made through the API, from the logged-in page.
  for (const leftover of [...(created ? [name] : []), ...copies])
    await page
      .evaluate(async (n) => {
        const r = await fetch(`/1.0/instances/${encodeURIComponent(n)}?force=1`, { method: "DELETE" });
        if (r.status === 202) await fetch(`/1.0/operations/${(await r.json()).id}/wait?timeout=60`);
      }, leftover)
      .catch(() => {});
  await context.close();
  rmSync(profile, { recursive: true, force: true });
}
process.exit(failed ? 1 : 0);
