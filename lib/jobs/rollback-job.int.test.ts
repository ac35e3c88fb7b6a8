import fs from "node:fs/promises";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { adminSql, target, useMetaDb } from "@/test/helpers";
import { setupShopApp, type ShopApp } from "@/test/fixtures/rollback-app";
import { importJobModules, type JobModules } from "@/test/fixtures/job-modules";

// Rollback, restore, release switch and undo end to end: the metadata DB, the app's database, real release
// directories and the demo's HTTP server started and stopped by its real commands.
let shop: ShopApp;
let mods: JobModules;

const app = async () => (await mods.apps.getAppById(shop.appId))!;
type Fp = Awaited<ReturnType<ShopApp["fingerprint"]>>;

async function run(start: Promise<{ jobId: number; done: Promise<import("@/lib/jobs").JobOutcome> }>) {
  const { jobId, done } = await start;
  const outcome = await done;
  const job = await mods.jobQueries.getJob(jobId);
  return { jobId, outcome, job: job!, result: (job!.result ?? {}) as import("@/lib/jobs").RollbackJobResult };
}

async function exec(sqlText: string) {
  const sql = adminSql(shop.db);
  try {
    await sql.unsafe(sqlText);
  } finally {
    await sql.end();
  }
}

async function dbNames(): Promise<{ name: string; allow: boolean }[]> {
  const sql = adminSql();
  try {
    return await sql<{ name: string; allow: boolean }[]>`SELECT datname AS name, datallowconn AS allow FROM pg_database WHERE datname LIKE ${shop.db + "%"} ORDER BY 1`;
  } finally {
    await sql.end();
  }
}

/** A "deploy" of r3: the pipeline's backup for r3, the new release, then its migration. */
let stateR2: Fp;
let stateR3: Fp;
let dumpBackupId: number;

beforeAll(async () => {
  await useMetaDb();
  mods = await importJobModules();
  shop = await setupShopApp({ slug: "shop-rb", releases: ["r1", "r2"] });
  expect(await shop.api()).toEqual({ release: "r2", banner: "Welcome to the shop" });
  stateR2 = await shop.fingerprint();
  const b = await run(mods.jobs.startBackup({ app: await app(), method: "dump", automatic: true, forRelease: "r3", actor: "pipeline" }));
  expect(b.outcome.status).toBe("ok");
  dumpBackupId = (b.outcome.result as { backupId: number }).backupId;
  const { createDemoReleases } = await import("@/scripts/lib/demo-releases");
  await shop.appctl("stop");
  await createDemoReleases(shop.root, ["r1", "r2", "r3"]);
  await exec(`UPDATE settings SET value = 'Release 3 is here' WHERE key = 'banner';
              ALTER TABLE customers ADD COLUMN loyalty integer NOT NULL DEFAULT 0;
              INSERT INTO products (name, price_cents) VALUES ('New in r3', 999);`);
  await shop.appctl("start");
  expect(await shop.api()).toEqual({ release: "r3", banner: "Release 3 is here" });
  stateR3 = await shop.fingerprint();
  expect(stateR3).not.toEqual(stateR2);
});

afterAll(async () => {
  await shop?.appctl("stop").catch(() => {});
  await mods?.client.closeDb();
});

