import fs from "node:fs/promises";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { useMetaDb } from "@/test/helpers";
import { setupSeedDumpApp, type SeedDumpApp } from "@/test/fixtures/seed-dump-app";

// Download a dump through the real route handler: admin only, exact bytes streamed, tampered refused, audited.
// Callers use API tokens; the cookie session (Auth.js, needs Next) is never reached.
vi.mock("@/lib/auth/session", () => ({ getSessionUser: async () => null, requireUser: async () => null }));
let shop: SeedDumpApp;
let tokens: { admin: string; operator: string };
let backupId: number;
let mods: {
  route: typeof import("@/app/api/apps/[app]/backups/[id]/download/route");
  apps: typeof import("@/lib/db/queries/apps");
  backups: typeof import("@/lib/db/queries/backups");
  audit: typeof import("@/lib/db/queries/audit");
  jobs: typeof import("@/lib/jobs");
  refresh: typeof import("@/lib/jobs/refresh");
  client: typeof import("@/lib/db/client");
};

const get = (id: number, token?: string) =>
  mods.route.GET(new Request(`http://lifeboat.test/api/apps/${shop.slug}/backups/${id}/download`, { headers: token ? { authorization: `Bearer ${token}` } : {} }), {
    params: Promise.resolve({ app: shop.slug, id: String(id) }),
  });

beforeAll(async () => {
  await useMetaDb();
  mods = {
    route: await import("@/app/api/apps/[app]/backups/[id]/download/route"),
    apps: await import("@/lib/db/queries/apps"),
    backups: await import("@/lib/db/queries/backups"),
    audit: await import("@/lib/db/queries/audit"),
    jobs: await import("@/lib/jobs"),
    refresh: await import("@/lib/jobs/refresh"),
    client: await import("@/lib/db/client"),
  };
  const { createUser } = await import("@/lib/db/queries/users");
  const { createApiToken } = await import("@/lib/auth/api-auth");
  const admin = await createUser({ email: "admin@example.com", password: "admin-password-1", role: "admin" });
  const operator = await createUser({ email: "op@example.com", password: "operator-password-1", role: "operator" });
  tokens = { admin: (await createApiToken(admin.id, "dl")).token, operator: (await createApiToken(operator.id, "dl")).token };
  shop = await setupSeedDumpApp("shop-dl");
  const { jobId, done } = await mods.jobs.startBackup({ app: (await mods.apps.getAppById(shop.appId))!, method: "dump", actor: "t" });
  expect((await done).status).toBe("ok");
  backupId = (await mods.backups.getBackupByJob(jobId))!.id;
});
afterAll(async () => {
  await mods?.client.closeDb();
});

describe("download a dump", () => {
  it("streams the exact bytes to an admin, with a safe filename and the sha256, and audits it", async () => {
    const b = (await mods.backups.getBackup(shop.appId, backupId))!;
    const res = await get(backupId, tokens.admin);
    expect(res.status).toBe(200);
    expect(res.body).toBeInstanceOf(ReadableStream);
    expect(res.headers.get("content-disposition")).toBe(`attachment; filename="${b.name}"`);
    expect(res.headers.get("x-backup-sha256")).toBe(b.sha256);
    const got = Buffer.from(await res.arrayBuffer());
    expect(got.equals(await fs.readFile(path.join(shop.backupsDir, b.name)))).toBe(true);
    expect(Number(res.headers.get("content-length"))).toBe(got.length);
    const [audit] = await mods.audit.listAudit({ action: "api.backups.download", limit: 1 });
    expect(audit).toMatchObject({ actorEmail: "admin@example.com", result: "ok", appSlug: shop.slug });
    expect(audit!.message).toContain(b.sha256!);
  });

  it("refuses an operator, and a caller without credentials", async () => {
    expect((await get(backupId, tokens.operator)).status).toBe(403);
    expect((await get(backupId)).status).toBe(401);
  });

  it("refuses a found file that was never adopted", async () => {
    await shop.seedDump("db_backup_1748602032.sql");
    await mods.refresh.refreshApp(shop.appId);
    const found = (await mods.backups.listBackups(shop.appId)).find((x) => x.name === "db_backup_1748602032.sql")!;
    const res = await get(found.id, tokens.admin);
    expect(res.status).toBe(422);
    expect(await res.json()).toMatchObject({ code: "no_checksum" });
  });

  it("refuses a tampered file before sending a byte, and marks it tampered", async () => {
    const b = (await mods.backups.getBackup(shop.appId, backupId))!;
    const file = path.join(shop.backupsDir, b.name);
    const bytes = await fs.readFile(file);
    bytes[bytes.length - 10] ^= 0xff; // same size, one byte changed
    await fs.writeFile(file, bytes);
    const res = await get(backupId, tokens.admin);
    expect(res.status).toBe(422);
    expect(await res.json()).toMatchObject({ status: "error", code: "tampered" });
    expect((await mods.backups.getBackup(shop.appId, backupId))?.status).toBe("tampered");
    expect((await get(backupId, tokens.admin)).status).toBe(422);
  });

  it("refuses a directory-format dump (a folder, not one file) with what to do instead", async () => {
    const { getDb } = await import("@/lib/db/client");
    const { apps } = await import("@/lib/db/schema");
    const { eq } = await import("drizzle-orm");
    await getDb().update(apps).set({ dumpFormat: "directory" }).where(eq(apps.id, shop.appId));
    const { jobId, done } = await mods.jobs.startBackup({ app: (await mods.apps.getAppById(shop.appId))!, method: "dump", actor: "t" });
    expect((await done).status).toBe("ok");
    const dir = (await mods.backups.getBackupByJob(jobId))!;
    expect(dir.format).toBe("directory");
    const res = await get(dir.id, tokens.admin);
    expect(res.status).toBe(422);
    expect(await res.json()).toMatchObject({ code: "not_a_file", message: expect.stringMatching(/copy the folder/) });
  });
});
