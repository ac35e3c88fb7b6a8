import { spawn, type ChildProcess } from "node:child_process";
import crypto from "node:crypto";
import fs from "node:fs/promises";
import path from "node:path";
import type postgres from "postgres";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { adminSql, createScratchDb, pg, tmpDir, urlFor, useMetaDb } from "@/test/helpers";
import { seedShop } from "@/scripts/lib/seed-shop";
import { spawnLifeboatProcess } from "@/test/fixtures/workers";
import { importJobModules, type JobModules } from "@/test/fixtures/job-modules";

// Work that outlives its client. A worker process runs a backup and is SIGKILLed while the server-side
// part (CREATE DATABASE) or a child process (pg_dump) is still working; PostgreSQL or the orphan finishes the
// job; recovery must then keep the finished backup as ok. To land the kill mid-work without timing luck,
// the work is held on a lock this test owns (COMMENT ON DATABASE blocks CREATE DATABASE … TEMPLATE of it;
// LOCK TABLE blocks pg_dump) and let go once the worker is dead.
let db: string;
let backupsDir: string;
let appId: number;
let admin: postgres.Sql;
let mods: JobModules;
const children: ChildProcess[] = [];
// Short leases, as in the crash suite: recovery may take a killed worker's job once its lease has expired.
const LEASE = { LIFEBOAT_LEASE_MS: "4000", LIFEBOAT_LEASE_RENEW_MS: "400" };
Object.assign(process.env, LEASE, { LIFEBOAT_WATCHDOG_MS: "3600000" });

async function startWorker(request: Record<string, unknown>): Promise<{ child: ChildProcess; jobId: Promise<number> }> {
  // The job must be taken by the child (which is then killed), not by this process's in-process worker.
  await (await import("@/lib/jobs/worker")).stopInProcessWorker();
  const child = spawnLifeboatProcess("test/fixtures/run-job.ts", [JSON.stringify({ appId, ...request })], LEASE);
  children.push(child);
  let out = "";
  const jobId = new Promise<number>((resolve, reject) => {
    child.stdout!.on("data", (c) => {
      out += c;
      const line = out.split("\n").find((l) => l.startsWith('{"jobId"'));
      if (line) resolve((JSON.parse(line) as { jobId: number }).jobId);
    });
    child.stderr!.on("data", (c) => (out += c));
    child.on("exit", () => reject(new Error(`worker exited before starting a job:\n${out}`)));
  });
  return { child, jobId };
}

async function killed(child: ChildProcess): Promise<void> {
  const exited = new Promise((r) => child.once("exit", r));
  child.kill("SIGKILL");
  await exited;
}

/** Polls the server until `query` returns a row (or fails the test after a while). */
async function until<T>(what: string, fn: () => Promise<T | undefined>): Promise<T> {
  for (let i = 0; i < 600; i++) {
    const v = await fn();
    if (v !== undefined) return v;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`never saw: ${what}`);
}

/** The job's journaled dump:start (its partial file and pg_dump's application name), once written. */
async function dumpStart(jobId: number): Promise<{ partial: string; appName: string } | undefined> {
  return (await mods.jobQueries.listJournal(jobId)).find((j) => j.step === "dump:start")?.detail as { partial: string; appName: string } | undefined;
}

/**
 * Waits until the job's own pg_dump (by its journaled application name) waits on the test's table lock. Not
 * any Lifeboat session: the job's fingerprint reads the same table, and on a loaded machine it may be the one
 * that blocks first, before pg_dump has started.
 */
async function dumpWaitingOnLock(jobId: number): Promise<void> {
  await until("pg_dump waiting on the table lock", async () => {
    const start = await dumpStart(jobId);
    if (!start) return undefined;
    const [row] = await admin<{ pid: number }[]>`
      SELECT pid FROM pg_stat_activity WHERE datname = ${db} AND application_name = ${start.appName} AND wait_event_type = 'Lock'`;
    return row?.pid;
  });
}

async function recover(jobId: number) {
  for (let i = 0; i < 300; i++) {
    const r = (await mods.jobs.recoverInterruptedJobs("recovery test")).find((x) => x.jobId === jobId);
    if (r) return r;
    await new Promise((res) => setTimeout(res, 100));
  }
  throw new Error(`recovery never picked up job #${jobId}`);
}

beforeAll(async () => {
  await useMetaDb();
  mods = await importJobModules();
  const validation = await import("@/lib/validation/apps");
  db = await createScratchDb("outlive");
  const sql = adminSql(db);
  await seedShop(sql, { customers: 2000, orders: 4000 });
  await sql.end();
  backupsDir = await tmpDir("backups");
  const input = validation.appFormSchema.parse({ slug: "outlive", url: urlFor(db), backupsDir, retention: "5" });
  appId = await mods.apps.createApp(input, { serverVersion: "15", serverVersionNum: pg().major * 10000, canCreateDb: true, pgDumpPath: "", dbSizeBytes: 0 });
  admin = adminSql();
});

afterAll(async () => {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill("SIGKILL");
  await admin?.end();
  await mods?.client.closeDb();
});

