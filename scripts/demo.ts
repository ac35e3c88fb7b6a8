// npm run demo: the embedded default. A throwaway PostgreSQL cluster under .lifeboat/, the metadata
// database, a demo app "shop" (seeded database, three releases served by a tiny HTTP server, backups dir),
// an admin user — then the dashboard, printing the URL and the login. Ctrl-C stops everything cleanly;
// a second run reuses the data.
//
//   npm run demo                      build (when needed) and start on http://127.0.0.1:3000
//   npm run demo -- --dev             next dev instead of a production build
//   npm run demo -- --port 3100 --dir .lifeboat/e2e --fresh --no-build     (what the e2e tests use)
import { spawn, type ChildProcess } from "node:child_process";
import crypto from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import postgres from "postgres";
import { createApp, getAppBySlug } from "@/lib/db/queries/apps";
import { closeDb } from "@/lib/db/client";
import { migrateMetadata } from "@/lib/db/migrate";
import { createUser, getUserByEmail } from "@/lib/db/queries/users";
import { probeServer } from "@/lib/ops/server-info";
import { appFormSchema } from "@/lib/validation/apps";
import { startCluster, freePort } from "./lib/pg-cluster";
import { createDemoReleases } from "./lib/demo-releases";
import { requirePrereqs } from "./lib/prereqs";
import { seedShop } from "./lib/seed-shop";
import { run } from "@/lib/ops/exec";

const args = process.argv.slice(2);
const flag = (name: string) => args.includes(`--${name}`);
const option = (name: string, fallback: string) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 && args[i + 1] ? args[i + 1]! : fallback;
};

const root = process.cwd();
const baseDir = path.resolve(option("dir", ".lifeboat/demo"));
const ADMIN_EMAIL = "admin@lifeboat.local";
const say = (s: string) => console.log(`lifeboat demo │ ${s}`);

interface Secrets {
  authSecret: string;
  secretKey: string;
  adminPassword: string;
  shopPassword: string;
}

async function main() {
  await requirePrereqs();
  if (flag("fresh")) {
    await stopLeftovers();
    fs.rmSync(baseDir, { recursive: true, force: true });
  }
  fs.mkdirSync(baseDir, { recursive: true });
  const secrets = loadSecrets();

  const cluster = await startCluster({ baseDir: path.join(baseDir, "pg"), log: say });
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
  await migrateMetadata(metaUrl);

  const deployRoot = path.join(baseDir, "apps", "shop");
  const appPort = await freePort();
  if (!fs.existsSync(path.join(deployRoot, "releases"))) {
    await createDemoReleases(deployRoot, ["20261101T090000Z", "20261110T090000Z", "20261120T090000Z"]);
  }
  fs.mkdirSync(path.join(deployRoot, "backups"), { recursive: true });

  if (!(await getUserByEmail(ADMIN_EMAIL))) {
    await createUser({ email: ADMIN_EMAIL, name: "Demo admin", password: secrets.adminPassword, role: "admin" });
  }
  if (!(await getAppBySlug("shop"))) {
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
      healthUrl: `http://127.0.0.1:${appPort}/health`,
    });
    const facts = await probeServer({ host: input.host, port: input.port, user: input.user, password: input.password, database: input.database });
    await createApp(input, {
      serverVersion: facts.version,
      serverVersionNum: facts.versionNum,
      canCreateDb: facts.canCreateDb,
      pgDumpPath: facts.pgDumpPath,
      dbSizeBytes: facts.dbSizeBytes,
    });
  }
  await setDemoAppEnv(deployRoot, { port: appPort, host: cluster.info.host, pgPort: cluster.info.port, password: secrets.shopPassword });
  await closeDb();

  // The demo app itself, so a rollback visibly changes what is served.
  const appctl = path.join(deployRoot, "bin", "appctl.mjs");
  await run("node", [appctl, "start"], { env: demoAppEnv(deployRoot) }).catch((e) => say(`demo app did not start: ${e.message}`));

  const port = Number(option("port", "")) || (await pickPort(3000));
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
  if (!flag("dev") && !flag("no-build") && needsBuild()) {
    say("Building the dashboard (first run only; about a minute)…");
    await waitExit(spawn(nextBin, ["build"], { stdio: "inherit", env }), "next build");
  }
  const web = spawn(nextBin, flag("dev") ? ["dev", "-p", String(port), "-H", "127.0.0.1"] : ["start", "-p", String(port), "-H", "127.0.0.1"], {
    stdio: ["ignore", "pipe", "inherit"],
    env,
  });
  web.stdout!.on("data", (chunk: Buffer) => {
    const text = chunk.toString();
    if (/Ready|✓/.test(text)) banner(port, secrets, seeded);
  });

  let stopping = false;
  const shutdown = async () => {
    if (stopping) return;
    stopping = true;
    say("Stopping…");
    web.kill("SIGTERM");
    await run("node", [appctl, "stop"], { env: demoAppEnv(deployRoot) }).catch(() => {});
    await cluster.stop().catch(() => {});
    say("Stopped. Data kept in " + path.relative(root, baseDir) + " (npm run demo -- --fresh to start over).");
    process.exit(0);
  };
  process.on("SIGINT", shutdown);
  process.on("SIGTERM", shutdown);
  web.on("exit", (code) => {
    if (!stopping) {
      say(`the dashboard exited (code ${code})`);
      void shutdown();
    }
  });
}