describe("rollback jobs", () => {
  it("previews a code+database rollback with the default target, the default backup and the data-loss window", async () => {
    const p = await mods.jobs.previewRollback({ kind: "rollback", app: await app(), restoreDatabase: true });
    expect(p.currentRelease).toBe("r3");
    expect(p.targetRelease).toBe("r2");
    expect(p.backup?.id).toBe(dumpBackupId);
    expect(p.plan.steps.map((s) => s.key)).toEqual(["space", "staging", "check", "properties", "stop", "swap", "switch", "start", "health"]);
    expect(p.plan.cli).toBe(`npm run lifeboat -- rollback shop-rb --release r2 --restore-db --backup ${dumpBackupId}`);
    // The migration wrote rows after the backup: the window counts them (pg_stat_database, captured at backup time).
    expect(p.plan.dataLoss?.writesSince).not.toBeNull();
    expect(p.plan.dataLoss!.writesSince!.tupUpdated).toBeGreaterThanOrEqual(1);
    expect(p.plan.dataLoss!.text).toMatch(/rows were inserted/);
  });

  it("when the default backup's file is gone, the refusal names it and says how to get it back (not 'none was taken')", async () => {
    const b = (await mods.backups.getBackup(shop.appId, dumpBackupId))!;
    const file = path.join((await app()).backupsDir, b.name);
    await fs.rename(file, `${file}.away`);
    try {
      const { markGoneDumpsMissing } = await import("@/lib/jobs/missing-backups");
      expect(await markGoneDumpsMissing(await app())).toBe(1);
      await expect(mods.jobs.previewRollback({ kind: "rollback", app: await app(), restoreDatabase: true })).rejects.toMatchObject({
        code: "missing_file",
        message: expect.stringMatching(new RegExp(`^The file of ${b.name} is missing .*press Verify \\(or run: npm run lifeboat -- verify shop-rb --backup ${b.id}\\)`)),
      });
    } finally {
      await fs.rename(`${file}.away`, file);
    }
    const { startVerify } = await import("@/lib/jobs/backup-admin");
    const v = await run(startVerify(await app(), dumpBackupId, "t"));
    expect(v.outcome.status).toBe("ok");
    expect((await mods.jobs.previewRollback({ kind: "rollback", app: await app(), restoreDatabase: true })).backup?.id).toBe(dumpBackupId);
  });

  it("rolls back the code only, and undo puts it back", async () => {
    const rb = await run(mods.jobs.startRollback({ app: await app(), restoreDatabase: false, actor: "oncall" }));
    expect(rb.outcome.status).toBe("ok");
    expect(rb.result).toMatchObject({ kind: "rollback", changed: true, swapped: false, switched: true, previousRelease: "r3", release: "r2" });
    expect(await shop.api()).toEqual({ release: "r2", banner: "Release 3 is here" });
    expect(await shop.fingerprint()).toEqual(stateR3);

    const undo = await run(mods.jobs.startUndo({ app: await app(), jobId: rb.jobId, actor: "oncall" }));
    expect(undo.outcome.status).toBe("ok");
    expect(undo.result).toMatchObject({ kind: "undo", changed: true, switched: true, previousRelease: "r2", release: "r3", undoOf: rb.jobId });
    expect(await shop.api()).toEqual({ release: "r3", banner: "Release 3 is here" });
    // The rollback is no longer the latest change: it cannot be undone twice.
    await expect(mods.jobs.startUndo({ app: await app(), jobId: rb.jobId, actor: "oncall" })).rejects.toMatchObject({ code: "not_latest" });
  });

  it("rolls back code and database from a dump: old code, old data; nothing dropped; undo restores the state exactly", async () => {
    const before = await dbNames();
    const rb = await run(mods.jobs.startRollback({ app: await app(), restoreDatabase: true, actor: "oncall" }));
    expect(rb.outcome.status, rb.job.log).toBe("ok");
    expect(rb.result).toMatchObject({ swapped: true, switched: true, release: "r2", previousRelease: "r3", restoredFrom: { backupId: dumpBackupId } });
    expect(await shop.api()).toEqual({ release: "r2", banner: "Welcome to the shop" });
    expect(await shop.fingerprint()).toEqual(stateR2);
    // The old live database is kept, refusing connections, and listed as a pinned pre-rollback backup.
    const pre = rb.result.preRollbackDb!;
    expect(pre).toMatch(new RegExp(`^${shop.db}_pre_rollback_\\d{8}_\\d{6}$`));
    const after = await dbNames();
    expect(after).toContainEqual({ name: pre, allow: false });
    expect(after).toContainEqual({ name: shop.db, allow: true });
    expect(after.filter((d) => d.name.includes("_staging_"))).toEqual([]);
    expect(after.length).toBe(before.length + 1);
    const row = (await mods.backups.listBackups(shop.appId)).find((b) => b.name === pre)!;
    expect(row).toMatchObject({ kind: "pre_rollback", method: "clone", status: "ok", pinned: true, release: "r3" });
    expect(rb.result.stagingCheck?.tables).toBe(stateR2.length);

    const undo = await run(mods.jobs.startUndo({ app: await app(), jobId: rb.jobId, actor: "oncall" }));
    expect(undo.outcome.status, undo.job.log).toBe("ok");
    expect(await shop.api()).toEqual({ release: "r3", banner: "Release 3 is here" });
    expect(await shop.fingerprint()).toEqual(stateR3);
    // The put-back database is live again, not a backup; the restored one is kept in turn: the undo is undoable.
    const rows = await mods.backups.listBackups(shop.appId);
    expect(rows.find((b) => b.name === pre)).toBeUndefined();
    const pre2 = undo.result.preRollbackDb!;
    expect(rows.find((b) => b.name === pre2)).toMatchObject({ kind: "pre_rollback", pinned: true });
    expect(await dbNames()).toContainEqual({ name: pre2, allow: false });

    const redo = await run(mods.jobs.startUndo({ app: await app(), jobId: undo.jobId, actor: "oncall" }));
    expect(redo.outcome.status, redo.job.log).toBe("ok");
    expect(await shop.fingerprint()).toEqual(stateR2);
    expect(await shop.api()).toEqual({ release: "r2", banner: "Welcome to the shop" });
    const back = await run(mods.jobs.startUndo({ app: await app(), jobId: redo.jobId, actor: "oncall" }));
    expect(back.outcome.status, back.job.log).toBe("ok");
    expect(await shop.fingerprint()).toEqual(stateR3);
  });

  it("after a rollback the apps list and the app page agree on the last good backup: the pre-rollback copy is not one", async () => {
    const rows = await mods.backups.listBackups(shop.appId);
    const pre = rows.find((b) => b.kind === "pre_rollback" && b.status === "ok");
    expect(pre, "the rollback above kept a pre-rollback copy").toBeDefined();
    const { getLastGoodBackup } = await import("@/lib/db/queries/backup-pages");
    const good = (await getLastGoodBackup(shop.appId))!;
    expect(good.id).not.toBe(pre!.id);
    const listed = (await mods.apps.listAppsWithStatus()).find((a) => a.id === shop.appId)!;
    expect(listed.lastOkBackupAt?.getTime()).toBe(good.createdAt.getTime());
  });

  it("rolls back from a clone: the clone stays a backup", async () => {
    const c = await run(mods.jobs.startBackup({ app: await app(), method: "clone", endSessions: true, actor: "oncall" }));
    expect(c.outcome.status, c.job.log).toBe("ok");
    const clone = (await mods.backups.listBackups(shop.appId)).find((b) => b.jobId === c.jobId)!;
    await exec(`DELETE FROM order_items WHERE order_id < 50; UPDATE settings SET value = 'oops' WHERE key = 'banner';`);
    const rb = await run(mods.jobs.startRollback({ app: await app(), targetRelease: "r2", restoreDatabase: true, backupId: clone.id, actor: "oncall" }));
    expect(rb.outcome.status, rb.job.log).toBe("ok");
    expect(await shop.fingerprint()).toEqual(stateR3);
    expect(await shop.api()).toEqual({ release: "r2", banner: "Release 3 is here" });
    expect(await dbNames()).toContainEqual({ name: clone.name, allow: true });
    expect((await mods.backups.getBackup(shop.appId, clone.id))?.status).toBe("ok");
    // Roll forward to r3 again (code only), so later tests start from r3.
    const fwd = await run(mods.jobs.startSwitchRelease({ app: await app(), release: "r3", actor: "oncall" }));
    expect(fwd.outcome.status).toBe("ok");
    expect(fwd.result).toMatchObject({ kind: "switch_release", switched: true, swapped: false, release: "r3" });
  });

  it("restores the database only, leaving current alone", async () => {
    const rs = await run(mods.jobs.startRestore({ app: await app(), backupId: dumpBackupId, actor: "oncall" }));
    expect(rs.outcome.status, rs.job.log).toBe("ok");
    expect(rs.result).toMatchObject({ kind: "restore", swapped: true, switched: false, release: "r3" });
    expect(await shop.fingerprint()).toEqual(stateR2);
    expect(await shop.api()).toEqual({ release: "r3", banner: "Welcome to the shop" });
    const undo = await run(mods.jobs.startUndo({ app: await app(), jobId: rs.jobId, actor: "oncall" }));
    expect(undo.outcome.status, undo.job.log).toBe("ok");
    expect(await shop.fingerprint()).toEqual(stateR3);
  });

  it("fails before the swap when the backup is empty: staging dropped, app running, current kept", async () => {
    // A verified dump of an empty database, recorded as a backup of this app.
    const { dumpDatabase } = await import("@/lib/ops/dump");
    const { probeServer } = await import("@/lib/ops/server-info");
    const empty = `${shop.db}_empty`;
    const admin = adminSql();
    await admin`CREATE DATABASE ${admin(empty)}`;
    await admin.end();
    const server = await probeServer(target(empty));
    const { silentContext } = await import("@/lib/ops/context");
    const dumped = await dumpDatabase({ target: target(empty), pgDump: server.pgDumpPath, pgRestore: server.pgRestorePath, dir: shop.backupsDir, fileName: "db_backup_empty.dump", format: "custom", ctx: silentContext });
    const id = await mods.backups.insertBackup({ appId: shop.appId, name: "db_backup_empty.dump", method: "dump", kind: "named", format: "custom", createdBy: "t", release: null, jobId: null });
    // Lifeboat restores only files whose sha256 it recorded (lib/ops/integrity.ts).
    await mods.backups.finishBackup(id, { status: "ok", sha256: dumped.sha256 });
    const before = await dbNames();
    const rb = await run(mods.jobs.startRollback({ app: await app(), targetRelease: "r2", restoreDatabase: true, backupId: id, actor: "oncall" }));
    expect(rb.outcome.status).toBe("failed");
    expect(rb.outcome.error?.code).toBe("staging_empty");
    expect(rb.result).toMatchObject({ changed: false, undo: { available: false } });
    expect(await dbNames()).toEqual(before);
    expect(await mods.releases.readCurrentRelease(shop.root)).toBe("r3");
    expect(await shop.fingerprint()).toEqual(stateR3);
    expect(await shop.api()).toEqual({ release: "r3", banner: "Release 3 is here" });
  });

  it("a failed health check ends the job failed with undo available, and undo works", async () => {
    const { createDemoReleases } = await import("@/scripts/lib/demo-releases");
    await shop.appctl("stop");
    await createDemoReleases(shop.root, ["r1", "r2", "r3", "r4"], { unhealthy: ["r4"] });
    await createDemoReleases(shop.root, ["r1", "r2", "r4", "r3"], { unhealthy: ["r4"] }); // current → r3 again, r4 older
    await shop.appctl("start");
    await mods.apps.setAppHealthPolicy(shop.appId, "keep"); // undo by hand here; lib/jobs/health-policy.int.test.ts has the automatic one
    const sw = await run(mods.jobs.startSwitchRelease({ app: await app(), release: "r4", actor: "oncall" }));
    expect(sw.outcome.status).toBe("failed");
    expect(sw.outcome.error).toMatchObject({ code: "health_failed", message: expect.stringMatching(/health check failed.*Undo/) });
    expect(sw.job.status).toBe("failed");
    expect(sw.result).toMatchObject({ changed: true, switched: true, previousRelease: "r3", release: "r4", undo: { available: true } });
    expect(sw.result.health?.http?.ok).toBe(false);
    const undo = await run(mods.jobs.startUndo({ app: await app(), jobId: sw.jobId, actor: "oncall" }));
    expect(undo.outcome.status, undo.job.log).toBe("ok");
    expect(await shop.api()).toEqual({ release: "r3", banner: "Release 3 is here" });
  });

  it("runs one operation per app: a second rollback is told busy with the running job's id", async () => {
    const a = await app();
    const [first, second] = await Promise.allSettled([
      mods.jobs.startRollback({ app: a, targetRelease: "r2", restoreDatabase: false, actor: "alice" }),
      mods.jobs.startRollback({ app: a, targetRelease: "r2", restoreDatabase: false, actor: "bob" }),
    ]);
    const ok = [first, second].find((r) => r.status === "fulfilled") as PromiseFulfilledResult<{ jobId: number; done: Promise<unknown> }>;
    const busy = [first, second].find((r) => r.status === "rejected") as PromiseRejectedResult;
    expect(ok).toBeDefined();
    expect(busy?.reason).toMatchObject({ code: "busy", message: expect.stringContaining(`job #${ok.value.jobId}`), details: { jobId: ok.value.jobId } });
    await ok.value.done;
    const undo = await run(mods.jobs.startUndo({ app: await app(), jobId: ok.value.jobId, actor: "alice" }));
    expect(undo.outcome.status).toBe("ok");
  });

  it("validates before any job starts, with a message that says what to do", async () => {
    const a = await app();
    for (const bad of ["../r1", "..", ".", "current", "r1/../r2", "/etc", "nope"]) {
      await expect(mods.jobs.startRollback({ app: a, targetRelease: bad, restoreDatabase: false, actor: "t" })).rejects.toMatchObject({ name: "OpError" });
    }
    await expect(mods.jobs.startRollback({ app: a, targetRelease: "r3", restoreDatabase: false, actor: "t" })).rejects.toMatchObject({ code: "already_current" });
    await expect(mods.jobs.startRestore({ app: a, backupId: 999999, actor: "t" })).rejects.toMatchObject({ code: "not_found" });
    // A backup of another app is not found for this one.
    const other = await mods.apps.createApp(
      (await import("@/lib/validation/apps")).appFormSchema.parse({ slug: "other-app", url: `postgres://u:p@127.0.0.1:1/other`, backupsDir: "/tmp" }),
      { serverVersion: "15", serverVersionNum: 150000, canCreateDb: true, pgDumpPath: "", dbSizeBytes: 0 },
    );
    const foreign = await mods.backups.insertBackup({ appId: other, name: "db_backup_1.dump", method: "dump", kind: "manual", format: "custom", createdBy: "t", release: null, jobId: null });
    await mods.backups.finishBackup(foreign, { status: "ok" });
    await expect(mods.jobs.startRestore({ app: a, backupId: foreign, actor: "t" })).rejects.toMatchObject({ code: "not_found", message: expect.stringContaining("not a backup of shop-rb") });
    await expect(mods.jobs.startRollback({ app: a, restoreDatabase: true, backupId: foreign, actor: "t" })).rejects.toMatchObject({ code: "not_found" });
    const noRoot = (await mods.apps.getAppById(other))!;
    await expect(mods.jobs.startSwitchRelease({ app: noRoot, release: "r1", actor: "t" })).rejects.toMatchObject({ code: "no_deploy_root" });
    // An incomplete release can never become current.
    await fs.mkdir(path.join(shop.root, "releases", "r5-half"));
    await expect(mods.jobs.startSwitchRelease({ app: a, release: "r5-half", actor: "t" })).rejects.toMatchObject({ code: "release_incomplete" });
    expect(await mods.releases.readCurrentRelease(shop.root)).toBe("r3");
    const running = await mods.jobQueries.getRunningJob(shop.appId);
    expect(running).toBeUndefined();
  });
});

