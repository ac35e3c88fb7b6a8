// npm run demo: the embedded default. A throwaway PostgreSQL cluster under .lifeboat/, the metadata
// database, a demo app "shop" (seeded database, three releases served by a tiny HTTP server, backups dir),
// an admin user — then the dashboard and the worker, printing the URL and the login. A second run reuses
// the data.
//
// SIGINT (Ctrl-C), SIGTERM or SIGHUP — to this process, to npm, or to the whole group — stops the dashboard,
// the demo app, the worker, then PostgreSQL, each with a timeout and SIGKILL after it; so does npm dying
// without passing a signal on. A service that dies on its own stops everything (exit 1), said out loud: a
// demo half running is more confusing than one that is not.
//
//   npm run demo                      build (when needed) and start on http://127.0.0.1:3000
//   npm run demo -- --dev             next dev instead of a production build
//   npm run demo -- --port 3100 --dir .lifeboat/e2e --fresh --no-build     (what the e2e tests use)
import fs from "node:fs";
import path from "node:path";
import { parseArgs } from "node:util";
import postgres from "postgres";
import { createApp, getAppBySlug } from "@/lib/db/queries/apps";
import { closeDb } from "@/lib/db/client";
import { migrateMetadata } from "@/lib/db/migrate";
import { createUser, getLoginCandidate, getUserByEmail } from "@/lib/db/queries/users";
import { verifyPassword } from "@/lib/auth/password";
import { probeServer } from "@/lib/ops/server-info";
import { appFormSchema } from "@/lib/validation/apps";
import { startCluster, freePort, type Cluster } from "./lib/pg-cluster";
import { createDemoReleases } from "./lib/demo-releases";
import { appctl, chooseDemoAppPort, demoHealthUrl, portFree, syncRegisteredEndpoints, writeDemoAppEnv } from "./lib/demo-app";
import { acquireDemoLock, stopStaleGroups, type DemoLock } from "./lib/demo-lock";
import { CLI_ENV, loadDemoSecrets, needsBuild, writeCliEnv, type DemoSecrets as Secrets } from "./lib/demo-setup";
import { Supervisor, watchLaunchers, type ServiceSpec, type StopResult } from "./lib/demo-supervisor";
import { requirePrereqs } from "./lib/prereqs";
import { seedShop } from "./lib/seed-shop";

const { values: opts } = parseArgs({
  args: process.argv.slice(2),
  strict: true,
  options: {
    dir: { type: "string", default: ".lifeboat/demo" },
    port: { type: "string" },
    fresh: { type: "boolean", default: false },
    dev: { type: "boolean", default: false },
    "no-build": { type: "boolean", default: false },
  },
});

const root = process.cwd();
const baseDir = path.resolve(opts.dir!);
const deployRoot = path.join(baseDir, "apps", "shop");
const ADMIN_EMAIL = "admin@lifeboat.local";
const say = (s: string) => console.log(`lifeboat demo │ ${s}`);
const rel = (p: string) => path.relative(root, p) || ".";

/** A reason not to start that the operator can act on; nothing was started, so nothing is stopped. */
class Refusal extends Error {}

let lock: DemoLock | undefined;
let cluster: Cluster | undefined;
let clusterStarting: Promise<Cluster> | undefined;
let stopping = false;
let stopStarted = 0;
const supervisor = new Supervisor({
  onUnexpectedExit: (name, st) => {
    say(`✖ the ${name} exited unexpectedly (${st.signal ? `killed by ${st.signal}` : `exit code ${st.code}`}); stopping the demo`);
    void shutdown(1);
  },
});

