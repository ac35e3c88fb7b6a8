import fs from "node:fs/promises";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { adminSql, createScratchDb, pg, tmpDir, urlFor, useMetaDb } from "@/test/helpers";
import { findProcesses, holdTable, pgDumpsOf, spawnWorker, waitFor, type WorkerProc } from "@/test/fixtures/workers";
import { seedShop } from "@/scripts/lib/seed-shop";

// The job engine with real worker processes (scripts/worker.ts) on the test cluster: a job held in the
// middle of its dump (a table lock makes pg_dump wait) while the world around it breaks.
process.env.LIFEBOAT_WORKER_INPROCESS = "0";
let metaDb: string;
let mods: {
  apps: typeof import("@/lib/db/queries/apps");
  backups: typeof import("@/lib/db/queries/backups");
  jobs: typeof import("@/lib/jobs");
  jobQueries: typeof import("@/lib/db/queries/jobs");
  client: typeof import("@/lib/db/client");
  validation: typeof import("@/lib/validation/apps");
  status: typeof import("@/lib/jobs/job-status");
};
const workers: WorkerProc[] = [];

async function newApp(slug: string, orders = 200) {
  const db = await createScratchDb("shop");
  const sql = adminSql(db);
  await seedShop(sql, { customers: Math.max(100, Math.round(orders / 3)), orders });
  await sql.end();
  const backupsDir = await tmpDir("backups");
  const p = pg();
  const input = mods.validation.appFormSchema.parse({ slug, url: urlFor(db), backupsDir, retention: "5" });
  const id = await mods.apps.createApp(input, { serverVersion: "15", serverVersionNum: p.major * 10000, canCreateDb: true, pgDumpPath: "", dbSizeBytes: 0 });
  return { id, db, backupsDir, app: async () => (await mods.apps.getAppById(id))! };
}

async function worker(name: string, env: Record<string, string> = {}) {
  const w = await spawnWorker(name, env);
  workers.push(w);
  return w;
}

async function job(id: number) {
  return (await mods.jobQueries.getJob(id))!;
}

const pgDumps = (db: string) => pgDumpsOf(db);

// The session that holds the app's lock: in this file's metadata database (app ids repeat across the test files
// running beside this one — without it this test once ended another file's job) and granted the lock (the
// watchdog's look for leftovers briefly opens a session of the same name that only tries it).
const HOLDER = `AND pid IN (SELECT pid FROM pg_locks WHERE locktype = 'advisory' AND granted)`;

beforeAll(async () => {
  const url = await useMetaDb();
  metaDb = new URL(url).pathname.slice(1);
  mods = {
    apps: await import("@/lib/db/queries/apps"),
    backups: await import("@/lib/db/queries/backups"),
    jobs: await import("@/lib/jobs"),
    jobQueries: await import("@/lib/db/queries/jobs"),
    client: await import("@/lib/db/client"),
    validation: await import("@/lib/validation/apps"),
    status: await import("@/lib/jobs/job-status"),
  };
});

afterEach(async () => {
  await Promise.all(workers.splice(0).map((w) => w.stop()));
});

afterAll(async () => {
  await mods?.client.closeDb();
});