describe("recovery of work that outlived its job process", () => {
  it("a clone the server finished after the job process was killed is kept as an ok backup", async () => {
    // Hold the template database's lock: the worker's CREATE DATABASE waits on it, alive, mid-clone.
    const holder = await admin.reserve();
    await holder`BEGIN`;
    await holder.unsafe(`COMMENT ON DATABASE "${db}" IS 'held by the test'`);
    const { child, jobId } = await startWorker({ kind: "backup", method: "clone", endSessions: false });
    const id = await jobId;
    const backend = await until("the worker's CREATE DATABASE waiting on the lock", async () => {
      const [row] = await admin<{ pid: number }[]>`
        SELECT pid FROM pg_stat_activity WHERE query ~* '^create database' AND position(${`TEMPLATE "${db}"`} in query) > 0 AND wait_event_type = 'Lock'`;
      return row?.pid;
    });
    await killed(child);
    // The client is gone; its backend is not: still running the CREATE DATABASE when recovery starts.
    expect((await admin`SELECT 1 FROM pg_stat_activity WHERE pid = ${backend} AND state = 'active'`).length).toBe(1);
    const report = recover(id);
    // Let the server finish the copy while recovery is deciding.
    await new Promise((r) => setTimeout(r, 3000));
    await holder`ROLLBACK`;
    holder.release();
    const r = await report;
    expect(r.error, r.decisions.join("; ")).toBeUndefined();
    expect(r.decisions.join("; ")).toMatch(/waited .* until the server had finished the CREATE DATABASE/);
    const row = await mods.backups.getBackupByJob(id);
    expect(row?.status, r.decisions.join("; ")).toBe("ok");
    expect((await admin`SELECT 1 FROM pg_database WHERE datname = ${row!.name}`).length).toBe(1);
    expect((await admin`SELECT datallowconn FROM pg_database WHERE datname = ${db}`)[0]!.datallowconn).toBe(true);
    expect((await mods.jobQueries.getJob(id))?.status).toBe("interrupted");
  });

  it("a dump an orphaned pg_dump finished after its job process died is read back and kept", async () => {
    const holder = adminSql(db);
    const lock = await holder.reserve();
    await lock`BEGIN`;
    await lock`LOCK TABLE customers IN ACCESS EXCLUSIVE MODE`;
    const { child, jobId } = await startWorker({ kind: "backup", method: "dump" });
    const id = await jobId;
    await dumpWaitingOnLock(id);
    await killed(child);
    // The worker's own pg_dump dies with it (process group, parent-death signal). An orphan that survives
    // anyway (another platform, a process started by hand) is played here by a pg_dump of our own, under
    // the job's journaled application name and partial file, held on the same lock and then let go.
    const start = (await dumpStart(id))!;
    const c = pg();
    const orphan = spawn(path.join(c.binDir, "pg_dump"), ["-Fc", "-Z1", "-f", path.join(backupsDir, start.partial), db], {
      env: { PATH: process.env.PATH, PGHOST: c.host, PGPORT: String(c.port), PGUSER: c.user, PGPASSWORD: c.password, PGAPPNAME: start.appName } as unknown as NodeJS.ProcessEnv,
      stdio: "ignore",
    });
    const orphanDone = new Promise((r) => orphan.once("exit", r));
    await until("the orphan waiting on the table lock", async () => {
      const [row] = await admin<{ pid: number }[]>`SELECT pid FROM pg_stat_activity WHERE application_name = ${start.appName} AND wait_event_type = 'Lock'`;
      return row?.pid;
    });
    await lock`ROLLBACK`;
    lock.release();
    await holder.end();
    await orphanDone;
    const row = await mods.backups.getBackupByJob(id);
    expect(await fs.readdir(backupsDir)).toContain(`${row!.name}.partial`);
    const r = await recover(id);
    expect(r.error, r.decisions.join("; ")).toBeUndefined();
    const after = await mods.backups.getBackupByJob(id);
    expect(after?.status, r.decisions.join("; ")).toBe("ok");
    const file = path.join(backupsDir, after!.name);
    const bytes = await fs.readFile(file);
    expect(after!.sha256).toBe(crypto.createHash("sha256").update(bytes).digest("hex"));
    expect(after!.sizeBytes).toBe(bytes.length);
    expect((await fs.readdir(backupsDir)).filter((f) => f.endsWith(".partial"))).toEqual([]);
    expect(r.decisions.join("; ")).toMatch(/written completely .* read it back in full, kept it/);
  });

  it("a dump whose job process died with nothing left is recorded as interrupted, and backup.failed is emitted", async () => {
    const holder = adminSql(db);
    const lock = await holder.reserve();
    await lock`BEGIN`;
    await lock`LOCK TABLE customers IN ACCESS EXCLUSIVE MODE`;
    const { child, jobId } = await startWorker({ kind: "backup", method: "dump" });
    const id = await jobId;
    await dumpWaitingOnLock(id);
    await killed(child);
    await lock`ROLLBACK`;
    lock.release();
    await holder.end();
    const r = await recover(id);
    expect(r.error, r.decisions.join("; ")).toBeUndefined();
    expect((await mods.backups.getBackupByJob(id))?.status).toBe("interrupted");
    const events = await mods.client.getDb().$client`SELECT kind, summary FROM app_events WHERE job_id = ${id}`;
    expect(events).toEqual([{ kind: "backup.failed", summary: expect.stringMatching(/was interrupted/) }]);
  });
});