async function main() {
  await requirePrereqs();
  const taken = acquireDemoLock(baseDir);
  if (!taken.ok) {
    const h = taken.holder;
    throw new Refusal(
      `Another demo is already running from ${rel(baseDir)} (pid ${h.pid}` +
        `${h.dashboardPort ? `, http://127.0.0.1:${h.dashboardPort}` : ""}, since ${h.startedAt}).\n` +
        `  Use that one, stop it (Ctrl-C in its terminal, or kill -TERM ${h.pid}), or start another with --dir and --port.`,
    );
  }
  lock = taken.lock;
  for (const sig of ["SIGINT", "SIGTERM", "SIGHUP"] as const) process.on(sig, () => void shutdown(0, sig));
  watchLaunchers((why) => void shutdown(0, why));
  // A stop during start-up ends the cluster under queries still in flight (postgres.js then rejects with
  // ECONNRESET from a socket): expected, not a crash. Any other stray error stops everything cleanly
  // instead of leaving the services behind.
  process.on("unhandledRejection", (e) => {
    if (stopping) return;
    console.error(`\n✖ ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`);
    void shutdown(1, "unexpected error");
  });
  // The same for errors thrown outside a promise: postgres.js writes to a socket that the stopped cluster
  // already closed ("Cannot read properties of null (reading 'write')"). Without this handler Node exits
  // at once and leaves the cluster and the lock file behind.
  process.on("uncaughtException", (e) => {
    if (stopping) return;
    console.error(`\n✖ ${e.stack ?? e.message}`);
    void shutdown(1, "unexpected error");
  });
  if (taken.stale) {
    say(`A previous demo (pid ${taken.stale.pid}) ended without stopping; cleaning up after it.`);
    await stopStaleGroups(taken.stale, say);
  }
  // Checked before anything starts: a taken port then stops nothing (another program's, or another demo's).
  const wantedPort = opts.port ? Number(opts.port) : undefined;
  if (opts.port && !(Number.isInteger(wantedPort) && wantedPort! > 0 && wantedPort! < 65536)) throw new Refusal(`--port ${opts.port} is not a port number`);
  if (wantedPort && !(await portFree(wantedPort))) {
    throw new Refusal(
      `Port ${wantedPort} is already in use by another program, so the dashboard cannot listen there. Nothing was started.\n` +
        `  Free it (ss -ltnp 'sport = :${wantedPort}' shows who holds it) or choose another with --port.`,
    );
  }
  // Anything of this directory's still running is a leftover (we hold its lock): the app, then the cluster.
  await appctl(deployRoot, "stop").catch((e) => say(`could not stop a leftover demo app: ${e.message}`));
  if (opts.fresh) {
    await stopLeftoverCluster();
    for (const e of fs.readdirSync(baseDir)) if (path.join(baseDir, e) !== lock.file) fs.rmSync(path.join(baseDir, e), { recursive: true, force: true });
  }
  const secrets = loadDemoSecrets(baseDir);

  clusterStarting = startCluster({ baseDir: path.join(baseDir, "pg"), log: say });
  cluster = await clusterStarting;
  const admin = postgres(cluster.url(), { onnotice: () => {}, max: 1 });
  const dbs = new Set((await admin<{ datname: string }[]>`SELECT datname FROM pg_database`).map((r) => r.datname));
  if (!dbs.has("lifeboat")) await admin`CREATE DATABASE lifeboat`;
  const roles = await admin`SELECT 1 FROM pg_roles WHERE rolname = 'shop_owner'`;
  if (roles.length === 0) {
    // The demo app's own role: not a superuser. CREATEDB and owning its database are what clones and
    // renames need; pg_signal_backend lets it end the app's sessions.
    await admin`CREATE ROLE shop_owner LOGIN CREATEDB`;
    // Utility statements take no bind parameters: pass the password through a session setting and quote
    // it server-side with format(%L), so no SQL is built from strings here.
    await admin.begin(async (tx) => {
      await tx`SELECT set_config('lifeboat.demo_pw', ${secrets.shopPassword}, true)`;
      await tx`DO $$ BEGIN EXECUTE format('ALTER ROLE shop_owner PASSWORD %L', current_setting('lifeboat.demo_pw')); END $$`;
    });
    await admin`GRANT pg_signal_backend TO shop_owner`;
  }
  let seeded = false;
  if (!dbs.has("shop")) {
    await admin`CREATE DATABASE shop OWNER shop_owner`;
    say("Seeding the demo database shop (about 200k rows)…");
    const shop = postgres(cluster.url("shop", "shop_owner", secrets.shopPassword), { onnotice: () => {}, max: 1 });
    await seedShop(shop);
    await shop.end();
    seeded = true;
  }
  await admin.end();

  const metaUrl = cluster.url("lifeboat");
  process.env.DATABASE_URL = metaUrl;
  process.env.AUTH_SECRET = secrets.authSecret;
  process.env.LIFEBOAT_SECRET_KEY = secrets.secretKey;
  writeCliEnv(baseDir, { DATABASE_URL: metaUrl, LIFEBOAT_SECRET_KEY: secrets.secretKey });
  await migrateMetadata(metaUrl);

  if (!fs.existsSync(path.join(deployRoot, "releases"))) {
    await createDemoReleases(deployRoot, ["20261101T090000Z", "20261110T090000Z", "20261120T090000Z"]);
  }
  fs.mkdirSync(path.join(deployRoot, "backups"), { recursive: true });
  // The same port as last time, so the health URL registered with the app stays right.
  const app = await chooseDemoAppPort(deployRoot);
  const healthUrl = demoHealthUrl(app.port);

  if (!(await getUserByEmail(ADMIN_EMAIL))) {
    await createUser({ email: ADMIN_EMAIL, name: "Demo admin", password: secrets.adminPassword, role: "admin" });
  }
  // The banner shows the first password only while it still signs in (an admin may have changed it).
  const adminUser = await getLoginCandidate(ADMIN_EMAIL);
  passwordChanged = !adminUser || !(await verifyPassword(secrets.adminPassword, adminUser.passwordHash));
  const registered = await getAppBySlug("shop");
  if (!registered) {
    const input = appFormSchema.parse({
      slug: "shop",
      host: cluster.info.host,
      port: String(cluster.info.port),
      user: "shop_owner",
      password: secrets.shopPassword,
      database: "shop",
      deployRoot,
      defaultMethod: "dump",
      retention: "5",
      startCommand: JSON.stringify(["node", path.join(deployRoot, "bin", "appctl.mjs"), "start"]),
      stopCommand: JSON.stringify(["node", path.join(deployRoot, "bin", "appctl.mjs"), "stop"]),
      healthUrl,
    });
    const facts = await probeServer({ host: input.host, port: input.port, user: input.user, password: input.password, database: input.database });
    await createApp(input, {
      serverVersion: facts.version,
      serverVersionNum: facts.versionNum,
      canCreateDb: facts.canCreateDb,
      pgDumpPath: facts.pgDumpPath,
      dbSizeBytes: facts.dbSizeBytes,
    });
  } else if (await syncRegisteredEndpoints("shop", { dbPort: cluster.info.port, healthUrl })) {
    // The app or the cluster had to move to a free port: what Lifeboat has registered follows.
    say(`The shop app's registered health URL is now ${healthUrl} and its database port ${cluster.info.port}.`);
  }
  if (app.moved) say(`The demo app's port ${app.moved.from} is taken by another program; it now listens on ${app.port}.`);
  writeDemoAppEnv(deployRoot, { port: app.port, host: cluster.info.host, pgPort: cluster.info.port, password: secrets.shopPassword });
  await closeDb();

  // The demo app itself, so a rollback visibly changes what is served.
  if (stopping) return;
  await appctl(deployRoot, "start").catch((e) => say(`demo app did not start: ${e.message}`));

  const port = wantedPort ?? (await pickPort(3000));
  const env = {
    ...process.env,
    DATABASE_URL: metaUrl,
    AUTH_SECRET: secrets.authSecret,
    LIFEBOAT_SECRET_KEY: secrets.secretKey,
    AUTH_TRUST_HOST: "true",
    PORT: String(port),
    NEXT_TELEMETRY_DISABLED: "1",
  };
  const nextBin = path.join(root, "node_modules", ".bin", "next");
  if (!opts.dev && !opts["no-build"] && needsBuild()) {
    say("Building the dashboard (first run only; about a minute)…");
    const build = startService({ name: "build", file: nextBin, args: ["build"], env, oneShot: true });
    const st = await build.exited;
    if (stopping) return;
    if (st.code !== 0) throw new Error(`next build failed (${st.signal ?? `exit ${st.code}`})`);
  }
  if (stopping) return;
  startService({
    name: "dashboard",
    file: nextBin,
    args: [opts.dev ? "dev" : "start", "-p", String(port), "-H", "127.0.0.1"],
    env,
    onStdoutLine: (line) => {
      if (/Ready|✓/.test(line)) banner(port, secrets, seeded);
    },
  });
  lock.update({ dashboardPort: port });
  // The worker runs the long operations (backups, restores, rollbacks) once scripts/worker.ts exists.
  const worker = path.join(root, "scripts", "worker.ts");
  if (fs.existsSync(worker)) {
    startService({
      name: "worker",
      // node with tsx as a loader, not the tsx CLI: the CLI relays a signal to its node child and sends
      // SIGKILL when the child has not acknowledged it within 30 ms — a busy worker would die mid-fencing.
      file: process.execPath,
      args: ["--import", "tsx", "--conditions=react-server", worker],
      env,
      onStdoutLine: (line) => console.log(`worker │ ${line}`),
      // A job in flight gets time to stop its children and record why.
      stopTimeoutMs: 30_000,
    });
  }
}