describe("job engine", () => {
  it("says when no worker is running; the queued job waits and runs once one starts", async () => {
    const a = await newApp("shop-queued");
    const started = await mods.jobs.startBackup({ app: await a.app(), method: "dump", actor: "t" });
    expect(started.warning).toContain("npm run worker");
    expect((await job(started.jobId)).status).toBe("queued");
    await worker("late");
    const outcome = await started.done;
    expect(outcome.status, JSON.stringify(outcome.error)).toBe("ok");
  });

  it("a worker killed with SIGKILL mid-dump: its pg_dump dies, the job shows lost contact, then a watchdog interrupts it", async () => {
    const a = await newApp("shop-kill9");
    await worker("victim");
    const hold = await holdTable(urlFor(a.db), "orders");
    try {
      const { jobId } = await mods.jobs.startBackup({ app: await a.app(), method: "dump", actor: "t" });
      await waitFor(async () => (await pgDumps(a.db)).length > 0, 30_000, () => "pg_dump never started");
      workers[0]!.child.kill("SIGKILL");
      await workers[0]!.exited;
      await waitFor(async () => (await pgDumps(a.db)).length === 0, 5_000, () => "pg_dump outlived its worker");
      await waitFor(async () => mods.status.displayStatus(await job(jobId)) === "lost contact", 10_000, () => "never lost contact");
      expect((await job(jobId)).status).toBe("running");
      await worker("rescuer");
      await waitFor(async () => (await job(jobId)).status === "interrupted", 15_000, () => "the watchdog never reconciled the job");
      const j = await job(jobId);
      expect(j.error).toContain("stopped before it finished");
      expect((await fs.readdir(a.backupsDir)).filter((f) => f.endsWith(".partial"))).toEqual([]);
      expect((await mods.backups.getBackupByJob(jobId))?.status).toBe("interrupted");
    } finally {
      await hold.release();
    }
  });

  it("the job's lock session is ended mid-dump: the job fences itself, recovery leaves it alone until then", async () => {
    const a = await newApp("shop-fence");
    const w = await worker("fenced");
    const hold = await holdTable(urlFor(a.db), "orders");
    try {
      const { jobId } = await mods.jobs.startBackup({ app: await a.app(), method: "dump", actor: "t" });
      await waitFor(async () => (await pgDumps(a.db)).length > 0, 30_000, () => "pg_dump never started");
      const dumpPids = await pgDumps(a.db);
      const admin = adminSql();
      const ended = await admin<{ pid: number }[]>`
        SELECT pg_terminate_backend(pid, 5000), pid FROM pg_stat_activity
        WHERE datname = ${metaDb} AND application_name = ${`lifeboat-lock-app-${a.id}`} ${admin.unsafe(HOLDER)}`;
      await admin.end();
      expect(ended).toHaveLength(1);
      const stepsAtCut = (await mods.jobQueries.listJournal(jobId)).length;
      // The lock is free now, but the job is alive: recovery must not touch it (it once dropped a running
      // restore's staging database this way).
      const reports = await mods.jobs.recoverInterruptedJobs("impatient operator");
      if (reports.some((r) => r.jobId === jobId)) {
        // Taken over only because the job had already stopped itself: its fence was recorded first (the
        // fence kills pg_dump's group and gives the lease up only once the body has settled).
        expect((await job(jobId)).log).toContain("stopped: its app lock session ended");
      }
      await waitFor(async () => (await pgDumps(a.db)).length === 0, 5_000, () => "pg_dump survived the fence");
      for (const pid of dumpPids) expect(() => process.kill(pid, 0)).toThrow();
      await waitFor(async () => (await job(jobId)).status === "interrupted", 15_000, () => `job never reconciled:\n${w.out()}`);
      const j = await job(jobId);
      expect(j.error).toContain("lock session ended");
      expect(j.log).toContain("stopped: its app lock session ended");
      const journal = await mods.jobQueries.listJournal(jobId);
      expect(journal.length).toBe(stepsAtCut);
      expect((await fs.readdir(a.backupsDir)).filter((f) => f.endsWith(".partial"))).toEqual([]);
    } finally {
      await hold.release();
    }
  });

  it("the lock session is ended mid-restore: pg_restore is killed, no further step, recovery never drops the staging database under it", async () => {
    const a = await newApp("shop-fence-restore", 150_000); // pg_restore runs long enough to be caught
    const restorer = await worker("restorer");
    const backup = await (await mods.jobs.startBackup({ app: await a.app(), method: "dump", actor: "t" })).done;
    expect(backup.status).toBe("ok");
    const backupId = (backup.result as { backupId: number }).backupId;
    const { jobId } = await mods.jobs.startRestore({ app: await a.app(), backupId, actor: "t" });
    // pg_restore reads the checksummed file through the worker's open descriptor (lib/ops/integrity.ts).
    const restoring = () => findProcesses("pg_restore", "--exit-on-error", `/proc/${restorer.child.pid}/fd/`);
    await waitFor(async () => (await restoring()).length > 0, 60_000, () => "pg_restore never started");
    const pids = await restoring();
    for (const pid of pids) process.kill(pid, "SIGSTOP"); // held mid-restore
    const staging = (await mods.jobQueries.listJournal(jobId)).map((s) => s.detail.staging).find((x): x is string => typeof x === "string");
    expect(staging).toMatch(/_staging_/);
    const admin = adminSql();
    try {
      await admin`SELECT pg_terminate_backend(pid, 5000) FROM pg_stat_activity
                  WHERE datname = ${metaDb} AND application_name = ${`lifeboat-lock-app-${a.id}`} ${admin.unsafe(HOLDER)}`;
      const stepsAtCut = (await mods.jobQueries.listJournal(jobId)).length;
      const reports = await mods.jobs.recoverInterruptedJobs("impatient operator");
      expect(reports.map((r) => r.jobId)).not.toContain(jobId);
      const [exists] = await admin<{ n: number }[]>`SELECT count(*)::int AS n FROM pg_database WHERE datname = ${staging!}`;
      expect(exists!.n).toBe(1);
      await waitFor(async () => (await restoring()).length === 0, 15_000, () => "pg_restore survived the fence");
      await waitFor(async () => (await job(jobId)).status === "interrupted", 20_000, () => "the job was never reconciled");
      expect((await job(jobId)).error).toContain("lock session ended");
      expect((await mods.jobQueries.listJournal(jobId)).length).toBe(stepsAtCut);
      const [left] = await admin<{ n: number }[]>`SELECT count(*)::int AS n FROM pg_database WHERE datname = ${staging!}`;
      expect(left!.n).toBe(0); // recovery dropped it, once the job was proven stopped
    } finally {
      for (const pid of pids) {
        try {
          process.kill(pid, "SIGKILL");
        } catch {
          // gone, as it should be
        }
      }
      await admin.end();
    }
  });

  it("the metadata database refuses connections for 10 s mid-dump: the job carries on and ends ok with its whole log", async () => {
    const a = await newApp("shop-outage");
    // A lease well past the outage: the renewals after it must land in time on a loaded CI machine too.
    const w = await worker("steady", { LIFEBOAT_LEASE_MS: "20000", LIFEBOAT_LEASE_RENEW_MS: "1000", LIFEBOAT_WATCHDOG_MS: "1000" });
    const hold = await holdTable(urlFor(a.db), "orders");
    const { jobId, done } = await mods.jobs.startBackup({ app: await a.app(), method: "dump", actor: "t" });
    await waitFor(async () => (await pgDumps(a.db)).length > 0, 30_000, () => "pg_dump never started");
    const admin = adminSql();
    try {
      await admin.unsafe(`ALTER DATABASE ${metaDb} WITH ALLOW_CONNECTIONS false`);
      // Every metadata session but the job's lock session (it stays, like a connection that outlives a blip).
      await admin`SELECT pg_terminate_backend(pid, 5000) FROM pg_stat_activity
                  WHERE datname = ${metaDb} AND application_name NOT LIKE 'lifeboat-lock-app-%' AND pid <> pg_backend_pid()`;
      const probe = adminSql(metaDb);
      await expect(probe`SELECT 1`).rejects.toThrow(/not currently accepting connections/);
      await probe.end();
      await hold.release(); // the dump runs on while its writes fail
      await new Promise((r) => setTimeout(r, 10_000));
    } finally {
      await admin.unsafe(`ALTER DATABASE ${metaDb} WITH ALLOW_CONNECTIONS true`);
      await admin.end();
      await hold.release();
    }
    const outcome = await done;
    expect(outcome.status, `${JSON.stringify(outcome.error)}\n${w.out()}`).toBe("ok");
    const j = await job(jobId);
    expect(j.log).toMatch(/did not answer for \d+s; the job carried on/);
    expect(j.log).toContain("— connecting");
    expect(j.log).toMatch(/wrote .*verified/);
    expect((await mods.jobQueries.listJournal(jobId)).map((s) => s.step)).toContain("dump:renamed");
    expect(w.out()).not.toContain("UNHANDLED REJECTION");
  });

  it("two workers: one operation per app at a time, jobs of two apps side by side", async () => {
    const a = await newApp("shop-two-a");
    const b = await newApp("shop-two-b");
    const one = { LIFEBOAT_WORKER_CONCURRENCY: "1" };
    await worker("w1", one);
    await worker("w2", one);
    const holdA = await holdTable(urlFor(a.db), "orders");
    const holdB = await holdTable(urlFor(b.db), "orders");
    try {
      const ja = await mods.jobs.startBackup({ app: await a.app(), method: "dump", actor: "t" });
      const jb = await mods.jobs.startBackup({ app: await b.app(), method: "dump", actor: "t" });
      await waitFor(async () => (await pgDumps(a.db)).length > 0 && (await pgDumps(b.db)).length > 0, 30_000, () => "both dumps never ran at once");
      const [ra, rb] = [await job(ja.jobId), await job(jb.jobId)];
      expect(ra.status).toBe("running");
      expect(rb.status).toBe("running");
      expect(ra.workerId).not.toBe(rb.workerId);
      await expect(mods.jobs.startBackup({ app: await a.app(), method: "dump", actor: "t" })).rejects.toMatchObject({ code: "busy", details: { jobId: ja.jobId } });
      await holdA.release();
      await holdB.release();
      expect((await ja.done).status).toBe("ok");
      expect((await jb.done).status).toBe("ok");
    } finally {
      await holdA.release();
      await holdB.release();
    }
  });
});
