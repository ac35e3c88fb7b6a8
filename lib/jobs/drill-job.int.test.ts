import fs from "node:fs/promises";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { adminSql, target, useMetaDb } from "@/test/helpers";
import { setupSeedDumpApp, type SeedDumpApp } from "@/test/fixtures/seed-dump-app";

// Restore drills on a real cluster: evidence recorded, damaged backups fail and announce it, the scratch
// database is always dropped, and the live database is never touched.
let shop: SeedDumpApp;
let mods: {
  apps: typeof import("@/lib/db/queries/apps");
  backups: typeof import("@/lib/db/queries/backups");
  drills: typeof import("@/lib/db/queries/drills");
  jobs: typeof import("@/lib/jobs");
  jobQueries: typeof import("@/lib/db/queries/jobs");
  drill: typeof import("@/lib/jobs/drill-job");
  ops: typeof import("@/lib/ops/drill");
  client: typeof import("@/lib/db/client");
  schema: typeof import("@/lib/db/schema-events");
};
const app = async () => (await mods.apps.getAppById(shop.appId))!;

async function backup(opts: { automatic?: boolean } = {}) {
  const { jobId, done } = await mods.jobs.startBackup({ app: await app(), method: "dump", actor: "t", ...opts });
  expect((await done).status).toBe("ok");
  return (await mods.backups.getBackupByJob(jobId))!;
}

async function drill(backupId?: number) {
  const { jobId, done } = await mods.drill.startDrill(await app(), backupId, "tester");
  const outcome = await done;
  const drills = await mods.drills.listDrillsOfBackup(shop.appId, backupId ?? (await mods.jobQueries.getJob(jobId))!.params.backupId as number);
  return { outcome, evidence: drills.find((d) => d.jobId === jobId)! };
}


async function events(kind: string) {
  const { eq } = await import("drizzle-orm");
  return mods.client.getDb().select().from(mods.schema.appEvents).where(eq(mods.schema.appEvents.kind, kind));
}

beforeAll(async () => {
  await useMetaDb();
  mods = {
    apps: await import("@/lib/db/queries/apps"),
    backups: await import("@/lib/db/queries/backups"),
    drills: await import("@/lib/db/queries/drills"),
    jobs: await import("@/lib/jobs"),
    jobQueries: await import("@/lib/db/queries/jobs"),
    drill: await import("@/lib/jobs/drill-job"),
    ops: await import("@/lib/ops/drill"),
    client: await import("@/lib/db/client"),
    schema: await import("@/lib/db/schema-events"),
  };
  shop = await setupSeedDumpApp("shop-drill");
});
afterAll(async () => {
  await mods?.client.closeDb();
});

