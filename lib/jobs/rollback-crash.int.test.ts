import fs from "node:fs/promises";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { adminSql, useMetaDb } from "@/test/helpers";
import { crashAndRecover as crashAndRecoverJob, useCrashLeases } from "@/test/fixtures/crash-worker";
import { setupShopApp, type ShopApp } from "@/test/fixtures/rollback-app";

// Crash tests: a worker process runs a backup, restore, rollback or undo and SIGKILLs itself at one step
// (LIFEBOAT_CRASH_AT); then recovery runs here, and the world must be whole: exactly one database has the
// live name and accepts connections, its content equals the state before or the state after, `current`
// points at a complete release, no staging database or temporary link is left, the job is interrupted.
let shop: ShopApp;
let mods: {
  apps: typeof import("@/lib/db/queries/apps");
  backups: typeof import("@/lib/db/queries/backups");
  jobs: typeof import("@/lib/jobs");
  jobQueries: typeof import("@/lib/db/queries/jobs");
  client: typeof import("@/lib/db/client");
  releases: typeof import("@/lib/ops/releases");
};
type Fp = Awaited<ReturnType<ShopApp["fingerprint"]>>;
let baseline: Fp;
let backupState: Fp;
let dumpId: number;
let cloneId: number;

const app = async () => (await mods.apps.getAppById(shop.appId))!;

useCrashLeases();

async function liveDatabases(): Promise<{ name: string; allow: boolean }[]> {
  const sql = adminSql();
  try {
    return await sql<{ name: string; allow: boolean }[]>`SELECT datname AS name, datallowconn AS allow FROM pg_database WHERE datname LIKE ${shop.db + "%"}`;
  } finally {
    await sql.end();
  }
}

async function assertWhole(jobId: number, before: { fp: Fp; release: string }, after: { fp: Fp; release: string }) {
  const dbs = await liveDatabases();
  const live = dbs.filter((d) => d.name === shop.db);
  expect(live).toEqual([{ name: shop.db, allow: true }]);
  const fp = await shop.fingerprint();
  const which = JSON.stringify(fp) === JSON.stringify(before.fp) ? "before" : JSON.stringify(fp) === JSON.stringify(after.fp) ? "after" : "neither";
  expect(which).not.toBe("neither");
  const current = await mods.releases.readCurrentRelease(shop.root);
  expect([before.release, after.release]).toContain(current);
  expect(await mods.releases.isCompleteRelease(shop.root, current!)).toBe(true);
  // Code and data go together: the database's state and the release are both before or both after.
  if (before.release !== after.release && JSON.stringify(before.fp) !== JSON.stringify(after.fp)) {
    expect(current).toBe(which === "before" ? before.release : after.release);
  }
  expect(dbs.filter((d) => d.name.includes("_staging_"))).toEqual([]);
  expect((await fs.readdir(shop.root)).filter((n) => n.startsWith("current.tmp-"))).toEqual([]);
  expect((await mods.jobQueries.getJob(jobId))?.status).toBe("interrupted");
  // Whoever listens hears that it was interrupted: a change as rollback.failed; a backup as backup.failed
  // when nothing usable was kept (a backup recovery keeps whole is no failure).
  const job = await mods.jobQueries.getJob(jobId);
  const backup = job?.type === "backup" ? await mods.backups.getBackupByJob(jobId) : undefined;
  const kind = job?.type !== "backup" ? "rollback.failed" : backup?.status === "ok" ? null : "backup.failed";
  const events = await mods.client.getDb().$client`SELECT kind, summary FROM app_events WHERE job_id = ${jobId} AND kind IN ('rollback.failed', 'backup.failed')`;
  if (kind) expect(events.filter((e) => e.kind === kind).map((e) => e.summary).join("\n")).toMatch(/was interrupted/);
  else expect(events).toEqual([]);
  // The app runs again (recovery starts it when the job had stopped it).
  expect((await shop.api()).release).toBe(current);
  return which;
}

/** Back to r3 with the baseline data by undoing the latest changes (each undo is itself checked). */
async function resetToBaseline() {
  for (let i = 0; i < 3; i++) {
    const same = JSON.stringify(await shop.fingerprint()) === JSON.stringify(baseline) && (await mods.releases.readCurrentRelease(shop.root)) === "r3";
    if (same) return;
    const latest = await mods.jobQueries.getLatestChangeJob(shop.appId);
    expect(latest, "something changed but no job can be undone").toBeDefined();
    const { done } = await mods.jobs.startUndo({ app: await app(), jobId: latest!.id, actor: "reset" });
    const outcome = await done;
    expect(outcome.status, JSON.stringify(outcome.error)).toBe("ok");
  }
  expect(await shop.fingerprint()).toEqual(baseline);
}

const crashAndRecover = (request: Record<string, unknown>, step: string) => crashAndRecoverJob(shop.appId, request, step);

