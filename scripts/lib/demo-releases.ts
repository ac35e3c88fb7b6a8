// The demo app's releases: <deployRoot>/releases/<name>/server.mjs, a tiny HTTP server (node:http only) that
// shows its release name and the `banner` setting read from its database and answers /health; and
// <deployRoot>/bin/appctl.mjs start|stop, the app's start and stop commands:
//   startCommand ["node", "<deployRoot>/bin/appctl.mjs", "start"], stopCommand [… "stop"].
// appctl takes PORT and the connection (PGHOST, PGPORT, PGUSER, PGPASSWORD, PGDATABASE) from its environment
// (app.commandEnv) over <deployRoot>/bin/app.env.json. Either way the password sits in a file or in the
// dashboard's database in the clear for the demo's sake: a real app keeps its own configuration.
import fs from "node:fs/promises";
import { createRequire } from "node:module";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { RELEASE_COMPLETE_MARKER, switchRelease } from "@/lib/ops/releases";

export interface DemoReleaseOptions {
  /** Releases whose /health answers 500 (for tests of a failed health check). */
  unhealthy?: string[];
}

const COLORS = ["#0f766e", "#1d4ed8", "#7c3aed", "#b45309", "#be123c"];

/**
 * Writes one release per name (oldest first), each complete (it carries the completeness marker), plus
 * bin/appctl.mjs, and points `current` at the last one. Existing releases of the same name are replaced.
 */
export async function createDemoReleases(deployRoot: string, names: string[], opts: DemoReleaseOptions = {}): Promise<void> {
  if (names.length === 0) throw new Error("createDemoReleases needs at least one release name");
  const root = path.resolve(deployRoot);
  await fs.mkdir(path.join(root, "releases"), { recursive: true });
  await fs.mkdir(path.join(root, "bin"), { recursive: true });
  await fs.mkdir(path.join(root, "run"), { recursive: true });
  // The postgres package of this Lifeboat install, by absolute path: the releases have no node_modules.
  const postgresUrl = pathToFileURL(createRequire(path.join(process.cwd(), "package.json")).resolve("postgres")).href;
  const base = Date.now() - names.length * 60_000;
  for (const [i, name] of names.entries()) {
    const dir = path.join(root, "releases", name);
    await fs.rm(dir, { recursive: true, force: true });
    await fs.mkdir(dir, { recursive: true });
    await fs.writeFile(path.join(dir, "server.mjs"), serverSource(postgresUrl, COLORS[i % COLORS.length]!, !!opts.unhealthy?.includes(name)));
    // The deploy's last step: the release is complete.
    const marker = path.join(dir, RELEASE_COMPLETE_MARKER);
    await fs.writeFile(marker, `${name}\n`);
    // Distinct times, oldest first, so "newest first" follows the order given.
    const t = new Date(base + i * 60_000);
    await fs.utimes(marker, t, t);
    await fs.utimes(dir, t, t);
  }
  await fs.writeFile(path.join(root, "bin", "appctl.mjs"), APPCTL, { mode: 0o755 });
  await switchRelease(root, names[names.length - 1]!);
}

