import fs from "node:fs/promises";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { adminSql, createScratchDb, pg, tmpDir, useMetaDb } from "@/test/helpers";
import { createOrdinaryRole, recordingContext, type OrdinaryRole } from "@/test/ordinary-role";
import { importJobModules, type JobModules } from "@/test/fixtures/job-modules";

// Jobs run as an ordinary role (CREATEDB, owner of the app's database): forced row-level security is
// refused before pg_dump starts; an extension the role could not re-create marks the backup as not
// restorable by it, before any restore is offered; recovery finds staging databases a failed run left.
let db: string;
let backupsDir: string;
let appId: number;
let me: OrdinaryRole;
let mods: JobModules & {
  resolve: typeof import("@/lib/jobs/rollback-resolve");
};

const app = async () => (await mods.apps.getAppById(appId))!;

async function exec(text: string, database = db) {
  const sql = adminSql(database);
  try {
    await sql.unsafe(text);
  } finally {
    await sql.end();
  }
}

async function backup(method: "dump" | "clone") {
  const { jobId, done } = await mods.jobs.startBackup({ app: await app(), method, actor: "tester", endSessions: true });
  const outcome = await done;
  const row = (await mods.backups.listBackups(appId)).find((r) => r.jobId === jobId)!;
  return { outcome, row, job: (await mods.jobQueries.getJob(jobId))! };
}

beforeAll(async () => {
  await useMetaDb();
  mods = {
    ...(await importJobModules()),
    resolve: await import("@/lib/jobs/rollback-resolve"),
  };
  db = await createScratchDb("ordapp");
  me = await createOrdinaryRole([db]);
  // A superuser installed an untrusted extension (pg_stat_statements) and a trusted one (citext).
  await exec(`CREATE EXTENSION pg_stat_statements; CREATE EXTENSION citext;`);
  await exec(`CREATE TABLE notes (id int PRIMARY KEY, body citext); INSERT INTO notes SELECT g, 'n' || g FROM generate_series(1, 50) g;
              CREATE TABLE secrets (id int, owner_name text); INSERT INTO secrets SELECT g, 'u' || (g % 3) FROM generate_series(1, 30) g;
              ALTER TABLE notes OWNER TO ${me.role}; ALTER TABLE secrets OWNER TO ${me.role};
              ALTER TABLE secrets ENABLE ROW LEVEL SECURITY; ALTER TABLE secrets FORCE ROW LEVEL SECURITY;
              CREATE POLICY mine ON secrets USING (owner_name = current_user);`);
  backupsDir = await tmpDir("ordbackups");
  const p = pg();
  const input = mods.validation.appFormSchema.parse({
    slug: "ord-app",
    url: `postgres://${me.role}:${encodeURIComponent(me.password)}@${p.host}:${p.port}/${db}`,
    backupsDir,
    retention: "5",
  });
  appId = await mods.apps.createApp(input, { serverVersion: "15", serverVersionNum: p.major * 10000, canCreateDb: true, pgDumpPath: "", dbSizeBytes: 0 });
});

afterAll(async () => {
  await mods?.client.closeDb();
});

describe("forced row-level security", () => {
  it("refuses the dump before pg_dump starts, naming the table and the fix; never a dump of the visible rows", async () => {
    const { outcome, row, job } = await backup("dump");
    expect(outcome.status).toBe("failed");
    expect(job.errorCode).toBe("rls_blocks_dump");
    expect(row.status).toBe("failed");
    expect(row.error).toContain("public.secrets (FORCE ROW LEVEL SECURITY)");
    expect(row.error).toContain(`ALTER ROLE "${me.role}" BYPASSRLS`);
    expect(await fs.readdir(backupsDir)).toEqual([]); // pg_dump never ran: no file, not even a partial
  });

  it("dumps every row once the role bypasses row-level security", async () => {
    await exec(`ALTER ROLE ${me.role} BYPASSRLS`, "postgres");
    const { outcome, row } = await backup("dump");
    expect(outcome.status).toBe("ok");
    expect(row.status).toBe("ok");
    const { restoreDumpToNewDatabase, tableFingerprint } = await import("@/lib/ops/restore");
    const { clientToolFor } = await import("@/lib/ops/pg-bin");
    // Restored as the superuser (the extension is not the question here): all 30 rows, not the visible 0.
    const su = { host: pg().host, port: pg().port, user: pg().user, password: pg().password, database: db };
    const restored = `${db}_check_rls`;
    const tools = { pgRestore: await clientToolFor("pg_restore", pg().major), psql: await clientToolFor("psql", pg().major) };
    await restoreDumpToNewDatabase({ target: su, ...tools, file: `${backupsDir}/${row.name}`, format: "custom", sha256: row.sha256, newDb: restored, ctx: recordingContext().ctx });
    expect((await tableFingerprint(su, restored)).find((t) => t.table.endsWith("secrets"))?.rows).toBe(30);
  });
});

