import { spawn } from "node:child_process";
import crypto from "node:crypto";
import fs from "node:fs/promises";
import path from "node:path";
import postgres from "postgres";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { pg, tmpDir } from "@/test/helpers";
import { pgDumpsOf, spawnWorker, waitFor, type WorkerProc } from "@/test/fixtures/workers";
import { seedShop } from "@/scripts/lib/seed-shop";
import { startCluster, type Cluster } from "@/scripts/lib/pg-cluster";

// PostgreSQL itself restarts (pg_ctl stop -m immediate, then start) while a worker runs a job. A cluster
// of its own: the shared test cluster must not restart under the other test files.
process.env.LIFEBOAT_WORKER_INPROCESS = "0";
let cluster: Cluster;
let baseDir: string;
let worker: WorkerProc;
let mods: {
  apps: typeof import("@/lib/db/queries/apps");
  jobs: typeof import("@/lib/jobs");
  jobQueries: typeof import("@/lib/db/queries/jobs");
  client: typeof import("@/lib/db/client");
  validation: typeof import("@/lib/validation/apps");
};

const sqlFor = (db = "postgres") => postgres(cluster.url(db), { onnotice: () => {}, max: 2 });

async function newApp(slug: string) {
  const db = `shop_${slug.replace(/-/g, "_")}`;
  const admin = sqlFor();
  await admin.unsafe(`CREATE DATABASE ${db}`);
  await admin.end();
  const sql = sqlFor(db);
  await seedShop(sql, { customers: 100, orders: 200 });
  await sql.end();
  const backupsDir = await tmpDir("backups");
  const input = mods.validation.appFormSchema.parse({ slug, url: cluster.url(db), backupsDir, retention: "5" });
  const id = await mods.apps.createApp(input, { serverVersion: "15", serverVersionNum: cluster.info.major * 10000, canCreateDb: true, pgDumpPath: "", dbSizeBytes: 0 });
  return { id, db, backupsDir, app: async () => (await mods.apps.getAppById(id))! };
}

/** pg_dump waits for a table lock held by a psql session (a process of its own, like the app's sessions). */
async function holdTableWithPsql(db: string, table: string) {
  const child = spawn(path.join(cluster.info.binDir, "psql"), ["-h", cluster.info.host, "-p", String(cluster.info.port), "-U", cluster.info.user, "-d", db, "-c",
    `BEGIN; LOCK TABLE ${table} IN ACCESS EXCLUSIVE MODE; SELECT pg_sleep(600);`], { env: { PATH: process.env.PATH, PGPASSWORD: cluster.info.password } as unknown as NodeJS.ProcessEnv, stdio: "ignore" });
  await waitFor(async () => {
    const sql = sqlFor();
    try {
      const rows = await sql`SELECT 1 FROM pg_stat_activity WHERE datname = ${db} AND query LIKE '%pg_sleep(600)%' AND state = 'active' AND pid <> pg_backend_pid()`;
      return rows.length > 0;
    } finally {
      await sql.end();
    }
  }, 30_000, () => "the table lock was never taken");
  return { release: () => void child.kill("SIGKILL") };
}

async function restartPostgres() {
  await cluster.stopImmediate();
  cluster = await startCluster({ baseDir, fsyncOff: true });
}

async function acceptsConnections(db: string): Promise<boolean> {
  // A login to a database that a CREATE DATABASE … TEMPLATE waits on queues behind that lock request (the
  // session takes a lock on its database before it is told "not accepting connections"): no answer is a no.
  const sql = postgres(cluster.url(db), { onnotice: () => {}, max: 1, connect_timeout: 3 });
  try {
    await sql`SELECT 1`;
    return true;
  } catch {
    return false;
  } finally {
    await sql.end({ timeout: 1 }).catch(() => {});
  }
}

const job = async (id: number) => (await mods.jobQueries.getJob(id))!;

