import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from "vitest";
import { redirect } from "next/navigation";
import { z } from "zod";
import { useMetaDb } from "@/test/helpers";
import type { SessionUser } from "@/lib/auth/session";

// Only the session is faked (who is calling); the database, the audit trigger and the throttle are real.
const session = vi.hoisted(() => ({ user: null as SessionUser | null }));
vi.mock("@/lib/auth/session", () => ({
  getSessionUser: async () => session.user,
  requireUser: async () => {
    throw new Error("not used in this test");
  },
}));

const { defineAction, listRegisteredActions, getActionMeta } = await import("./wrapper");
const { OpError } = await import("@/lib/ops/errors");
const { closeDb, getDb } = await import("@/lib/db/client");
const { flushAuditThrottle, listAudit } = await import("@/lib/db/queries/audit");

const VIEWER: SessionUser = { id: 101, email: "vera@example.com", role: "viewer" };
const OPERATOR: SessionUser = { id: 102, email: "otto@example.com", role: "operator" };

const handler = vi.fn(async (input: { app: string; backupId: number; password?: string }) => ({ got: input.backupId }));
const startThing = defineAction({
  name: "test.start_thing",
  role: "operator",
  schema: z.object({ app: z.string().min(2), backupId: z.coerce.number().int().positive(), password: z.string().optional() }),
  audit: { app: (i) => i.app },
  handler,
});

const busyThing = defineAction({
  name: "test.busy_thing",
  role: "viewer",
  schema: z.object({ app: z.string() }),
  audit: { app: (i) => i.app },
  handler: async (input, { note }) => {
    note("tried while busy");
    throw new OpError("busy", `${input.app} is running backup job #7 (started by bob@example.com). Wait for it or watch it on the app page.`);
  },
});

const brokenThing = defineAction({
  name: "test.broken_thing",
  role: "viewer",
  schema: z.object({}),
  handler: async () => {
    throw new Error("connect ECONNREFUSED postgres://lifeboat:s3cr3t-pw@10.0.0.5:5432/meta");
  },
});

const redirecting = defineAction({
  name: "test.redirecting",
  role: "viewer",
  schema: z.object({}),
  handler: async () => redirect("/apps/shop"),
});

const publicThing = defineAction({
  name: "test.public_thing",
  role: "public",
  schema: z.object({ email: z.string().email() }),
  audit: { actor: (i) => i.email },
  handler: async (_input, { user }) => ({ signedIn: user !== null }),
});

async function lastAudit(action: string) {
  const [row] = await listAudit({ action, limit: 1 });
  return row;
}

beforeAll(async () => {
  await useMetaDb();
});
afterAll(async () => {
  await closeDb();
});
beforeEach(() => {
  session.user = null;
  handler.mockClear();
});