describe("restorable by this role", () => {
  it("flags a dump with an extension the role cannot create, and the plan refuses it before anything starts", async () => {
    const { outcome, row, job } = await backup("dump");
    expect(outcome.status).toBe("ok");
    expect(row.restoreBlockers?.map((b) => b.name)).toEqual(["pg_stat_statements"]); // citext is trusted
    expect(row.restoreBlockers?.[0]?.fix).toContain("clone backups");
    expect(job.log).toContain("could not restore this dump");
    await expect(mods.resolve.resolveRestore({ app: await app(), backupId: row.id })).rejects.toMatchObject({
      code: "not_restorable_by_role",
      message: expect.stringContaining("only a superuser may create extension pg_stat_statements"),
    });
    await expect(mods.jobs.startRestore({ app: await app(), backupId: row.id, actor: "tester" })).rejects.toMatchObject({ code: "not_restorable_by_role" });
  });

  it("the flag is true: restoring that dump as the role fails at CREATE EXTENSION", async () => {
    const row = (await mods.backups.listBackups(appId)).find((r) => r.status === "ok" && r.restoreBlockers?.length)!;
    const { restoreDumpToNewDatabase } = await import("@/lib/ops/restore");
    const { clientToolFor } = await import("@/lib/ops/pg-bin");
    const tools = { pgRestore: await clientToolFor("pg_restore", pg().major), psql: await clientToolFor("psql", pg().major) };
    const err = await restoreDumpToNewDatabase({ target: me.target(db), ...tools, file: `${backupsDir}/${row.name}`, format: "custom", sha256: row.sha256, newDb: `${db}_check_ext`, ctx: recordingContext().ctx }).catch((e) => e);
    expect(err).toMatchObject({ code: "restore_failed", message: expect.stringContaining("permission denied to create extension") });
  });

  it("a clone backup of the same database has no blockers and can be restored", async () => {
    const { outcome, row } = await backup("clone");
    expect(outcome.status).toBe("ok");
    expect(row.restoreBlockers).toEqual([]);
    const resolved = await mods.resolve.resolveRestore({ app: await app(), backupId: row.id });
    expect(resolved.backup?.id).toBe(row.id);
  });
});

describe("recovery finds leftover staging databases", () => {
  it("drops a staging copy no job accounts for, says why it cannot while a superuser holds it, and leaves other names alone", async () => {
    const leftover = `${db}_staging_20250101_000000`;
    const notOurs = [`${db}_backup_20250101_000000`, `${db}_staging_copy`];
    for (const n of [leftover, ...notOurs]) await exec(`CREATE DATABASE ${n} OWNER ${me.role}`, "postgres");
    const { default: postgres } = await import("postgres");
    const { urlFor } = await import("@/test/helpers");
    const holder = postgres(urlFor(leftover), { max: 1, onnotice: () => {} });
    await holder`SELECT 1`;
    let reports = await mods.jobs.recoverInterruptedJobs("tester", appId);
    expect(reports).toHaveLength(1);
    expect(reports[0]).toMatchObject({ jobId: null, type: "leftovers" });
    expect(reports[0]!.decisions.join("\n")).toMatch(new RegExp(`could not drop it: .*a superuser`));
    const flags = adminSql();
    const [{ allow }] = await flags<{ allow: boolean }[]>`SELECT datallowconn AS allow FROM pg_database WHERE datname = ${leftover}`;
    await flags.end();
    expect(allow).toBe(true); // a refused drop leaves the flag as it was
    await holder.end();
    reports = await mods.jobs.recoverInterruptedJobs("tester", appId);
    expect(reports.map((r) => r.decisions).flat()).toEqual([expect.stringContaining(`dropped the staging database ${leftover}`)]);
    expect(await mods.jobs.recoverInterruptedJobs("tester", appId)).toEqual([]);
    const sql = adminSql();
    const left = (await sql<{ n: string }[]>`SELECT datname AS n FROM pg_database WHERE datname = ANY(${[leftover, ...notOurs]}) ORDER BY 1`).map((r) => r.n);
    await sql.end();
    expect(left).toEqual([...notOurs].sort());
  });
});