function serverSource(postgresUrl: string, color: string, unhealthy: boolean): string {
  return `// A demo release: node:http only, plus the postgres client of the Lifeboat install.
import fs from "node:fs";
import http from "node:http";
import path from "node:path";
import { fileURLToPath } from "node:url";
import postgres from ${JSON.stringify(postgresUrl)};

const release = path.basename(path.dirname(fs.realpathSync(fileURLToPath(import.meta.url))));
const port = Number(process.env.PORT);
if (!port) {
  console.error("PORT is not set");
  process.exit(2);
}
const connect = () =>
  postgres({
    host: process.env.PGHOST, port: Number(process.env.PGPORT || 5432), user: process.env.PGUSER,
    password: process.env.PGPASSWORD, database: process.env.PGDATABASE,
    max: 2, idle_timeout: 10, connect_timeout: 3, onnotice: () => {},
    connection: { application_name: "shop-" + release },
  });
let sql = connect();
const UNHEALTHY = ${unhealthy};
const esc = (s) => String(s).replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]);

// A session ended by the server (pg_terminate_backend during a swap, a restart, a failover) fails the query
// that was on it; postgres.js opens a new session for the next one. These reads are safe to repeat once.
const SESSION_LOST = new Set(["57P01", "57P02", "57P03", "08000", "08003", "08006", "CONNECTION_CLOSED", "CONNECTION_ENDED", "CONNECTION_DESTROYED", "ECONNRESET", "EPIPE"]);
// postgres.js 3.4 can leave a query hanging after its session was ended and reconnecting is refused
// (seen here: terminate, then ALLOW_CONNECTIONS false). A query that has no answer in time fails, and
// the pool is replaced so the next request starts clean.
const QUERY_TIMEOUT_MS = 4000;

async function attempt(query) {
  const pool = sql;
  let timer;
  try {
    return await Promise.race([
      query(pool),
      new Promise((_, reject) => {
        timer = setTimeout(() => reject(Object.assign(new Error("the database did not answer in time"), { code: "QUERY_TIMEOUT" })), QUERY_TIMEOUT_MS);
      }),
    ]);
  } catch (e) {
    if (e?.code === "QUERY_TIMEOUT" && sql === pool) {
      sql = connect();
      pool.end({ timeout: 0 }).catch(() => {});
    }
    throw e;
  } finally {
    clearTimeout(timer);
  }
}

async function read(query) {
  try {
    return await attempt(query);
  } catch (e) {
    if (!SESSION_LOST.has(e?.code)) throw e;
    return await attempt(query);
  }
}

async function banner() {
  const rows = await read((db) => db\`SELECT value FROM settings WHERE key = 'banner'\`);
  return rows[0]?.value ?? "(no banner set)";
}

function send(res, status, type, body) {
  res.writeHead(status, { "content-type": type }).end(body);
}

// Every body is computed before the status line is written, so a failed query can still become a 503
// (writing the headers first and failing after them crashed the server with ERR_HTTP_HEADERS_SENT).
const server = http.createServer(async (req, res) => {
  const url = new URL(req.url ?? "/", "http://localhost");
  try {
    if (url.pathname === "/health") {
      if (UNHEALTHY) throw new Error("this release is broken on purpose");
      await read((db) => db\`SELECT 1\`);
      send(res, 200, "text/plain", "ok " + release + "\\n");
    } else if (url.pathname === "/__pid") {
      send(res, 200, "text/plain", String(process.pid));
    } else if (url.pathname === "/api") {
      const body = JSON.stringify({ release, banner: await banner() });
      send(res, 200, "application/json", body);
    } else if (url.pathname === "/") {
      let text;
      try {
        text = await banner();
      } catch (e) {
        text = "database unavailable: " + e.message;
      }
      send(res, 200, "text/html; charset=utf-8",
        '<!doctype html><meta charset="utf-8"><title>shop ' + esc(release) + '</title>' +
        '<body style="font-family:system-ui;margin:3rem;border-top:8px solid ${color}">' +
        '<h1>shop</h1><p>Release <b data-testid="release">' + esc(release) + '</b></p>' +
        '<p>Banner: <b data-testid="banner">' + esc(text) + '</b></p></body>',
      );
    } else {
      res.writeHead(404).end();
    }
  } catch (e) {
    if (res.headersSent) res.destroy();
    else send(res, 503, "text/plain", "unhealthy: " + e.message + "\\n");
  }
});
server.listen(port, "127.0.0.1", () => console.log("shop " + release + " listening on " + port + " (pid " + process.pid + ")"));
const stop = () => {
  server.close();
  sql.end({ timeout: 2 }).finally(() => process.exit(0));
  setTimeout(() => process.exit(0), 3000).unref();
};
process.on("SIGTERM", stop);
process.on("SIGINT", stop);
`;
}

