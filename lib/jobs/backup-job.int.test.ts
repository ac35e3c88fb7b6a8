import fs from "node:fs/promises";
import path from "node:path";
import type postgres from "postgres";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { adminSql, createScratchDb, pg, tmpDir, urlFor, useMetaDb } from "@/test/helpers";
import { seedShop } from "@/scripts/lib/seed-shop";
import { importJobModules, type JobModules } from "@/test/fixtures/job-modules";

// The backup job end to end on a real cluster: the metadata DB, the app's database and real files.
let db: string;
let backupsDir: string;
let appId: number;
let mods: JobModules;
let holder: postgres.Sql | undefined;

async function app() {
  return (await mods.apps.getAppById(appId))!;
}

beforeAll(async () => {
  await useMetaDb();
  mods = await importJobModules();
  db = await createScratchDb("shop");
  const sql = adminSql(db);
  await seedShop(sql, { customers: 300, orders: 600 });
  await sql.end();
  backupsDir = await tmpDir("backups");
  const p = pg();
  const input = mods.validation.appFormSchema.parse({
    slug: "shop-test",
    url: urlFor(db),
    backupsDir,
    retention: "2",
  });
  appId = await mods.apps.createApp(input, {
    serverVersion: "15",
    serverVersionNum: p.major * 10000,
    canCreateDb: true,
    pgDumpPath: "",
    dbSizeBytes: 0,
  });
});

afterAll(async () => {
  await holder?.end({ timeout: 1 }).catch(() => {});
  await mods?.client.closeDb();
});