let bannerShown = false;
function banner(port: number, secrets: Secrets, seeded: boolean) {
  if (bannerShown) return;
  bannerShown = true;
  console.log(
    [
      "",
      "  ┌─ Lifeboat demo is running ─────────────────────────────",
      `  │  URL:       http://127.0.0.1:${port}`,
      `  │  Email:     ${ADMIN_EMAIL}`,
      `  │  Password:  ${secrets.adminPassword}`,
      `  │  Demo app:  shop${seeded ? " (freshly seeded)" : ""} — ${path.relative(root, baseDir)}/apps/shop`,
      "  └─ Ctrl-C stops the dashboard, the demo app and PostgreSQL",
      "",
    ].join("\n"),
  );
}

function loadSecrets(): Secrets {
  const file = path.join(baseDir, "secrets.json");
  if (fs.existsSync(file)) return JSON.parse(fs.readFileSync(file, "utf8"));
  const rnd = (n: number) => crypto.randomBytes(n).toString("base64url");
  const s: Secrets = {
    authSecret: rnd(32),
    secretKey: crypto.randomBytes(32).toString("base64"),
    adminPassword: `${rnd(6)}-${rnd(6)}-${rnd(6)}`,
    shopPassword: rnd(18),
  };
  fs.writeFileSync(file, JSON.stringify(s, null, 2), { mode: 0o600 });
  return s;
}

function demoAppEnvFile(deployRoot: string) {
  return path.join(deployRoot, "bin", "app.env.json");
}

/** The demo app's runtime settings (port, database); appctl.mjs reads them. Demo-only: holds a password. */
async function setDemoAppEnv(deployRoot: string, v: { port: number; host: string; pgPort: number; password: string }) {
  const file = demoAppEnvFile(deployRoot);
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(
    file,
    JSON.stringify({ PORT: String(v.port), PGHOST: v.host, PGPORT: String(v.pgPort), PGUSER: "shop_owner", PGPASSWORD: v.password, PGDATABASE: "shop" }),
    { mode: 0o600 },
  );
}

function demoAppEnv(deployRoot: string): Record<string, string> {
  return JSON.parse(fs.readFileSync(demoAppEnvFile(deployRoot), "utf8"));
}

function needsBuild(): boolean {
  const id = path.join(root, ".next", "BUILD_ID");
  if (!fs.existsSync(id)) return true;
  const built = fs.statSync(id).mtimeMs;
  const newest = (dir: string): number => {
    let m = 0;
    for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
      const p = path.join(dir, e.name);
      m = Math.max(m, e.isDirectory() ? newest(p) : fs.statSync(p).mtimeMs);
    }
    return m;
  };
  return ["app", "components", "lib"].some((d) => fs.existsSync(d) && newest(path.join(root, d)) > built);
}

async function pickPort(preferred: number): Promise<number> {
  const net = await import("node:net");
  const free = await new Promise<boolean>((resolve) => {
    const srv = net.createServer();
    srv.once("error", () => resolve(false));
    srv.listen(preferred, "127.0.0.1", () => srv.close(() => resolve(true)));
  });
  return free ? preferred : freePort();
}

async function stopLeftovers() {
  const ctl = path.join(baseDir, "apps", "shop", "bin", "appctl.mjs");
  if (fs.existsSync(ctl)) await run("node", [ctl, "stop"], { env: demoAppEnv(path.join(baseDir, "apps", "shop")) }).catch(() => {});
  const pgData = path.join(baseDir, "pg", "data");
  if (fs.existsSync(path.join(pgData, "postmaster.pid"))) {
    const c = await startCluster({ baseDir: path.join(baseDir, "pg") }).catch(() => undefined);
    await c?.stop().catch(() => {});
  }
}

function waitExit(child: ChildProcess, what: string): Promise<void> {
  return new Promise((resolve, reject) =>
    child.on("exit", (code) => (code === 0 ? resolve() : reject(new Error(`${what} failed (exit ${code})`)))),
  );
}

main().catch((e) => {
  console.error(`\n✖ ${e instanceof Error ? e.message : String(e)}`);
  process.exit(1);
});