describe("defineAction", () => {
  it("refuses a caller with no session, without running anything, and audits it", async () => {
    const result = await startThing({ app: "shop", backupId: 1 });
    expect(result).toMatchObject({ status: "error", code: "unauthenticated" });
    expect(handler).not.toHaveBeenCalled();
    const entry = await lastAudit("test.start_thing");
    expect(entry).toMatchObject({ result: "denied", actorEmail: null, appSlug: "shop" });
  });

  it("refuses a role below the one required and audits who tried", async () => {
    session.user = VIEWER;
    const result = await startThing({ app: "shop", backupId: 1 });
    expect(result).toMatchObject({ status: "error", code: "forbidden" });
    expect(result.status === "error" && result.message).toMatch(/Operator role; you are Viewer/);
    expect(handler).not.toHaveBeenCalled();
    expect(await lastAudit("test.start_thing")).toMatchObject({ result: "denied", actorEmail: VIEWER.email, actorId: VIEWER.id });
  });

  it("answers invalid input with field errors before the handler runs, and keeps secrets out of the log", async () => {
    session.user = OPERATOR;
    const form = new FormData();
    form.append("app", "shop");
    form.append("backupId", "not-a-number");
    form.append("password", "hunter2-do-not-log");
    const result = await startThing(form);
    expect(result.status).toBe("invalid");
    if (result.status !== "invalid") throw new Error("unreachable");
    expect(Object.keys(result.fieldErrors)).toEqual(["backupId"]);
    expect(result.message).toMatch(/backupId/);
    expect(handler).not.toHaveBeenCalled();
    const entry = await lastAudit("test.start_thing");
    expect(entry).toMatchObject({ result: "invalid", actorEmail: OPERATOR.email });
    expect(entry!.params).toMatchObject({ app: "shop", backupId: "not-a-number", password: "[redacted]" });
    expect(JSON.stringify(entry)).not.toContain("hunter2");
  });

  it("accepts the useActionState form (prevState, formData), coerces numbers and returns ok", async () => {
    session.user = OPERATOR;
    const form = new FormData();
    form.append("app", "shop");
    form.append("backupId", "42");
    const result = await startThing({ status: "error", code: "x", message: "previous" }, form);
    expect(result).toEqual({ status: "ok", data: { got: 42 } });
    expect(handler).toHaveBeenCalledTimes(1);
    expect(handler.mock.calls[0]![0]).toEqual({ app: "shop", backupId: 42 });
    const entry = await lastAudit("test.start_thing");
    expect(entry).toMatchObject({ result: "ok", appSlug: "shop", actorEmail: OPERATOR.email });
    expect(entry!.durationMs).toBeGreaterThanOrEqual(0);
  });

  it("maps an OpError to its code and operator message, and audits it with the handler's note", async () => {
    session.user = VIEWER;
    const result = await busyThing({ app: "shop" });
    expect(result).toEqual({
      status: "error",
      code: "busy",
      message: "shop is running backup job #7 (started by bob@example.com). Wait for it or watch it on the app page.",
    });
    const entry = await lastAudit("test.busy_thing");
    expect(entry).toMatchObject({ result: "error", appSlug: "shop" });
    expect(entry!.message).toContain("tried while busy");
  });

  it("hides unknown errors behind a reference and logs them without the password", async () => {
    session.user = VIEWER;
    const log = vi.spyOn(console, "error").mockImplementation(() => {});
    try {
      const result = await brokenThing({});
      expect(result).toMatchObject({ status: "error", code: "internal" });
      const message = result.status === "error" ? result.message : "";
      expect(message).toMatch(/ref [0-9a-f]{8}/);
      expect(message).not.toMatch(/ECONNREFUSED|s3cr3t|postgres:/);
      const logged = log.mock.calls.map((c) => c.join(" ")).join("\n");
      expect(logged).toContain(message.match(/ref ([0-9a-f]{8})/)![1]);
      expect(logged).not.toContain("s3cr3t-pw");
    } finally {
      log.mockRestore();
    }
    expect(await lastAudit("test.broken_thing")).toMatchObject({ result: "error" });
  });

  it("lets Next's redirect through and audits the call as ok", async () => {
    session.user = VIEWER;
    const err = await redirecting({}).then(
      () => null,
      (e: unknown) => e,
    );
    expect(String((err as { digest?: string })?.digest)).toMatch(/^NEXT_REDIRECT/);
    expect(await lastAudit("test.redirecting")).toMatchObject({ result: "ok", actorEmail: VIEWER.email });
  });

  it("runs a public action without a session, still parsing first, and audits who it was about", async () => {
    expect(await publicThing({} as { email: string })).toMatchObject({ status: "invalid" });
    expect(await publicThing({ email: "pat@example.com" })).toEqual({ status: "ok", data: { signedIn: false } });
    expect(await lastAudit("test.public_thing")).toMatchObject({ result: "ok", actorEmail: "pat@example.com", actorId: null });
  });

  it("registers every action with its name and role", () => {
    const names = Object.fromEntries(listRegisteredActions().map((a) => [a.name, a.role]));
    expect(names).toMatchObject({ "test.start_thing": "operator", "test.busy_thing": "viewer" });
    expect(getActionMeta(startThing)).toEqual({ name: "test.start_thing", role: "operator" });
    expect(getActionMeta(async () => null)).toBeUndefined();
  });

  it("writes exactly one audit entry per call", async () => {
    session.user = OPERATOR;
    await flushAuditThrottle();
    const earlier = await listAudit({ action: "test.start_thing", limit: 1000 });
    const before = earlier.reduce((n, r) => n + r.count, 0);
    const beforeOperator = earlier.filter((r) => r.actorEmail === OPERATOR.email).length;
    await startThing({ app: "shop", backupId: 5 });
    await startThing({ app: "shop", backupId: "x" });
    session.user = null;
    await startThing({ app: "shop", backupId: 5 });
    // The refused anonymous call may be held back by the rate limit (an earlier test made one this minute):
    // it is counted once the log is read.
    await flushAuditThrottle();
    const rows = await listAudit({ action: "test.start_thing", limit: 1000 });
    expect(rows.filter((r) => r.actorEmail === OPERATOR.email).length).toBe(beforeOperator + 2);
    expect(rows.reduce((n, r) => n + r.count, 0)).toBe(before + 3);
  });
});

describe("audit log", () => {
  it("cannot be changed, deleted or truncated, not even by the dashboard's own connection", async () => {
    session.user = VIEWER;
    await busyThing({ app: "shop" });
    const sql = getDb().$client;
    await expect(sql`UPDATE audit_log SET message = 'covered up'`).rejects.toThrow(/append-only/);
    await expect(sql`DELETE FROM audit_log`).rejects.toThrow(/append-only/);
    await expect(sql`TRUNCATE audit_log`).rejects.toThrow(/append-only/);
    const [{ n }] = await sql<{ n: number }[]>`SELECT count(*)::int AS n FROM audit_log WHERE message = 'covered up'`;
    expect(n).toBe(0);
  });
});