describe("backup jobs", () => {
  it("writes a verified dump, records it, and audits the job", async () => {
    const { jobId, done } = await mods.jobs.startBackup({ app: await app(), method: "dump", actor: "tester" });
    const outcome = await done;
    expect(outcome.status).toBe("ok");
    const rows = await mods.backups.listBackups(appId);
    const row = rows.find((r) => r.jobId === jobId)!;
    expect(row.status).toBe("ok");
    expect(row.kind).toBe("manual");
    expect(row.name).toMatch(/^db_backup_manual_\d+\.dump$/);
    expect(row.sha256).toMatch(/^[0-9a-f]{64}$/);
    expect(row.verifiedAt).not.toBeNull();
    const stat = await fs.stat(path.join(backupsDir, row.name));
    expect(stat.size).toBe(row.sizeBytes);
    expect((await fs.readdir(backupsDir)).filter((f) => f.endsWith(".partial"))).toEqual([]);
    const job = await mods.jobQueries.getJob(jobId);
    expect(job?.status).toBe("ok");
    expect(job?.log).toContain("verified");
  });

  it("runs one operation per app: a second backup is told who is busy", async () => {
    const first = await mods.jobs.startBackup({ app: await app(), method: "dump", actor: "first" });
    const second = mods.jobs.startBackup({ app: await app(), method: "dump", actor: "second" });
    await expect(second).rejects.toMatchObject({ code: "busy", message: expect.stringContaining(`job #${first.jobId}`) });
    expect((await first.done).status).toBe("ok");
    // Once the first has finished, the lock is free again.
    const third = await mods.jobs.startBackup({ app: await app(), method: "dump", actor: "third" });
    expect((await third.done).status).toBe("ok");
  });

  it("refuses a named backup whose name is taken, before any job starts", async () => {
    const a = await mods.jobs.startBackup({ app: await app(), method: "dump", label: "v1.0.0", actor: "t" });
    expect((await a.done).status).toBe("ok");
    await expect(mods.jobs.startBackup({ app: await app(), method: "dump", label: "v1.0.0", actor: "t" })).rejects.toMatchObject({
      code: "backup_exists",
    });
    await expect(mods.jobs.startBackup({ app: await app(), method: "dump", label: "../etc/passwd", actor: "t" })).rejects.toMatchObject({
      code: "invalid_label",
    });
  });

  it("keeps the newest N automatic backups and never prunes manual, named or pinned ones", async () => {
    const before = await mods.backups.listBackups(appId);
    const kept = before.filter((b) => b.kind !== "automatic").map((b) => b.name);
    for (let i = 0; i < 4; i++) {
      const { done } = await mods.jobs.startBackup({ app: await app(), method: "dump", automatic: true, actor: "deploy" });
      expect((await done).status).toBe("ok");
    }
    const after = await mods.backups.listBackups(appId);
    const automatic = after.filter((b) => b.kind === "automatic");
    expect(automatic).toHaveLength(2);
    for (const name of kept) expect(after.map((b) => b.name)).toContain(name);
    const files = await fs.readdir(backupsDir);
    for (const b of automatic) expect(files).toContain(b.name);
    expect(files.filter((f) => /^db_backup_\d+\.dump$/.test(f))).toHaveLength(2);
  });

  it("clones: says how many sessions are connected, and ends them only when asked", async () => {
    holder = adminSql(db);
    await holder`select 1`;
    await expect(mods.jobs.startBackup({ app: await app(), method: "clone", actor: "t" })).rejects.toMatchObject({
      code: "db_busy",
      message: expect.stringMatching(/being accessed by 1 other session/),
    });
    const { done } = await mods.jobs.startBackup({ app: await app(), method: "clone", endSessions: true, actor: "t" });
    const outcome = await done;
    expect(outcome.status).toBe("ok");
    const clone = (await mods.backups.listBackups(appId)).find((b) => b.method === "clone")!;
    expect(clone.name).toMatch(new RegExp(`^${db}_backup_\\d{8}_\\d{6}$`));
    const sql = adminSql();
    const [flags] = await sql`SELECT datallowconn FROM pg_database WHERE datname = ${db}`;
    const [copy] = await sql`SELECT count(*)::int AS n FROM pg_database WHERE datname = ${clone.name}`;
    await sql.end();
    expect(flags?.datallowconn).toBe(true);
    expect(copy?.n).toBe(1);
  });

  it("lists clone databases the seed's script made earlier as found on server, with cached sizes", async () => {
    const seedClone = `${db}_backup_20260110_103045`;
    const sql = adminSql();
    // What the seed's script does (the previous test's clone ended the other sessions on db).
    await sql`CREATE DATABASE ${sql(seedClone)} TEMPLATE ${sql(db)}`;
    await sql.end();
    const { refreshApp } = await import("@/lib/jobs/refresh");
    await refreshApp(appId);
    const found = (await mods.backups.listBackups(appId)).find((b) => b.name === seedClone);
    expect(found?.kind).toBe("found");
    expect(found?.status).toBe("ok");
    expect(found?.sizeBytes).toBeGreaterThan(1_000_000);
    expect(found?.createdAt.toISOString()).toBe("2026-01-10T10:30:45.000Z");
    expect((await app()).dbSizeBytes).toBeGreaterThan(1_000_000);
    // A second refresh does not list it twice.
    await refreshApp(appId);
    expect((await mods.backups.listBackups(appId)).filter((b) => b.name === seedClone)).toHaveLength(1);
  });

  it("recovers a backup whose process died: partial file removed, job and backup interrupted", async () => {
    const a = await app();
    const jobId = await mods.jobQueries.insertJob({ appId, type: "backup", params: {}, actor: "ghost", owner: "elsewhere:1" });
    const name = "db_backup_manual_1.dump";
    const backupId = await mods.backups.insertBackup({
      appId, name, method: "dump", kind: "manual", format: "custom", createdBy: "ghost", release: null, jobId,
    });
    // What a dump that died mid-way leaves: its journal (written before pg_dump started) and a partial file.
    await mods.jobQueries.appendJournal({ jobId, appId, step: "dump:start", status: "begin", detail: { file: name, partial: `${name}.partial` } });
    await fs.writeFile(path.join(a.backupsDir, `${name}.partial`), "half a dump");
    const reports = await mods.jobs.recoverInterruptedJobs("tester");
    const report = reports.find((r) => r.jobId === jobId)!;
    expect(report.error).toBeUndefined();
    // Removed only after it was read back and found incomplete.
    expect(report.decisions.join(" ")).toMatch(/removed db_backup_manual_1\.dump\.partial: no pg_dump was writing it any more and it does not read back/);
    await expect(fs.access(path.join(a.backupsDir, `${name}.partial`))).rejects.toThrow();
    expect((await mods.jobQueries.getJob(jobId))?.status).toBe("interrupted");
    expect((await mods.backups.getBackup(appId, backupId))?.status).toBe("interrupted");
  });
});
