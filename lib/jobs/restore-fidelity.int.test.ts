import fs from "node:fs/promises";
import path from "node:path";
import postgres from "postgres";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createRichDatabase, dropRichDatabase, type RichDb } from "@/test/fixtures/rich-db";
import { adminSql, pg, target, tmpDir, useMetaDb } from "@/test/helpers";

// Issue 11: a restore gives back exactly the database that was backed up — its own properties, locale,
// owners, grants, schema and rows — by every method, and the plan names beforehand whatever it cannot keep.
// The database is owned by an ordinary role, and Lifeboat connects as that role.
let rich: RichDb;
let appId: number;
let mods: {
  apps: typeof import("@/lib/db/queries/apps");
  jobs: typeof import("@/lib/jobs");
  jobQueries: typeof import("@/lib/db/queries/jobs");
  client: typeof import("@/lib/db/client");
  identity: typeof import("@/lib/ops/db-identity");
  fidelity: typeof import("@/lib/ops/fidelity");
  restore: typeof import("@/lib/ops/restore");
};
type Print = Awaited<ReturnType<typeof snapshot>>;
let original: Print;
const backups: Record<string, number> = {};

const app = async () => (await mods.apps.getAppById(appId))!;

/** Everything compared, read as the superuser: identity, catalog fingerprint, every row's hash. */
async function snapshot() {
  const su = adminSql();
  const inDb = adminSql(rich.db);
  try {
    const identity = (await mods.identity.readIdentity(su, rich.db))!;
    const print = await inDb.begin((tx) => mods.fidelity.takeFingerprint(tx, { rows: true }));
    const data = await mods.restore.tableFingerprint(target(rich.db), rich.db);
    const monthly = await inDb<{ m: string }[]>`SELECT md5(string_agg(t::text, ',' ORDER BY month)) AS m FROM app.monthly t`;
    return { identity, print, data, monthly: monthly[0]!.m };
  } finally {
    await su.end();
    await inDb.end();
  }
}

async function run(start: Promise<{ jobId: number; done: Promise<import("@/lib/jobs").JobOutcome> }>) {
  const { jobId, done } = await start;
  const outcome = await done;
  const job = (await mods.jobQueries.getJob(jobId))!;
  if (outcome.status !== "ok") throw new Error(`job #${jobId} ${outcome.status}: ${JSON.stringify(outcome)}\n${job.log}`);
  return { outcome, job };
}

/** What an operator might do between the backup and the restore: settings, privileges, rows, schema. */
async function damage() {
  const su = adminSql();
  try {
    await su.unsafe(`ALTER DATABASE ${rich.db} SET search_path = public`);
    await su.unsafe(`ALTER DATABASE ${rich.db} RESET timezone`);
    await su.unsafe(`COMMENT ON DATABASE ${rich.db} IS 'changed'`);
    await su.unsafe(`ALTER DATABASE ${rich.db} CONNECTION LIMIT -1`);
    await su.unsafe(`GRANT CONNECT ON DATABASE ${rich.db} TO PUBLIC`);
    await su.unsafe(`ALTER ROLE ${rich.owner.user} IN DATABASE ${rich.db} RESET work_mem`);
  } finally {
    await su.end();
  }
  const own = postgres(rich.url(rich.owner), { onnotice: () => {}, max: 1 });
  try {
    await own.unsafe(`DELETE FROM app.orders WHERE id % 5 = 0; UPDATE app.customers SET email = 'x' || email WHERE id < 10;
                      REVOKE SELECT ON app.customers FROM ${rich.ro.user}; GRANT EXECUTE ON FUNCTION app.customer_count() TO PUBLIC;
                      DROP TRIGGER email_changed ON app.customers; REFRESH MATERIALIZED VIEW app.monthly;`);
  } finally {
    await own.end();
  }
}

let metaSql: postgres.Sql;

beforeAll(async () => {
  metaSql = postgres(await useMetaDb(), { onnotice: () => {}, max: 1 });
  mods = {
    apps: await import("@/lib/db/queries/apps"),
    jobs: await import("@/lib/jobs"),
    jobQueries: await import("@/lib/db/queries/jobs"),
    client: await import("@/lib/db/client"),
    identity: await import("@/lib/ops/db-identity"),
    fidelity: await import("@/lib/ops/fidelity"),
    restore: await import("@/lib/ops/restore"),
  };
  rich = await createRichDatabase();
  const validation = await import("@/lib/validation/apps");
  const backupsDir = path.join(await tmpDir("rich"), "backups");
  await fs.mkdir(backupsDir, { recursive: true });
  const p = pg();
  appId = await mods.apps.createApp(validation.appFormSchema.parse({ slug: "rich", url: rich.url(rich.owner), backupsDir, commandTimeoutSec: "30", healthTimeoutSec: "5" }), {
    serverVersion: String(p.major),
    serverVersionNum: p.major * 10000,
    canCreateDb: true,
    pgDumpPath: "",
    dbSizeBytes: 0,
  });
  original = await snapshot();
  // The three methods, all of the same state.
  for (const [key, method, format] of [["custom", "dump", "custom"], ["plain", "dump", "plain"], ["clone", "clone", null]] as const) {
    // The job reads the app's dump format from the metadata database.
    if (format) await metaSql.unsafe(`UPDATE apps SET dump_format = '${format}' WHERE id = ${appId}`);
    const { outcome } = await run(mods.jobs.startBackup({ app: await app(), method, actor: "tester" }));
    backups[key] = (outcome.result as { backupId: number }).backupId;
  }
}, 240_000);

