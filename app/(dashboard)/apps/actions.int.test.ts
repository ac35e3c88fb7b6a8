// The app form's server actions against a real metadata database, a real PostgreSQL and a real TCP listener
// standing in for an attacker's host: issue 7 findings 4 (the stored password goes only where it was stored
// for) and 10 (settings that refuse danger), checked before anything is sent or stored.
import fs from "node:fs/promises";
import net from "node:net";
import path from "node:path";
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from "vitest";
import type { SessionUser } from "@/lib/auth/session";
import { createScratchDb, pg, tmpDir, useMetaDb } from "@/test/helpers";

const session = vi.hoisted(() => ({ user: null as SessionUser | null }));
vi.mock("@/lib/auth/session", () => ({
  getSessionUser: async () => session.user,
  requireUser: async () => {
    throw new Error("pages are not under test here");
  },
}));
// next-auth cannot load outside Next here (see test/actions-guard.int.test.ts); nothing below signs in.
vi.mock("@/lib/auth", () => ({}));
// Outside a Next request there is no cache to revalidate.
vi.mock("next/cache", () => ({ revalidatePath: () => {} }));

type Actions = typeof import("./actions");
let actions: Actions;
let apps: typeof import("@/lib/db/queries/apps");
let closeDb: () => Promise<void>;
let database: string;
let backupsDir: string;

// The attacker's "database server": another loopback address on the cluster's port, counting connections.
let listener: net.Server;
let received: number;
const EVIL_HOST = "127.0.0.2";

beforeAll(async () => {
  await useMetaDb();
  actions = await import("./actions");
  apps = await import("@/lib/db/queries/apps");
  closeDb = (await import("@/lib/db/client")).closeDb;
  database = await createScratchDb("s4app");
  backupsDir = await tmpDir("backups");
  const p = pg();
  await apps.createApp(
    (await import("@/lib/validation/apps")).appFormSchema.parse({ slug: "shop", host: p.host, port: String(p.port), user: p.user, password: p.password, database, backupsDir }),
    { serverVersion: "15", serverVersionNum: 150000, canCreateDb: true, pgDumpPath: "", dbSizeBytes: 0 },
  );
  listener = net.createServer((socket) => {
    received++;
    // Answer the startup message like a server refusing the password, so the client gives up at once.
    socket.once("data", () => socket.end(pgError("28P01", "password authentication failed")));
    socket.on("error", () => {});
  });
  await new Promise<void>((resolve) => listener.listen(p.port, EVIL_HOST, resolve));
  session.user = { id: 1, email: "admin@example.com", role: "admin" };
});

beforeEach(() => {
  received = 0;
});

afterAll(async () => {
  await new Promise((resolve) => listener?.close(resolve));
  await closeDb?.();
});

const p = () => pg();

/** A PostgreSQL ErrorResponse message. */
function pgError(code: string, message: string): Buffer {
  const body = Buffer.concat([Buffer.from(`SFATAL\0C${code}\0M${message}\0`), Buffer.from([0])]);
  const head = Buffer.alloc(5);
  head.write("E", 0);
  head.writeInt32BE(body.length + 4, 1);
  return Buffer.concat([head, body]);
}
const form = (over: Record<string, string>) => ({ slug: "shop", host: p().host, port: String(p().port), user: p().user, database, backupsDir, ...over });

describe("finding 4: a stored password never goes somewhere new", () => {
  it("refuses 'test connection' with the app's name and another host, and sends nothing there", async () => {
    const r = await actions.testConnectionAction(form({ host: EVIL_HOST }));
    expect(r).toMatchObject({ status: "invalid", fieldErrors: { password: [expect.stringContaining("Type the password again")] } });
    expect(received).toBe(0);
  });

  it.each([
    ["port", () => ({ port: "1" })],
    ["user", () => ({ user: "someone_else" })],
    ["database", () => ({ database: "other_db" })],
    ["host, from a URL without a password", () => ({ url: `postgres://${p().user}@${EVIL_HOST}:${p().port}/${database}` })],
  ])("also when the %s changes (test and save)", async (_what, over) => {
    const input = form(over());
    for (const action of [actions.testConnectionAction, actions.updateAppAction]) {
      expect(await action(input)).toMatchObject({ status: "invalid", fieldErrors: { password: expect.any(Array) } });
    }
    expect(received).toBe(0);
  });

  it("does connect to the new host once the password is typed again (the listener is real)", async () => {
    const r = await actions.testConnectionAction(form({ host: EVIL_HOST, password: "typed-again" }));
    expect(r.status).toBe("error");
    expect(received).toBeGreaterThan(0);
  });

  it("keeps using the stored password for the unchanged connection", async () => {
    const r = await actions.testConnectionAction(form({}));
    expect(r).toMatchObject({ status: "ok", data: { summary: expect.stringContaining("Connected") } });
  });
});