const APPCTL = `#!/usr/bin/env node
// The demo app's start and stop commands: node bin/appctl.mjs start|stop|status.
// start: runs node current/server.mjs detached (pid in run/app.pid, output in run/app.log) and waits until it
// answers; starting a running app succeeds. stop: SIGTERM, wait, SIGKILL after 10 s; stopping a stopped app succeeds.
import { spawn } from "node:child_process";
import fs from "node:fs";
import http from "node:http";
import path from "node:path";
import { fileURLToPath } from "node:url";

const root = path.dirname(path.dirname(fileURLToPath(import.meta.url)));
const runDir = path.join(root, "run");
const pidFile = path.join(runDir, "app.pid");
const logFile = path.join(runDir, "app.log");
const KEYS = ["PORT", "PGHOST", "PGPORT", "PGUSER", "PGPASSWORD", "PGDATABASE"];

function settings() {
  let file = {};
  try {
    file = JSON.parse(fs.readFileSync(path.join(root, "bin", "app.env.json"), "utf8"));
  } catch {}
  const env = {};
  for (const k of KEYS) {
    const v = process.env[k] || file[k];
    if (v) env[k] = String(v);
  }
  return env;
}

function readPid() {
  try {
    const pid = Number(fs.readFileSync(pidFile, "utf8").trim());
    return Number.isInteger(pid) && pid > 0 ? pid : null;
  } catch {
    return null;
  }
}

/** Alive and really our server (a pid file can outlive its process and the pid be reused). */
function isOurs(pid) {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  try {
    return fs.readFileSync("/proc/" + pid + "/cmdline", "utf8").includes("server.mjs");
  } catch {
    return true;
  }
}

function ask(port, pathName) {
  return new Promise((resolve) => {
    const req = http.get({ host: "127.0.0.1", port, path: pathName, timeout: 1000 }, (res) => {
      let body = "";
      res.on("data", (c) => (body += c));
      res.on("end", () => resolve({ status: res.statusCode, body }));
    });
    req.on("error", () => resolve(null));
    req.on("timeout", () => req.destroy());
  });
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

async function start() {
  const env = settings();
  if (!env.PORT) throw new Error("PORT is not set (app.commandEnv or bin/app.env.json)");
  const old = readPid();
  if (old && isOurs(old)) {
    console.log("already running (pid " + old + ")");
    return;
  }
  fs.mkdirSync(runDir, { recursive: true });
  const out = fs.openSync(logFile, "a");
  const child = spawn(process.execPath, [path.join(root, "current", "server.mjs")], {
    cwd: path.join(root, "current"),
    detached: true,
    stdio: ["ignore", out, out],
    env: { PATH: process.env.PATH || "/usr/bin:/bin", ...env },
  });
  let exited = null;
  child.on("exit", (code) => (exited = code ?? 1));
  fs.writeFileSync(pidFile, String(child.pid));
  const deadline = Date.now() + 15000;
  while (Date.now() < deadline) {
    if (exited !== null) break;
    const r = await ask(Number(env.PORT), "/__pid");
    if (r && r.body === String(child.pid)) {
      child.unref();
      console.log("started " + fs.realpathSync(path.join(root, "current")).split(path.sep).pop() + " on port " + env.PORT + " (pid " + child.pid + ")");
      process.exit(0);
    }
    await sleep(100);
  }
  fs.rmSync(pidFile, { force: true });
  try {
    process.kill(child.pid, "SIGKILL");
  } catch {}
  const tail = fs.readFileSync(logFile, "utf8").trim().split("\\n").slice(-5).join("\\n");
  throw new Error((exited !== null ? "the server exited (code " + exited + ")" : "the server did not answer within 15 s") + ":\\n" + tail);
}

async function stop() {
  const pid = readPid();
  if (!pid || !isOurs(pid)) {
    fs.rmSync(pidFile, { force: true });
    console.log("not running");
    return;
  }
  process.kill(pid, "SIGTERM");
  const deadline = Date.now() + 10000;
  while (Date.now() < deadline && isOurs(pid)) await sleep(50);
  if (isOurs(pid)) process.kill(pid, "SIGKILL");
  while (isOurs(pid)) await sleep(50);
  fs.rmSync(pidFile, { force: true });
  console.log("stopped (pid " + pid + ")");
}

const cmd = process.argv[2];
try {
  if (cmd === "start") await start();
  else if (cmd === "stop") await stop();
  else if (cmd === "status") {
    const pid = readPid();
    console.log(pid && isOurs(pid) ? "running (pid " + pid + ")" : "not running");
  } else {
    console.error("usage: appctl.mjs start|stop|status");
    process.exit(2);
  }
} catch (e) {
  console.error("appctl " + cmd + ": " + e.message);
  process.exit(1);
}
`;
