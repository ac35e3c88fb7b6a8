import fs from "node:fs/promises";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { seedShop } from "@/scripts/lib/seed-shop";
import { adminSql, createScratchDb, pg, tmpDir, urlFor, useMetaDb } from "@/test/helpers";
import type { SessionUser } from "@/lib/auth/session";

// Issue 7, finding 1, through the real server actions, jobs and psql: a recorded plain backup whose file
// was replaced is refused as tampered by "Restore database", nothing in it runs, and the backup says so.
// Only who is signed in is faked (and Next's cache invalidation, which needs a request).

const session = vi.hoisted(() => ({ user: null as SessionUser | null }));
vi.mock("@/lib/auth/session", () => ({
  getSessionUser: async () => session.user,
  requireUser: async () => {
    throw new Error("pages are not under test here");
  },
}));
vi.mock("next/cache", () => ({ revalidatePath: () => {} }));

const ADMIN: SessionUser = { id: 1, email: "ada@example.com", role: "admin" };
const OPERATOR: SessionUser = { id: 2, email: "otto@example.com", role: "operator" };

let mods: {
  apps: typeof import("@/lib/db/queries/apps");
  backups: typeof import("@/lib/db/queries/backups");
  jobQueries: typeof import("@/lib/db/queries/jobs");
  audit: typeof import("@/lib/db/queries/audit");
  client: typeof import("@/lib/db/client");
  appActions: typeof import("@/app/(dashboard)/apps/[app]/actions");
  releaseActions: typeof import("@/app/(dashboard)/apps/[app]/releases/actions");
  restore: typeof import("@/lib/ops/restore");
};
let db: string;
let backupsDir: string;
let appId: number;
let metaUrl: string;
const SLUG = "shop-integrity";

beforeAll(async () => {
  metaUrl = await useMetaDb();
  mods = {
    apps: await import("@/lib/db/queries/apps"),
    backups: await import("@/lib/db/queries/backups"),
    jobQueries: await import("@/lib/db/queries/jobs"),
    audit: await import("@/lib/db/queries/audit"),
    client: await import("@/lib/db/client"),
    appActions: await import("@/app/(dashboard)/apps/[app]/actions"),
    releaseActions: await import("@/app/(dashboard)/apps/[app]/releases/actions"),
    restore: await import("@/lib/ops/restore"),
  };
  db = await createScratchDb("shopint");
  const sql = adminSql(db);
  await seedShop(sql, { customers: 50, orders: 100 });
  await sql.end();
  backupsDir = await tmpDir("backups");
  const validation = await import("@/lib/validation/apps");
  const input = validation.appFormSchema.parse({ slug: SLUG, url: urlFor(db), backupsDir, dumpFormat: "plain", retention: "5" });
  appId = await mods.apps.createApp(input, { serverVersion: "15", serverVersionNum: pg().major * 10000, canCreateDb: true, pgDumpPath: "", dbSizeBytes: 0 });
});

afterAll(async () => {
  await mods?.client.closeDb();
});

async function settled(jobId: number) {
  for (let i = 0; i < 600; i++) {
    const job = await mods.jobQueries.getJob(jobId);
    if (job && ["ok", "failed", "interrupted"].includes(job.status)) return job;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`job #${jobId} did not finish`);
}

async function takeBackup(as: SessionUser, extra: Record<string, unknown> = {}) {
  session.user = as;
  const r = await mods.appActions.startBackupAction({ app: SLUG, method: "dump", ...extra });
  expect(r).toMatchObject({ status: "ok" });
  const job = await settled((r as { data: { jobId: number } }).data.jobId);
  expect(job.status, job.error ?? "").toBe("ok");
  const row = await mods.backups.getBackupByJob(job.id);
  return row!;
}

async function databasesLike(prefix: string): Promise<string[]> {
  const sql = adminSql();
  try {
    return (await sql<{ datname: string }[]>`SELECT datname FROM pg_database WHERE datname LIKE ${`${prefix}%`}`).map((r) => r.datname);
  } finally {
    await sql.end();
  }
}

async function live() {
  const app = (await mods.apps.getAppById(appId))!;
  const target = await mods.apps.getAppTarget(app.id);
  return mods.restore.tableFingerprint(target, target.database);
}

/** "Restore database" of this backup through its job succeeds and gives back the same tables. */
async function restoresUnchanged(backupId: number) {
  const before = await live();
  session.user = ADMIN;
  const r = await mods.releaseActions.restoreAction({ app: SLUG, backupId, confirm: SLUG });
  expect(r).toMatchObject({ status: "ok" });
  const job = await settled((r as { data: { jobId: number } }).data.jobId);
  expect(job.status, job.error ?? "").toBe("ok");
  expect(await live()).toEqual(before);
}