function startService(spec: ServiceSpec) {
  const service = supervisor.start({ cwd: root, ...spec });
  lock?.update({ groups: supervisor.groups() });
  return service;
}

/** Stops, in order, whatever has been started; safe to call at any point of main(). */
async function shutdown(exitCode: number, why?: string): Promise<void> {
  if (stopping) {
    // A signal to the whole group arrives twice (directly and through npm): only a later one is news.
    if (why && Date.now() - stopStarted > 1000) say(`still stopping (${why} ignored; each service is killed after its timeout)`);
    return;
  }
  stopping = true;
  stopStarted = Date.now();
  say(`Stopping${why ? ` (${why})` : ""}…`);
  const step = async (what: string, fn: () => Promise<unknown>) => {
    try {
      const r = await fn();
      const how = (r as StopResult | undefined)?.how;
      if (how === "kill") say(`the ${what} did not stop after SIGTERM; killed it`);
    } catch (e) {
      say(`stopping the ${what}: ${e instanceof Error ? e.message : String(e)}`);
    }
  };
  await step("build", () => supervisor.stop("build"));
  await step("dashboard", () => supervisor.stop("dashboard"));
  await step("demo app", () => appctl(deployRoot, "stop"));
  await step("worker", () => supervisor.stop("worker"));
  // A rollback the worker was finishing may have started the app again.
  await step("demo app", () => appctl(deployRoot, "stop"));
  await step("PostgreSQL cluster", async () => {
    const c = cluster ?? (await clusterStarting?.catch(() => undefined));
    await c?.stop();
  });
  lock?.release();
  say(`Stopped. Data kept in ${rel(baseDir)} (npm run demo -- --fresh to start over).`);
  process.exit(exitCode);
}

