import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { z } from "zod";
import { useMetaDb } from "@/test/helpers";
import type { SessionUser } from "@/lib/auth/session";

// A readable audit: previews (reads) are not logged as actions, old preview rows are hidden from the page
// unless asked for, and backups show by name.
const session = vi.hoisted(() => ({ user: null as SessionUser | null }));
vi.mock("@/lib/auth/session", () => ({ getSessionUser: async () => session.user, requireUser: async () => session.user }));

const { defineAction } = await import("@/lib/actions/wrapper");
const { closeDb } = await import("@/lib/db/client");
const { backupNamesFor, listAudit, recordAudit } = await import("./audit");

const ADMIN: SessionUser = { id: 1, email: "ada@example.com", role: "admin" };
const preview = defineAction({
  name: "test.preview",
  role: "admin",
  schema: z.object({ app: z.string().min(2) }),
  audit: { app: (i) => i.app, read: true },
  handler: async () => ({ plan: "…" }),
});

beforeAll(async () => {
  await useMetaDb();
});
afterAll(async () => {
  await closeDb();
});

const entry = (action: string, result: "ok" | "error", params: Record<string, unknown> = {}, appSlug: string | null = "shop") =>
  recordAudit({ actor: "ada@example.com", actorId: 1, appSlug, action, params, result, message: null, durationMs: 1, authenticated: true });

describe("readable audit", () => {
  it("a read action is audited only when refused or invalid, never when it succeeds", async () => {
    session.user = ADMIN;
    expect((await preview({ app: "shop" })).status).toBe("ok");
    expect(await listAudit({ action: "test.preview", limit: 10 })).toHaveLength(0);
    expect((await preview({ app: "" })).status).toBe("invalid");
    session.user = null;
    expect((await preview({ app: "shop" })).status).toBe("error");
    expect((await listAudit({ action: "test.preview", limit: 10 })).map((r) => r.result).sort()).toEqual(["denied", "invalid"]);
  });

  it("hides successful previews logged before, unless the action filter names them", async () => {
    await entry("rollback.preview", "ok");
    await entry("rollback.preview", "error");
    await entry("rollback.start", "ok");
    const page = await listAudit({ hideReads: true, limit: 100 });
    expect(page.filter((r) => r.action === "rollback.preview").map((r) => r.result)).toEqual(["error"]);
    expect(page.some((r) => r.action === "rollback.start")).toBe(true);
    expect(await listAudit({ hideReads: true, action: "rollback.preview", limit: 10 })).toHaveLength(2);
  });

  it("names the backups rows refer to by id, deleted ones too, only within the row's app", async () => {
    const { getDb } = await import("@/lib/db/client");
    const { apps, backups } = await import("@/lib/db/schema");
    const [a] = await getDb().insert(apps).values({ slug: "shop", dbHost: "h", dbUser: "u", dbName: "shop", backupsDir: "/tmp" }).returning({ id: apps.id });
    const [b] = await getDb()
      .insert(backups)
      .values({ appId: a!.id, name: "shop_backup_20261201_205528", method: "clone", kind: "named", label: "v2.0.0", deletedAt: new Date() })
      .returning({ id: backups.id });
    await entry("backups.delete", "ok", { backupId: b!.id });
    await entry("backups.verify", "ok", { backupId: b!.id }, "other-app");
    const rows = await listAudit({ action: "backups", limit: 10 });
    const names = await backupNamesFor(rows);
    expect(names.get(`shop:${b!.id}`)).toBe("shop_backup_20261201_205528");
    expect(names.has(`other-app:${b!.id}`)).toBe(false);
  });
});