describe("Restore database runs only what Lifeboat wrote", () => {
  it("a genuine plain backup (pg_dump --restrict-key) restores through the job", async () => {
    const b = await takeBackup(OPERATOR);
    expect(await fs.readFile(path.join(backupsDir, b.name), "utf8")).toMatch(/^\\restrict [A-Za-z0-9]+$/m);
    await restoresUnchanged(b.id);
  });

  it("a recorded plain backup whose file was replaced is refused as tampered; nothing in it runs", async () => {
    // Taken as a pipeline does before deploying "r-next": the default backup of a rollback from r-next.
    const b = await takeBackup(OPERATOR, { forRelease: "r-next" });
    const file = path.join(backupsDir, b.name);
    const marker = path.join(await tmpDir("marker"), "pwned");
    // The finding's payload: a FROM STDIN inside a string makes a scanner think COPY data started; then \!.
    const genuine = await fs.readFile(file, "utf8");
    const hostile = genuine
      .replace(/^\\(un)?restrict [A-Za-z0-9]+\n/gm, "")
      .replace("SET statement_timeout = 0;\n", `SET statement_timeout = 0;\nCOPY (SELECT 'x FROM STDIN') TO STDOUT;\n\\! touch ${marker}\n`);
    await fs.writeFile(file, hostile);
    const stagingBefore = await databasesLike(`${db}_staging`);
    const before = await live();

    session.user = ADMIN;
    const r = await mods.releaseActions.restoreAction({ app: SLUG, backupId: b.id, confirm: SLUG });
    const jobId = r.status === "ok" ? (r.data as { jobId: number }).jobId : null;
    if (jobId !== null) {
      const job = await settled(jobId);
      expect(job.status).toBe("failed");
      expect(job.error).toMatch(/changed after Lifeboat wrote it/);
    } else {
      expect(r).toMatchObject({ status: "error", code: "tampered" });
    }
    expect(await fs.access(marker).then(() => true, () => false)).toBe(false);
    expect(await databasesLike(`${db}_staging`)).toEqual(stagingBefore);
    expect(await live()).toEqual(before);

    const row = await mods.backups.getBackup(appId, b.id);
    expect(row).toMatchObject({ status: "tampered" });
    expect(row!.error).toMatch(/changed after Lifeboat wrote it/);
    const [audit] = await mods.audit.listAudit({ action: "backups.tampered", limit: 1 });
    expect(audit).toMatchObject({ appSlug: SLUG, result: "denied" });

    // From now on it is refused at once, before any job, and never a usable default.
    const again = await mods.releaseActions.restoreAction({ app: SLUG, backupId: b.id, confirm: SLUG });
    expect(again).toMatchObject({ status: "error", code: "tampered" });
    const dflt = await mods.backups.getDefaultRollbackBackup(appId, { successorRelease: "r-next", targetRelease: "none" });
    expect(dflt).toMatchObject({ backup: { id: b.id, status: "tampered" }, usable: false });
    expect(await fs.access(marker).then(() => true, () => false)).toBe(false);
  });

  it("Verify finds a changed file, marks it tampered and never hands it to pg_restore", async () => {
    const b = await takeBackup(OPERATOR);
    const file = path.join(backupsDir, b.name);
    await fs.appendFile(file, "\n-- appended\n");
    session.user = OPERATOR;
    const r = await mods.appActions.verifyBackupAction({ app: SLUG, backupId: b.id });
    expect(r).toMatchObject({ status: "ok" });
    const job = await settled((r as { data: { jobId: number } }).data.jobId);
    expect(job.status).toBe("failed");
    expect(await mods.backups.getBackup(appId, b.id)).toMatchObject({ status: "tampered" });
  });

  it("a dump with no recorded checksum is not restorable through Lifeboat", async () => {
    const b = await takeBackup(OPERATOR);
    const sql = adminSql(new URL(metaUrl).pathname.slice(1));
    await sql`UPDATE backups SET sha256 = NULL WHERE id = ${b.id}`;
    await sql.end();
    session.user = ADMIN;
    expect(await mods.releaseActions.restoreAction({ app: SLUG, backupId: b.id, confirm: SLUG })).toMatchObject({ status: "error", code: "no_checksum" });
  });
});

describe("directory-format backups through the jobs", () => {
  it("are written as a .dir, verified, restored with pg_restore -j; a changed member is found by Verify and refused", async () => {
    const meta = adminSql(new URL(metaUrl).pathname.slice(1));
    await meta`UPDATE apps SET dump_format = 'directory' WHERE id = ${appId}`;
    await meta.end();
    try {
      const b = await takeBackup(OPERATOR);
      expect(b).toMatchObject({ format: "directory", name: expect.stringMatching(/\.dir$/) });
      const dir = path.join(backupsDir, b.name);
      expect(await fs.readdir(dir)).toContain("toc.dat");
      await restoresUnchanged(b.id);

      const member = (await fs.readdir(dir)).find((f) => f.endsWith(".dat.gz"))!;
      await fs.appendFile(path.join(dir, member), "x");
      session.user = OPERATOR;
      const v = await mods.appActions.verifyBackupAction({ app: SLUG, backupId: b.id });
      expect((await settled((v as { data: { jobId: number } }).data.jobId)).status).toBe("failed");
      expect(await mods.backups.getBackup(appId, b.id)).toMatchObject({ status: "tampered" });
      session.user = ADMIN;
      expect(await mods.releaseActions.restoreAction({ app: SLUG, backupId: b.id, confirm: SLUG })).toMatchObject({ status: "error", code: "tampered" });
    } finally {
      const sql = adminSql(new URL(metaUrl).pathname.slice(1));
      await sql`UPDATE apps SET dump_format = 'plain' WHERE id = ${appId}`;
      await sql.end();
    }
  });
});