beforeAll(async () => {
  await useMetaDb();
  mods = {
    apps: await import("@/lib/db/queries/apps"),
    backups: await import("@/lib/db/queries/backups"),
    jobs: await import("@/lib/jobs"),
    jobQueries: await import("@/lib/db/queries/jobs"),
    client: await import("@/lib/db/client"),
    releases: await import("@/lib/ops/releases"),
  };
  shop = await setupShopApp({ slug: "shop-crash", releases: ["r1", "r2", "r3"] });
  // The backups the restores use: taken, then the data changes so that before and after differ.
  const d = await (await mods.jobs.startBackup({ app: await app(), method: "dump", actor: "t" })).done;
  expect(d.status).toBe("ok");
  dumpId = (d.result as { backupId: number }).backupId;
  const c = await (await mods.jobs.startBackup({ app: await app(), method: "clone", endSessions: true, actor: "t" })).done;
  expect(c.status).toBe("ok");
  cloneId = (c.result as { backupId: number }).backupId;
  backupState = await shop.fingerprint();
  const sql = adminSql(shop.db);
  await sql.unsafe(`UPDATE settings SET value = 'after the backup' WHERE key = 'banner'; DELETE FROM order_items WHERE order_id < 20; ALTER TABLE products ADD COLUMN sku text`);
  await sql.end();
  baseline = await shop.fingerprint();
  expect(baseline).not.toEqual(backupState);
});

afterAll(async () => {
  await shop?.appctl("stop").catch(() => {});
  await mods?.client.closeDb();
});

const STAGING_DUMP = ["rollback:staging", "restore:create_db", "restore:restored"];
const SWAP = ["swap:disallow", "swap:rename"];

describe("crash during a backup, then recovery", () => {
  for (const [method, steps] of [
    ["dump", ["backup:started", "dump:start", "dump:verified", "dump:renamed"]],
    ["clone", ["backup:started", "clone:disallowed", "clone:creating", "clone:created"]],
  ] as const) {
    for (const step of steps) {
      it(`${method} backup killed at ${step}`, async () => {
        const { jobId, report } = await crashAndRecover({ kind: "backup", method, endSessions: true }, step);
        const state = { fp: baseline, release: "r3" };
        await assertWhole(jobId, state, state);
        const row = await mods.backups.getBackupByJob(jobId);
        expect(["ok", "interrupted"]).toContain(row?.status);
        if (method === "dump") expect((await fs.readdir(shop.backupsDir)).filter((f) => f.endsWith(".partial"))).toEqual([]);
        expect(report.decisions.length).toBeGreaterThan(0);
      });
    }
  }
});

describe("crash during a restore (database only), then recovery", () => {
  for (const step of [...STAGING_DUMP, "rollback:stop", ...SWAP, "rollback:start", "rollback:health"]) {
    it(`restore from a dump killed at ${step}`, async () => {
      const { jobId } = await crashAndRecover({ kind: "restore", backupId: dumpId }, step);
      await assertWhole(jobId, { fp: baseline, release: "r3" }, { fp: backupState, release: "r3" });
      await resetToBaseline();
    });
  }
});

describe("crash during a rollback, then recovery", () => {
  for (const step of [...STAGING_DUMP, "rollback:stop", ...SWAP, "rollback:switch", "rollback:start", "rollback:health"]) {
    it(`code+database rollback from a dump killed at ${step}`, async () => {
      const { jobId, report } = await crashAndRecover({ kind: "rollback", targetRelease: "r2", restoreDatabase: true, backupId: dumpId }, step);
      const which = await assertWhole(jobId, { fp: baseline, release: "r3" }, { fp: backupState, release: "r2" });
      // The swap is the point of no return: before it recovery reverts, after it recovery finishes.
      const swapped = ["rollback:switch", "rollback:start", "rollback:health"].includes(step);
      expect(which, report.decisions.join("; ")).toBe(swapped ? "after" : "before");
      await resetToBaseline();
    });
  }
  for (const step of ["rollback:staging", "rollback:stop", ...SWAP, "rollback:switch", "rollback:start"]) {
    it(`code+database rollback from a clone killed at ${step}`, async () => {
      const { jobId } = await crashAndRecover({ kind: "rollback", targetRelease: "r2", restoreDatabase: true, backupId: cloneId }, step);
      await assertWhole(jobId, { fp: baseline, release: "r3" }, { fp: backupState, release: "r2" });
      expect(await liveDatabases()).toContainEqual(expect.objectContaining({ name: (await mods.backups.getBackup(shop.appId, cloneId))!.name }));
      await resetToBaseline();
    });
  }
  for (const step of ["rollback:stop", "rollback:switch", "rollback:start", "rollback:health"]) {
    it(`code-only rollback killed at ${step}`, async () => {
      const { jobId } = await crashAndRecover({ kind: "rollback", targetRelease: "r2", restoreDatabase: false }, step);
      await assertWhole(jobId, { fp: baseline, release: "r3" }, { fp: baseline, release: "r2" });
      await resetToBaseline();
    });
  }
});

describe("crash during an undo, then recovery", () => {
  for (const step of ["rollback:stop", ...SWAP, "rollback:switch", "rollback:start"]) {
    it(`undo of a code+database rollback killed at ${step}`, async () => {
      const rb = await mods.jobs.startRollback({ app: await app(), targetRelease: "r2", restoreDatabase: true, backupId: dumpId, actor: "t" });
      expect((await rb.done).status).toBe("ok");
      const { jobId } = await crashAndRecover({ kind: "undo", jobId: rb.jobId }, step);
      await assertWhole(jobId, { fp: backupState, release: "r2" }, { fp: baseline, release: "r3" });
      await resetToBaseline();
    });
  }
});
