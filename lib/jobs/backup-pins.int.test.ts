import fs from "node:fs/promises";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { adminSql, createScratchDb, pg, tmpDir, urlFor, useMetaDb } from "@/test/helpers";
import type { SessionUser } from "@/lib/auth/session";

// Issue 7, finding 8, through the real server actions and backup jobs: an operator cannot destroy a
// backup an admin pinned, neither by unpinning it nor by letting retention prune it.

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
  client: typeof import("@/lib/db/client");
  actions: typeof import("@/app/(dashboard)/apps/[app]/actions");
};
let backupsDir: string;
let appId: number;
const SLUG = "shop-pins";

beforeAll(async () => {
  await useMetaDb();
  mods = {
    apps: await import("@/lib/db/queries/apps"),
    backups: await import("@/lib/db/queries/backups"),
    jobQueries: await import("@/lib/db/queries/jobs"),
    client: await import("@/lib/db/client"),
    actions: await import("@/app/(dashboard)/apps/[app]/actions"),
  };
  const db = await createScratchDb("pins");
  const sql = adminSql(db);
  await sql`CREATE TABLE t (a int)`;
  await sql`INSERT INTO t SELECT generate_series(1, 100)`;
  await sql.end();
  backupsDir = await tmpDir("backups");
  const validation = await import("@/lib/validation/apps");
  const input = validation.appFormSchema.parse({ slug: SLUG, url: urlFor(db), backupsDir, retention: "1" });
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

/** An automatic dump (what a deploy pipeline takes), as `as`; resolves when its job, retention included, is done. */
async function automaticBackup(as: SessionUser) {
  session.user = as;
  const r = await mods.actions.startBackupAction({ app: SLUG, method: "dump", automatic: "on" });
  expect(r).toMatchObject({ status: "ok" });
  const job = await settled((r as { data: { jobId: number } }).data.jobId);
  expect(job.status, job.error ?? "").toBe("ok");
  return (await mods.backups.getBackupByJob(job.id))!;
}

async function pin(as: SessionUser, backupId: number, pinned: boolean) {
  session.user = as;
  return mods.actions.pinBackupAction({ app: SLUG, backupId, pinned: pinned ? "true" : "false" });
}

const alive = async (id: number) => (await mods.backups.getBackup(appId, id)) !== undefined;
const onDisk = (name: string) => fs.access(path.join(backupsDir, name)).then(() => true, () => false);

describe("roles hold at the data: pins and retention", () => {
  it("the finding: admin pins; the operator's unpin is refused; the operator's automatic backups leave it alone", async () => {
    const kept = await automaticBackup(OPERATOR);
    expect(await pin(ADMIN, kept.id, true)).toMatchObject({ status: "ok" });
    expect(await mods.backups.getBackup(appId, kept.id)).toMatchObject({ pinned: true, pinnedBy: ADMIN.email, pinnedRole: "admin" });

    const unpin = await pin(OPERATOR, kept.id, false);
    expect(unpin).toMatchObject({ status: "error", code: "forbidden" });
    expect((unpin as { message: string }).message).toMatch(/only an admin can unpin/);
    // Pinning it again as an operator does not take the admin's pin over.
    expect(await pin(OPERATOR, kept.id, true)).toMatchObject({ status: "ok" });
    expect(await mods.backups.getBackup(appId, kept.id)).toMatchObject({ pinned: true, pinnedBy: ADMIN.email, pinnedRole: "admin" });
    expect(await pin(OPERATOR, kept.id, false)).toMatchObject({ status: "error", code: "forbidden" });

    for (let i = 0; i < 3; i++) await automaticBackup(OPERATOR);
    expect(await alive(kept.id)).toBe(true);
    expect(await onDisk(kept.name)).toBe(true);
  });

  it("once an admin pinned it, an operator's retention never prunes it, even after an admin unpinned it", async () => {
    const kept = await automaticBackup(OPERATOR);
    expect(await pin(ADMIN, kept.id, true)).toMatchObject({ status: "ok" });
    expect(await pin(ADMIN, kept.id, false)).toMatchObject({ status: "ok" });
    const others = [await automaticBackup(OPERATOR), await automaticBackup(OPERATOR)];
    expect(await alive(kept.id)).toBe(true);
    expect(await onDisk(kept.name)).toBe(true);
    // Retention still works for everything else: with keep = 1 only the newest ordinary one is left.
    expect(await alive(others[0]!.id)).toBe(false);
    expect(await alive(others[1]!.id)).toBe(true);

    // An admin's automatic backup prunes it: deleting is an admin's right.
    await automaticBackup(ADMIN);
    expect(await alive(kept.id)).toBe(false);
    expect(await onDisk(kept.name)).toBe(false);
  });

  it("an operator's own pin can be undone by an operator", async () => {
    const b = await automaticBackup(OPERATOR);
    expect(await pin(OPERATOR, b.id, true)).toMatchObject({ status: "ok" });
    expect(await mods.backups.getBackup(appId, b.id)).toMatchObject({ pinned: true, pinnedRole: "operator" });
    expect(await pin(OPERATOR, b.id, false)).toMatchObject({ status: "ok" });
    expect(await mods.backups.getBackup(appId, b.id)).toMatchObject({ pinned: false, adminPinnedAt: null });
  });
});
