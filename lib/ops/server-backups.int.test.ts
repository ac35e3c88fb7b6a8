import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { adminSql, createScratchDb, target, uniqueName } from "@/test/helpers";
import { databaseSizes } from "./catalog";
import { captureDbStats, listCloneBackupsOnServer } from "./server-backups";

let admin: ReturnType<typeof adminSql>;
beforeAll(() => {
  admin = adminSql();
});
afterAll(async () => {
  await admin.end();
});

describe("listCloneBackupsOnServer", () => {
  it("finds this database's clone backups (ours and the seed's), not look-alikes", async () => {
    // `_` is a LIKE wildcard: lb_a_b_backup_% would also match lb_aXb_backup_…; the filter must not.
    const live = `lb_${uniqueName("a")}_b`;
    const lookalike = live.replace(/_b$/, "xb");
    const names = {
      ours: `${live}_backup_20260102_030405`,
      second: `${live}_backup_20260102_030405_2`,
      pre: `${live}_pre_rollback_20260103_000000`,
      older: `${live}_backup_20250101_000000`,
      staging: `${live}_staging_20260102_030405`,
      wildcard: `${lookalike}_backup_20260102_030405`,
      other: `${live}_old`,
    };
    await admin`CREATE DATABASE ${admin(live)}`;
    for (const n of Object.values(names)) await admin`CREATE DATABASE ${admin(n)}`;
    const found = await listCloneBackupsOnServer(target(live), live);
    expect(found.map((f) => f.name)).toEqual([names.pre, names.second, names.ours, names.older]);
    for (const f of found) {
      expect(f.sizeBytes).toBeGreaterThan(1_000_000);
      expect(f.allowConnections).toBe(true);
    }
  });
});

describe("databaseSizes", () => {
  it("answers for many databases in one call and leaves out missing ones", async () => {
    const a = await createScratchDb("sz");
    const b = await createScratchDb("sz");
    const sizes = await databaseSizes(target("postgres"), [a, b, "no_such_db"]);
    expect([...sizes.keys()].sort()).toEqual([a, b].sort());
    expect(sizes.get(a)).toBeGreaterThan(1_000_000);
    expect((await databaseSizes(target("postgres"), [])).size).toBe(0);
  });
  it("validates names", async () => {
    await expect(databaseSizes(target("postgres"), ["x'; drop"])).rejects.toMatchObject({ code: "invalid_identifier" });
  });
});

describe("captureDbStats", () => {
  it("reads pg_stat_database counters, which grow with writes", async () => {
    const db = await createScratchDb("stats");
    const sql = adminSql(db);
    await sql`CREATE TABLE t (a int)`;
    const before = await captureDbStats(target(db), db);
    await sql`INSERT INTO t SELECT generate_series(1, 100)`;
    await sql`DELETE FROM t WHERE a <= 10`;
    await sql.end();
    // The statistics collector reports asynchronously; wait until the counters show the writes.
    let after = await captureDbStats(target(db), db);
    for (let i = 0; i < 50 && after.tupInserted < before.tupInserted + 100; i++) {
      await new Promise((r) => setTimeout(r, 100));
      after = await captureDbStats(target(db), db);
    }
    expect(after.tupInserted).toBeGreaterThanOrEqual(before.tupInserted + 100);
    expect(after.tupDeleted).toBeGreaterThanOrEqual(before.tupDeleted + 10);
    expect(after.xactCommit).toBeGreaterThan(before.xactCommit);
  });
});