describe("as the app's own role (not a superuser), like the demo's", () => {
  it("rolls back code and database from a clone and from a dump, and undoes", async () => {
    const own = await setupShopApp({ slug: "shop-own", releases: ["a1", "a2"], ownerRole: true });
    const ownApp = async () => (await mods.apps.getAppById(own.appId))!;
    const dump = await run(mods.jobs.startBackup({ app: await ownApp(), method: "dump", forRelease: "a2", actor: "t" }));
    expect(dump.outcome.status, dump.job.log).toBe("ok");
    const clone = await run(mods.jobs.startBackup({ app: await ownApp(), method: "clone", endSessions: true, actor: "t" }));
    expect(clone.outcome.status, clone.job.log).toBe("ok");
    const backed = await own.fingerprint();
    const sql = adminSql(own.db);
    await sql.unsafe(`UPDATE settings SET value = 'changed' WHERE key = 'banner'; DELETE FROM order_items WHERE order_id < 30`);
    await sql.end();
    const changed = await own.fingerprint();

    const cloneId = (await mods.backups.listBackups(own.appId)).find((b) => b.jobId === clone.jobId)!.id;
    const a = await run(mods.jobs.startRollback({ app: await ownApp(), restoreDatabase: true, backupId: cloneId, actor: "t" }));
    expect(a.outcome.status, a.job.log).toBe("ok");
    expect(await own.fingerprint()).toEqual(backed);
    expect(await own.api()).toEqual({ release: "a1", banner: "Welcome to the shop" });
    const undo = await run(mods.jobs.startUndo({ app: await ownApp(), jobId: a.jobId, actor: "t" }));
    expect(undo.outcome.status, undo.job.log).toBe("ok");
    expect(await own.fingerprint()).toEqual(changed);

    const b = await run(mods.jobs.startRestore({ app: await ownApp(), backupId: (dump.outcome.result as { backupId: number }).backupId, actor: "t" }));
    expect(b.outcome.status, b.job.log).toBe("ok");
    expect(await own.fingerprint()).toEqual(backed);
    expect(b.job.log).toMatch(/free space on the database server: unknown/);
    await own.appctl("stop");
  });
});

describe("the change record", () => {
  it("refuses to undo a change whose stored record cannot be read, rather than guess", async () => {
    const jobId = await mods.jobQueries.insertJob({ appId: shop.appId, type: "rollback", params: {}, actor: "ghost", owner: "elsewhere:1" });
    await mods.jobQueries.updateJob(jobId, { status: "failed", finishedAt: new Date() });
    await mods.jobQueries.setJobResult(jobId, { changed: true, swapped: "yes", preRollbackDb: 42 });
    await expect(mods.jobs.startUndo({ app: await app(), jobId, actor: "t" })).rejects.toMatchObject({ code: "unreadable_record" });
    expect(await mods.jobQueries.getRunningJob(shop.appId)).toBeUndefined();
  });
});