async function stopLeftoverCluster() {
  const pgData = path.join(baseDir, "pg", "data");
  if (!fs.existsSync(path.join(pgData, "postmaster.pid"))) return;
  const c = await startCluster({ baseDir: path.join(baseDir, "pg") }).catch(() => undefined);
  await c?.stop().catch(() => {});
}

let bannerShown = false;
let passwordChanged = false;
function banner(port: number, secrets: Secrets, seeded: boolean) {
  if (bannerShown) return;
  bannerShown = true;
  console.log(
    [
      "",
      "  ┌─ Lifeboat demo is running ─────────────────────────────",
      `  │  URL:       http://127.0.0.1:${port}`,
      `  │  Email:     ${ADMIN_EMAIL}`,
      `  │  Password:  ${passwordChanged ? "(changed since the first run: use yours, or npm run lifeboat -- users reset-password)" : secrets.adminPassword}`,
      `  │  Demo app:  shop${seeded ? " (freshly seeded)" : ""} — ${rel(deployRoot)}`,
      `  │  CLI:       set -a; . ${rel(path.join(baseDir, CLI_ENV))}; set +a; npm run lifeboat -- apps`,
      `  └─ Ctrl-C stops the dashboard, the demo app${supervisor.groups().some((g) => g.name === "worker") ? ", the worker" : ""} and PostgreSQL`,
      "",
    ].join("\n"),
  );
}

async function pickPort(preferred: number): Promise<number> {
  return (await portFree(preferred)) ? preferred : freePort();
}

main().catch(async (e) => {
  if (stopping) return; // a stop is under way; its errors are the stop's
  console.error(`\n✖ ${e instanceof Error ? e.message : String(e)}`);
  if (e instanceof Refusal) {
    lock?.release();
    process.exit(1);
  }
  await shutdown(1, "start failed");
});