beforeAll(async () => {
  baseDir = path.join(pg().tmpRoot, `restart-${process.pid}`);
  await fs.mkdir(baseDir, { recursive: true });
  cluster = await startCluster({ baseDir, fsyncOff: true });
  const admin = sqlFor();
  await admin.unsafe(`CREATE DATABASE lifeboat_meta`);
  await admin.end();
  process.env.DATABASE_URL = cluster.url("lifeboat_meta");
  process.env.AUTH_SECRET ??= crypto.randomBytes(32).toString("base64");
  process.env.LIFEBOAT_SECRET_KEY ??= crypto.randomBytes(32).toString("base64");
  const { migrateMetadata } = await import("@/lib/db/migrate");
  await migrateMetadata();
  mods = {
    apps: await import("@/lib/db/queries/apps"),
    jobs: await import("@/lib/jobs"),
    jobQueries: await import("@/lib/db/queries/jobs"),
    client: await import("@/lib/db/client"),
    validation: await import("@/lib/validation/apps"),
  };
  worker = await spawnWorker("restart", { DATABASE_URL: process.env.DATABASE_URL });
});

afterAll(async () => {
  await worker?.stop();
  await mods?.client.closeDb();
  await cluster?.stop().catch(() => {});
});

describe("PostgreSQL restarts under a running job", () => {
  it("mid-dump: the job ends with a clear reason within the watchdog interval and its pg_dump is gone", async () => {
    const a = await newApp("shop-restart-dump");
    const hold = await holdTableWithPsql(a.db, "orders");
    const { jobId } = await mods.jobs.startBackup({ app: await a.app(), method: "dump", actor: "t" });
    await waitFor(async () => (await pgDumpsOf(a.db)).length > 0, 30_000, () => "pg_dump never started");
    await restartPostgres();
    hold.release();
    await waitFor(async () => (await job(jobId).catch(() => ({ status: "?" }))).status === "interrupted", 30_000, () => `job never ended:\n${worker.out()}`);
    const j = await job(jobId);
    expect(j.error).toMatch(/lock session ended|could not renew its lease/);
    expect(await pgDumpsOf(a.db)).toEqual([]);
    expect(await acceptsConnections(a.db)).toBe(true);
    expect(worker.out()).not.toContain("UNHANDLED REJECTION");
  });

  it("mid-clone with end-sessions: the live database accepts connections again and the job has ended", async () => {
    const a = await newApp("shop-restart-clone");
    // COMMENT ON DATABASE holds a ShareUpdateExclusive lock on the database object until commit:
    // CREATE DATABASE … TEMPLATE (ShareLock on its source) waits for it for as long as it is held.
    const pin = spawn(path.join(cluster.info.binDir, "psql"), ["-h", cluster.info.host, "-p", String(cluster.info.port), "-U", cluster.info.user, "-d", "postgres", "-c",
      `BEGIN; COMMENT ON DATABASE ${a.db} IS 'held by the test'; SELECT pg_sleep(600);`], { env: { PATH: process.env.PATH, PGPASSWORD: cluster.info.password } as unknown as NodeJS.ProcessEnv, stdio: "ignore" });
    try {
      const { jobId } = await mods.jobs.startBackup({ app: await a.app(), method: "clone", endSessions: true, actor: "t" });
      await waitFor(async () => (await mods.jobQueries.listJournal(jobId)).some((s) => s.step === "clone:creating"), 30_000, async () => `the clone never started: ${JSON.stringify(await job(jobId))}`);
      await new Promise((r) => setTimeout(r, 500)); // CREATE DATABASE is waiting for the lock
      expect(await acceptsConnections(a.db)).toBe(false);
      expect((await job(jobId)).status).toBe("running");
      await restartPostgres();
      // Generous for a loaded CI machine: the job ends once the worker's metadata connections are back.
      await waitFor(async () => (await job(jobId).catch(() => ({ status: "?" }))).status === "interrupted", 60_000, () => `job never ended:\n${worker.out()}`);
      const j = await job(jobId);
      expect(j.error).toMatch(/lock session ended|could not renew its lease/);
      expect(await acceptsConnections(a.db), `${j.error}\n${j.log}\n${worker.out()}`).toBe(true);
      expect(worker.out()).not.toContain("UNHANDLED REJECTION");
    } finally {
      pin.kill("SIGKILL");
    }
  });
});
