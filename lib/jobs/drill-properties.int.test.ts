import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { adminSql, useMetaDb } from "@/test/helpers";
import { setupSeedDumpApp, type SeedDumpApp } from "@/test/fixtures/seed-dump-app";

// Drills hold the scratch copy to the database-level properties recorded with the backup (settings, per-role
// settings, comment, connection limit, privileges, owner, encoding, locale), say which they compared and which
// a scratch database cannot show, and fail with the reason when the restored copy does not match the record.
let shop: SeedDumpApp;
let m: {
  apps: typeof import("@/lib/db/queries/apps");
  backups: typeof import("@/lib/db/queries/backups");
  drills: typeof import("@/lib/db/queries/drills");
  jobs: typeof import("@/lib/jobs");
  drill: typeof import("@/lib/jobs/drill-job");
  client: typeof import("@/lib/db/client");
};

async function backup() {
  const { jobId, done } = await m.jobs.startBackup({ app: (await m.apps.getAppById(shop.appId))!, method: "dump", actor: "t" });
  expect((await done).status).toBe("ok");
  return (await m.backups.getBackupByJob(jobId))!;
}
async function drill(backupId: number) {
  const { jobId, done } = await m.drill.startDrill((await m.apps.getAppById(shop.appId))!, backupId, "tester");
  const outcome = await done;
  return { outcome, evidence: (await m.drills.listDrillsOfBackup(shop.appId, backupId)).find((d) => d.jobId === jobId)! };
}

beforeAll(async () => {
  await useMetaDb();
  m = {
    apps: await import("@/lib/db/queries/apps"),
    backups: await import("@/lib/db/queries/backups"),
    drills: await import("@/lib/db/queries/drills"),
    jobs: await import("@/lib/jobs"),
    drill: await import("@/lib/jobs/drill-job"),
    client: await import("@/lib/db/client"),
  };
  shop = await setupSeedDumpApp("shop-drill-props");
  const sql = adminSql();
  try {
    await sql.unsafe(`ALTER DATABASE ${shop.db} SET statement_timeout = '7s'`);
    await sql.unsafe(`ALTER DATABASE ${shop.db} SET search_path = "$user", public`);
    await sql.unsafe(`COMMENT ON DATABASE ${shop.db} IS 'the shop, drilled'`);
    await sql.unsafe(`ALTER DATABASE ${shop.db} CONNECTION LIMIT 40`);
  } finally {
    await sql.end();
  }
});
afterAll(async () => {
  await m?.client.closeDb();
});

describe("drills compare database-level properties", () => {
  it("passes when the restored copy takes the recorded properties, and says which were compared and which cannot be", async () => {
    const b = await backup();
    const { outcome, evidence } = await drill(b.id);
    expect(outcome.status, outcome.error?.message).toBe("ok");
    expect(evidence.ok).toBe(true);
    expect(evidence.properties?.compared).toEqual(
      expect.arrayContaining(["encoding", "locale", "owner", "comment", "connection limit", "database privileges", "setting statement_timeout", "setting search_path", "extensions and their versions (with the schema)"]),
    );
    expect(evidence.properties?.notCompared).toEqual(["database name (the scratch database has its own)"]);
    expect(await shop.otherDbs()).toEqual([]);
  });

  it("fails with the reason when a recorded setting does not come back as recorded (the record edited by hand or corrupted)", async () => {
    const b = await backup();
    // PostgreSQL stores a setting under its own spelling (TimeZone); a record saying "timezone" was not written
    // by Lifeboat's reader: restored, the copy has TimeZone=UTC and no "timezone".
    const meta = m.client.getDb().$client;
    await meta`UPDATE backups SET identity = jsonb_set(identity, '{settings}', (identity->'settings') || '["timezone=UTC"]'::jsonb) WHERE id = ${b.id}`;
    const { outcome, evidence } = await drill(b.id);
    expect(outcome.status).toBe("failed");
    expect(outcome.error?.code).toBe("properties_differ");
    expect(evidence.ok).toBe(false);
    expect(evidence.error).toMatch(/does not have the database properties recorded with the backup — .*timezone: recorded UTC, restored \(not set\)/);
    expect(evidence.differences).toEqual(expect.arrayContaining(["timezone: recorded UTC, restored (not set)", "TimeZone: recorded (not set), restored UTC"]));
    expect(evidence.properties?.compared).toContain("setting timezone");
    expect((await m.backups.getBackup(shop.appId, b.id))?.drillOk).toBe(false);
    expect(await shop.otherDbs()).toEqual([]);
  });

  it("fails with the server's reason when a recorded setting has a value the server refuses", async () => {
    const b = await backup();
    await m.client.getDb().$client`UPDATE backups SET identity = jsonb_set(identity, '{settings}', (identity->'settings') || '["work_mem=banana"]'::jsonb) WHERE id = ${b.id}`;
    const { outcome, evidence } = await drill(b.id);
    expect(outcome.error?.code).toBe("properties_differ");
    expect(evidence.error).toMatch(/its recorded setting work_mem: invalid value for parameter "work_mem": "banana"\. A restore of this backup would stop at the same point/);
    expect(evidence.differences).toHaveLength(1);
    expect(await shop.otherDbs()).toEqual([]);
  });

  it("names a per-role setting whose role was dropped since the backup as not compared, and passes", async () => {
    const role = `drill_gone_${Date.now().toString(36)}`;
    const sql = adminSql();
    try {
      await sql.unsafe(`CREATE ROLE ${role}`);
      await sql.unsafe(`ALTER ROLE ${role} IN DATABASE ${shop.db} SET work_mem = '8MB'`);
      const b = await backup();
      expect(JSON.stringify((await m.client.getDb().$client`SELECT identity FROM backups WHERE id = ${b.id}`)[0]?.identity)).toContain(role);
      await sql.unsafe(`DROP ROLE ${role}`);
      const { outcome, evidence } = await drill(b.id);
      expect(outcome.status, outcome.error?.message).toBe("ok");
      expect(evidence.properties?.notCompared.join("\n")).toContain(`settings for role ${role} (work_mem=8MB): the role ${role} no longer exists`);
      expect(evidence.properties?.compared.join("\n")).not.toContain(role);
      expect(evidence.properties?.compared).toContain("setting statement_timeout");
    } finally {
      await sql.unsafe(`DROP ROLE IF EXISTS ${role}`);
      await sql.end();
    }
  });
});