describe("restore drills", () => {
  it("restores into a scratch database, matches the fingerprint, runs the smoke query, records evidence, drops the scratch", async () => {
    await mods.drills.setDrillSettings(shop.appId, { smokeQuery: "SELECT count(*) > 0 AS has_orders FROM orders", drillAfterBackup: false });
    const b = await backup();
    const live = await shop.counts();
    const { outcome, evidence } = await drill(b.id);
    expect(outcome.status, outcome.error?.message).toBe("ok");
    expect(evidence).toMatchObject({ ok: true, error: null, backupBytes: b.sizeBytes, differences: [] });
    expect(evidence.tables).toBeGreaterThanOrEqual(5);
    expect(evidence.rows).toBeGreaterThanOrEqual(live.customers! + live.orders!);
    expect(evidence.restoreMs).not.toBeNull();
    expect(evidence.smoke).toMatch(/^ok: 1 row, first value true/);
    const after = (await mods.backups.getBackup(shop.appId, b.id))!;
    expect(after.drillOk).toBe(true);
    expect(after.drilledAt).not.toBeNull();
    expect((await events("drill.ok")).some((e) => e.jobId === outcome.jobId)).toBe(true);
    expect(await shop.otherDbs()).toEqual([]);
    expect(await shop.counts()).toEqual(live);
    // The rollback dialog's prediction reads this drill for a backup of about this size.
    expect((await mods.drills.lastDrillOfSimilarSize(shop.appId, b.sizeBytes! * 2))?.restoreMs).toBe(evidence.restoreMs);
    expect(await mods.drills.lastDrillOfSimilarSize(shop.appId, b.sizeBytes! * 100)).toBeNull();
    const preview = await mods.jobs.previewRollback({ kind: "restore", app: await app(), backupId: b.id });
    expect(preview.restoreEstimate?.restoreMs).toBe(evidence.restoreMs);
  });

  it("drills a clone backup by copying it; the clone itself stays", async () => {
    const { jobId, done } = await mods.jobs.startBackup({ app: await app(), method: "clone", actor: "t" });
    expect((await done).status).toBe("ok");
    const clone = (await mods.backups.getBackupByJob(jobId))!;
    const { outcome, evidence } = await drill(clone.id);
    expect(outcome.status, outcome.error?.message).toBe("ok");
    expect(evidence.tables).toBeGreaterThanOrEqual(5);
    expect(await shop.otherDbs()).toEqual([clone.name]);
    const sql = adminSql();
    await sql`DROP DATABASE ${sql(clone.name)}`;
    await sql.end();
    await mods.client.getDb().$client`UPDATE backups SET deleted_at = now() WHERE id = ${clone.id}`;
  });

  it("drills the newest verified backup when none is named (a schedule's drill)", async () => {
    const newest = await backup();
    const { outcome, evidence } = await drill(undefined);
    expect(outcome.status).toBe("ok");
    expect(evidence.backupId).toBe(newest.id);
  });

  it("fails a backup whose rows were removed after its fingerprint, says which table, emits drill.failed, drops the scratch", async () => {
    const b = await backup();
    // The dump lost rows the fingerprint counted: as if the file had been cut and its checksum re-recorded.
    const meta = mods.client.getDb().$client;
    await meta`UPDATE backups SET fingerprint = jsonb_set(fingerprint, '{rows,public.orders}', to_jsonb((fingerprint->'rows'->>'public.orders')::int + 7)) WHERE id = ${b.id}`;
    const { outcome, evidence } = await drill(b.id);
    expect(outcome.status).toBe("failed");
    expect(outcome.error?.code).toBe("fidelity_failed");
    expect(evidence.ok).toBe(false);
    expect(evidence.differences.join("\n")).toMatch(/rows public\.orders: backup \d+, restored \d+/);
    expect((await mods.backups.getBackup(shop.appId, b.id))?.drillOk).toBe(false);
    expect((await events("drill.failed")).some((e) => e.jobId === outcome.jobId)).toBe(true);
    expect(await shop.otherDbs()).toEqual([]);
  });

  it("fails a corrupted file whose checksum was re-recorded (pg_restore cannot read it), and drops the scratch", async () => {
    const b = await backup();
    const file = path.join(shop.backupsDir, b.name);
    const bytes = await fs.readFile(file);
    bytes.fill(0x41, Math.floor(bytes.length / 2), Math.floor(bytes.length / 2) + 64);
    await fs.writeFile(file, bytes);
    const { sha256File } = await import("@/lib/ops/checksum");
    await mods.client.getDb().$client`UPDATE backups SET sha256 = ${await sha256File(file)} WHERE id = ${b.id}`;
    const { outcome, evidence } = await drill(b.id);
    expect(outcome.status).toBe("failed");
    expect(evidence.ok).toBe(false);
    expect(evidence.error).toMatch(/pg_restore failed/);
    expect(await shop.otherDbs()).toEqual([]);
  });

  it("a smoke query that writes, or tries to leave its read-only transaction, fails the drill; the scratch is dropped", async () => {
    const b = await backup();
    const cases: [string, RegExp][] = [
      ["WITH d AS (DELETE FROM orders RETURNING 1) SELECT count(*) FROM d", /smoke query failed: .*read-only transaction/],
      ["SELECT 1; DELETE FROM orders", /smoke query was not run: it must be one statement/],
      ["COMMIT", /smoke query was not run/],
    ];
    for (const [q, why] of cases) {
      await mods.drills.setDrillSettings(shop.appId, { smokeQuery: q, drillAfterBackup: false });
      const { outcome, evidence } = await drill(b.id);
      expect(outcome.status, q).toBe("failed");
      expect(outcome.error?.code, q).toBe("smoke_failed");
      expect(evidence.smoke, q).toMatch(why);
    }
    expect(await shop.otherDbs()).toEqual([]);
    await mods.drills.setDrillSettings(shop.appId, { smokeQuery: null, drillAfterBackup: false });
  });

  it("stops a smoke query at its statement_timeout", async () => {
    const sql = adminSql();
    await sql`CREATE DATABASE ${sql(`${shop.db}_smoke`)} TEMPLATE ${sql(shop.db)}`;
    await sql.end();
    const t = target(`${shop.db}_smoke`);
    await expect(mods.ops.runSmokeQuery(t, t.database, "SELECT pg_sleep(30)", 300)).rejects.toMatchObject({ code: "smoke_failed", message: expect.stringMatching(/statement timeout/) });
    await expect(mods.ops.runSmokeQuery(t, t.database, "SELECT count(*) > 0 FROM orders", 5000)).resolves.toMatch(/^ok/);
    await expect(mods.ops.runSmokeQuery(t, t.database, "/* x */ (SELECT true)", 5000)).resolves.toMatch(/^ok/);
    // READ ONLY does not stop COPY … TO PROGRAM (a shell command on the database server): refused before it is sent.
    for (const q of ["COPY (SELECT 1) TO PROGRAM 'true'", "-- hi\nDO $$ BEGIN END $$", "CALL p()"]) {
      await expect(mods.ops.runSmokeQuery(t, t.database, q, 5000), q).rejects.toMatchObject({ code: "smoke_failed", message: expect.stringMatching(/was not run: it must be one SELECT/) });
    }
    const drop = adminSql();
    await drop`DROP DATABASE ${drop(t.database)}`;
    await drop.end();
  });

  it("drills every automatic backup when the app asks for it", async () => {
    await mods.drills.setDrillSettings(shop.appId, { smokeQuery: null, drillAfterBackup: true });
    const b = await backup({ automatic: true });
    await mods.drill.startDueDrills(() => {});
    for (let i = 0; i < 100 && !(await mods.backups.getBackup(shop.appId, b.id))?.drilledAt; i++) await new Promise((r) => setTimeout(r, 300));
    expect((await mods.backups.getBackup(shop.appId, b.id))?.drillOk).toBe(true);
    // Drilled once: the sweep does not queue it again.
    expect(await mods.drills.backupsDueForDrill(3600_000)).toEqual([]);
    await mods.drills.setDrillSettings(shop.appId, { smokeQuery: null, drillAfterBackup: false });
  });

  it("recovery of a drill that died drops the scratch database it journaled", async () => {
    const scratch = `${shop.db}_staging_20260101_000000`;
    const sql = adminSql();
    await sql`CREATE DATABASE ${sql(scratch)}`;
    await sql.end();
    const decisions = await mods.ops.reconcileDrill([{ step: "drill:scratch", detail: { scratch } }], { target: target(shop.db), recordedBackups: new Set(), waitMs: 1000 });
    expect(decisions.join("; ")).toMatch(/dropped the staging database/);
    expect(await shop.otherDbs()).toEqual([]);
  });
});