afterAll(async () => {
  await metaSql?.end();
  await mods?.client.closeDb();
  if (rich) await dropRichDatabase(rich);
});

describe("restores give back the database that was backed up", () => {
  it("the fixture is what the issue describes", () => {
    expect(original.identity).toMatchObject({ localeProvider: "i", iculocale: "en-US", connLimit: 50, comment: "The shop's data — do not drop" });
    expect(original.identity.settings).toEqual(["TimeZone=America/New_York", "app.tenant=acme", "search_path=app, public"]);
    expect(original.identity.acl?.some((g) => g.grantee === "PUBLIC")).toBe(false);
    expect(Object.keys(original.print.objects).filter((k) => k.startsWith("extension "))).toEqual(["extension citext", "extension pgcrypto"]);
    expect(original.print.matviews).toEqual(["app.monthly"]);
    expect(original.print.largeObjects).toBe(2);
  });

  for (const key of ["custom", "plain", "clone"] as const) {
    it(`${key}: the plan names every change and what cannot be kept; the restore gives back the rest exactly`, async () => {
      await damage();
      const damaged = await snapshot();
      expect(damaged.identity).not.toEqual(original.identity);

      const preview = await mods.jobs.previewRollback({ kind: "restore", app: await app(), backupId: backups[key]! });
      const props = preview.plan.properties!;
      expect(props.blockers).toEqual([]);
      expect(props.diffs).toEqual(
        expect.arrayContaining([
          { key: "setting:search_path", label: "search_path", from: "public", to: "app, public" },
          { key: "setting:TimeZone", label: "TimeZone", from: "(not set)", to: "America/New_York" },
          expect.objectContaining({ key: "connlimit", from: "unlimited", to: "50" }),
          expect.objectContaining({ key: `role:${rich.owner.user}:work_mem`, to: "8MB" }),
        ]),
      );
      // The owner may not set another role's defaults: named before confirming, with the fix.
      expect(props.notKept).toEqual([expect.objectContaining({ label: expect.stringContaining(`settings for role ${rich.ro.user}`), fix: expect.stringContaining("CREATEROLE") })]);
      expect(preview.plan.warnings.join("\n")).toContain("search_path: public → app, public");
      if (key !== "clone") expect(props.effects.join(" ")).toContain("Materialized views");

      const { job } = await run(mods.jobs.startRestore({ app: await app(), backupId: backups[key]!, actor: "tester" }));
      expect(job.log).toContain("fidelity: schema, owners, grants and row counts match");
      const after = await snapshot();
      // The pages show the size of the database that is live now.
      const su = adminSql();
      const [{ size }] = await su<{ size: string }[]>`SELECT pg_database_size(${rich.db})::text AS size`;
      await su.end();
      // (Measured by this job after the swap; autovacuum may have grown the maps a little since.)
      const shown = await app();
      expect(shown.dbSizeAt!.getTime()).toBeGreaterThanOrEqual(job.startedAt.getTime());
      expect(Math.abs(shown.dbSizeBytes! - Number(size)) / Number(size)).toBeLessThan(0.1);

      // Database properties: everything but what the plan named.
      const off = mods.identity.identityDiff(original.identity, after.identity);
      expect(off).toEqual([{ key: `role:${rich.ro.user}:statement_timeout`, label: `statement_timeout for role ${rich.ro.user}`, from: "5s", to: "(not set)" }]);
      // Schema, owners, grants, row counts: identical, but for the materialized view a dump restore recomputes.
      const diffs = mods.fidelity.compareFingerprints(original.print, { ...after.print }, { matviewsRefreshed: key !== "clone", ownersKept: true, aclsKept: true });
      expect(diffs.filter((d) => !d.explained)).toEqual([]);
      // Every row of every table, generated columns included (computed under the same ICU locale).
      expect(after.data).toEqual(original.data);
      if (key === "clone") expect(after.monthly).toBe(original.monthly);
      else expect(after.monthly).not.toBe(original.monthly);

      // The app works as before: unqualified names (search_path), the time zone, grants and revokes.
      const own = postgres(rich.url(rich.owner), { onnotice: () => {}, max: 1 });
      const ro = postgres(rich.url(rich.ro), { onnotice: () => {}, max: 1 });
      const other = postgres(rich.url(rich.other), { onnotice: () => {}, max: 1 });
      try {
        expect((await own`SELECT count(*)::int AS n FROM customers`)[0]!.n).toBe(500);
        expect((await own`SHOW timezone`)[0]!.TimeZone).toBe("America/New_York");
        expect((await own`SELECT current_setting('app.tenant') AS t`)[0]!.t).toBe("acme");
        expect((await own`SELECT count(*)::int AS n FROM customers WHERE email = ${"USER7@example.com"}`)[0]!.n).toBe(1);
        expect((await ro`SELECT app.customer_count()::int AS n`)[0]!.n).toBe(500);
        expect((await ro`SELECT count(*)::int AS n FROM app.customers`)[0]!.n).toBe(500);
        await expect(ro`SELECT count(*) FROM app.secrets`).rejects.toThrow(/permission denied/);
        await expect(other`SELECT 1`).rejects.toThrow(/permission denied for database/);
      } finally {
        await Promise.all([own.end(), ro.end(), other.end()]);
      }
    }, 120_000);
  }
});