describe("finding 10: settings that refuse danger", () => {
  it.each([
    ["a file as backups directory", { backupsDir: "/etc/passwd" }, "backupsDir", /is a file/],
    ["a file as deploy root", { deployRoot: "/etc/passwd" }, "deployRoot", /is a file/],
    ["a file as working directory", { commandCwd: "/etc/passwd" }, "commandCwd", /is a file/],
    ["a missing backups directory", { backupsDir: "/nonexistent/lifeboat/backups" }, "backupsDir", /does not exist/],
    ["the filesystem root as deploy root", { deployRoot: "/" }, "deployRoot", /operating system/],
    ["/etc as backups directory", { backupsDir: "/etc" }, "backupsDir", /operating system/],
    ["postgres as the database", { database: "postgres" }, "database", /system database/],
    ["template1 as the database", { database: "template1" }, "database", /system database/],
  ])("refuses %s, before connecting", async (_label, over, field, message) => {
    for (const action of [actions.createAppAction, actions.testConnectionAction]) {
      const r = await action({ ...form({ slug: "inventory", host: EVIL_HOST, password: "pw" }), ...over });
      expect(r).toMatchObject({ status: "invalid", fieldErrors: { [field]: [expect.stringMatching(message)] } });
    }
    expect(received).toBe(0);
  });

  it("refuses Lifeboat's own metadata database", async () => {
    const meta = new URL((await import("@/lib/env")).env().DATABASE_URL!).pathname.slice(1);
    const r = await actions.testConnectionAction(form({ slug: "inventory", database: meta, password: p().password }));
    expect(r).toMatchObject({ status: "invalid", fieldErrors: { database: [expect.stringContaining("metadata database")] } });
  });

  it.each(["new", "api", "settings"])("refuses the reserved name %s for a new app", async (slug) => {
    const r = await actions.createAppAction(form({ slug, password: p().password }));
    expect(r).toMatchObject({ status: "invalid", fieldErrors: { slug: [expect.stringContaining("reserved")] } });
    expect(await apps.getAppBySlug(slug)).toBeUndefined();
  });

  it("refuses a backups directory every user may write to", async () => {
    const open = await tmpDir("open");
    await fs.chmod(open, 0o777);
    const r = await actions.testConnectionAction(form({ backupsDir: open }));
    expect(r).toMatchObject({ status: "invalid", fieldErrors: { backupsDir: [expect.stringContaining("writable by every user")] } });
  });

  it("stores a symlinked directory as its real path and says so", async () => {
    const real = await tmpDir("real-backups");
    const link = path.join(await tmpDir("links"), "backups");
    await fs.symlink(real, link);
    const own = await createScratchDb("inventory");
    const r = await actions.createAppAction(form({ slug: "inventory", database: own, backupsDir: link, password: p().password }));
    expect(r).toMatchObject({ status: "ok", data: { summary: expect.stringContaining(`${link} → ${real}`) } });
    expect((await apps.getAppBySlug("inventory"))?.backupsDir).toBe(real);

    // A second app in the same real directory (here through the link) would list inventory's dumps as its own.
    const other = await actions.createAppAction(form({ slug: "warehouse", database: await createScratchDb("warehouse"), backupsDir: link, password: p().password }));
    expect(other).toMatchObject({ status: "invalid", fieldErrors: { backupsDir: [expect.stringContaining(`${real} is already the backups directory of inventory`)] } });
    expect(await apps.getAppBySlug("warehouse")).toBeUndefined();
    // The app itself keeps it when its settings are saved again.
    expect(await actions.updateAppAction(form({ slug: "inventory", database: own, backupsDir: real, password: p().password }))).toMatchObject({ status: "ok" });
  });

  it("refuses a database another app already uses, also by another local name, before connecting; the app itself keeps it", async () => {
    for (const host of [p().host, "localhost"]) {
      for (const action of [actions.createAppAction, actions.testConnectionAction]) {
        const r = await action(form({ slug: "shop-copy", host, backupsDir: await tmpDir("copy"), password: p().password }));
        expect(r).toMatchObject({ status: "invalid", fieldErrors: { database: [expect.stringContaining(`is already the database of shop`)] } });
      }
    }
    expect(await apps.getAppBySlug("shop-copy")).toBeUndefined();
    // Another port is another server: allowed (it is refused later only if nothing answers there).
    const elsewhere = await actions.testConnectionAction(form({ slug: "shop-copy", port: "1", backupsDir: await tmpDir("copy"), password: p().password }));
    expect(JSON.stringify(elsewhere)).not.toContain("already the database of");
    expect(await actions.updateAppAction(form({ password: p().password }))).toMatchObject({ status: "ok" });
  });
});
