import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from "vitest";
import { z } from "zod";
import { rowIdSchema } from "@/lib/validation/ids";
import { rollbackSchema } from "@/lib/validation/rollback";
import { useMetaDb } from "@/test/helpers";
import type { SessionUser } from "@/lib/auth/session";

const session = vi.hoisted(() => ({ user: null as SessionUser | null }));
vi.mock("@/lib/auth/session", () => ({ getSessionUser: async () => session.user, requireUser: async () => session.user }));

const { apiRoute, createApiToken, getRouteMeta } = await import("./api-auth");
const { OpError } = await import("@/lib/ops/errors");
const { closeDb, getDb } = await import("@/lib/db/client");
const { flushAuditThrottle, listAudit } = await import("@/lib/db/queries/audit");
const { createUser, setUserDisabled } = await import("@/lib/db/queries/users");

const handler = vi.fn(async (input: { app: string; method: "dump" | "clone" }, ctx: { user: SessionUser; via: string }) => ({
  jobId: 7,
  method: input.method,
  by: ctx.user.email,
  via: ctx.via,
}));
const POST = apiRoute({
  name: "test.api.start",
  role: "operator",
  schema: z.object({ app: z.string(), method: z.enum(["dump", "clone"]) }),
  handler,
});
const GET = apiRoute({ name: "test.api.read", role: "viewer", handler: async () => ({ hello: "world" }) });
const BUSY = apiRoute({
  name: "test.api.busy",
  role: "viewer",
  handler: async () => {
    throw new OpError("busy", "shop is running backup job #9. Wait for it.");
  },
});

const params = (p: Record<string, string> = {}) => ({ params: Promise.resolve(p) });
const req = (method: string, opts: { token?: string; body?: unknown; headers?: Record<string, string> } = {}) =>
  new Request("http://lifeboat.test/api/apps/shop/backups", {
    method,
    headers: {
      ...(opts.token ? { authorization: `Bearer ${opts.token}` } : {}),
      ...(opts.body !== undefined ? { "content-type": "application/json" } : {}),
      ...opts.headers,
    },
    body: opts.body === undefined ? undefined : typeof opts.body === "string" ? opts.body : JSON.stringify(opts.body),
  });

let viewerToken = "";
let operatorToken = "";
let disabledToken = "";

beforeAll(async () => {
  await useMetaDb();
  const viewer = await createUser({ email: "viewer@example.com", password: "viewer-password-1", role: "viewer" });
  const operator = await createUser({ email: "ci@example.com", password: "operator-password-1", role: "operator" });
  const gone = await createUser({ email: "gone@example.com", password: "gone-password-12", role: "admin" });
  viewerToken = (await createApiToken(viewer.id, "viewer-ci")).token;
  operatorToken = (await createApiToken(operator.id, "deploy")).token;
  disabledToken = (await createApiToken(gone.id, "old")).token;
  await setUserDisabled(gone.id, true);
});
afterAll(async () => {
  await closeDb();
});
beforeEach(() => {
  session.user = null;
  handler.mockClear();
});

describe("apiRoute", () => {
  it("stores only the token's hash", async () => {
    const rows = await getDb().$client<{ token_hash: string }[]>`SELECT token_hash FROM api_tokens`;
    expect(rows.map((r) => r.token_hash)).not.toContain(operatorToken);
    expect(rows.every((r) => /^[0-9a-f]{64}$/.test(r.token_hash))).toBe(true);
    expect(operatorToken).toMatch(/^lb_[A-Za-z0-9_-]{43}$/);
  });

  it("answers 401 without credentials, with an unknown token, or with a disabled user's token", async () => {
    for (const r of [req("POST", { body: { method: "dump" } }), req("POST", { token: "lb_nope", body: {} }), req("POST", { token: disabledToken, body: {} })]) {
      const res = await POST(r, params({ app: "shop" }));
      expect(res.status).toBe(401);
      expect(await res.json()).toMatchObject({ status: "error", code: "unauthenticated" });
    }
    expect(handler).not.toHaveBeenCalled();
    // Refusals of nobody signed in are rate-limited: one row, then a "+N similar" row once the log is read.
    await flushAuditThrottle();
    expect((await listAudit({ action: "test.api.start", limit: 10 })).filter((e) => e.result === "denied").reduce((n, e) => n + e.count, 0)).toBe(3);
  });

  it("answers 403 to a token whose user's role is too low, and audits it", async () => {
    const res = await POST(req("POST", { token: viewerToken, body: { method: "dump" } }), params({ app: "shop" }));
    expect(res.status).toBe(403);
    expect(await res.json()).toMatchObject({ status: "error", code: "forbidden" });
    const [entry] = await listAudit({ action: "test.api.start", limit: 1 });
    expect(entry).toMatchObject({ result: "denied", actorEmail: "viewer@example.com", appSlug: "shop" });
  });

  it("runs with a good token; route params win over the body; last_used_at is set", async () => {
    const res = await POST(req("POST", { token: operatorToken, body: { method: "clone", app: "other" } }), params({ app: "shop" }));
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ status: "ok", data: { jobId: 7, method: "clone", by: "ci@example.com", via: "token" } });
    expect(handler.mock.calls[0]![0]).toEqual({ app: "shop", method: "clone" });
    const [row] = await getDb().$client<{ used: boolean }[]>`SELECT last_used_at > now() - interval '1 minute' AS used FROM api_tokens WHERE name = 'deploy'`;
    expect(row!.used).toBe(true);
    const [entry] = await listAudit({ action: "test.api.start", limit: 1 });
    expect(entry).toMatchObject({ result: "ok", actorEmail: "ci@example.com", appSlug: "shop" });
    expect(entry!.message).toContain('via API token "deploy"');
  });

  it("answers 400 with field errors before the handler runs, also for a body that is not JSON", async () => {
    const bad = await POST(req("POST", { token: operatorToken, body: { method: "rsync" } }), params({ app: "shop" }));
    expect(bad.status).toBe(400);
    expect(await bad.json()).toMatchObject({ status: "invalid", fieldErrors: { method: expect.any(Array) } });
    const garbage = await POST(req("POST", { token: operatorToken, body: "{not json" }), params({ app: "shop" }));
    expect(garbage.status).toBe(400);
    expect(handler).not.toHaveBeenCalled();
  });

  it("refuses a body field the call does not take, naming it and what it takes, before the handler runs", async () => {
    const res = await POST(req("POST", { token: operatorToken, body: { method: "dump", name: "before-drill" } }), params({ app: "shop" }));
    expect(res.status).toBe(400);
    const body = await res.json();
    expect(body).toMatchObject({ status: "invalid", fieldErrors: { name: [expect.stringContaining("unknown field; this call takes method")] } });
    expect(body.message).toBe("Unknown field name: this call takes method.");
    // Through a real schema with preprocessing, a refinement and a transform: a misspelled rollback is no rollback.
    const started = vi.fn(async () => ({ jobId: 8 }));
    const ROLLBACK = apiRoute({ name: "test.api.rollback", role: "operator", schema: rollbackSchema, handler: started });
    const wrong = await ROLLBACK(req("POST", { token: operatorToken, body: { release: "../../etc", restoreDb: true, confirm: "shop" } }), params({ app: "shop" }));
    expect(wrong.status).toBe(400);
    expect((await wrong.json()).message).toMatch(/^Unknown fields release, restoreDb: this call takes targetRelease, restoreDatabase, backupId, confirm/);
    expect(handler).not.toHaveBeenCalled();
    expect(started).not.toHaveBeenCalled();
    const right = await ROLLBACK(req("POST", { token: operatorToken, body: { targetRelease: "r1", restoreDatabase: true, confirm: "shop" } }), params({ app: "shop" }));
    expect(right.status).toBe(200);
    expect(started).toHaveBeenCalledTimes(1);
  });

  it("answers 400, not a server error, to an id larger than any row's", async () => {
    const read = vi.fn(async () => ({}));
    const JOB = apiRoute({ name: "test.api.job", role: "viewer", schema: z.object({ app: z.string(), id: rowIdSchema("a job id") }), handler: read });
    const res = await JOB(req("GET", { token: viewerToken }), params({ app: "shop", id: "2147483648" }));
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ fieldErrors: { id: [expect.stringContaining("there is none that large")] } });
    expect(read).not.toHaveBeenCalled();
  });

  it("answers a path no route serves with a JSON 404 naming the call, and 401 without credentials", async () => {
    const unknown = await import("@/app/api/[...path]/route");
    const res = await unknown.POST(
      new Request("http://lifeboat.test/api/apps/shop/backups/1/frobnicate", { method: "POST", headers: { authorization: `Bearer ${viewerToken}` } }),
      { params: Promise.resolve({ path: ["apps", "shop", "backups", "1", "frobnicate"] }) },
    );
    expect(res.status).toBe(404);
    expect(await res.json()).toMatchObject({ status: "error", code: "not_found", message: expect.stringMatching(/^There is no API call POST \/api\/apps\/shop\/backups\/1\/frobnicate\./) });
    expect((await unknown.GET(req("GET"), { params: Promise.resolve({ path: ["nope"] }) })).status).toBe(401);
  });

  it("maps OpError busy to 409", async () => {
    const res = await BUSY(req("GET", { token: viewerToken }), params());
    expect(res.status).toBe(409);
    expect(await res.json()).toEqual({ status: "error", code: "busy", message: "shop is running backup job #9. Wait for it." });
  });

  it("accepts the session cookie, but refuses a cookie-authenticated write from another origin", async () => {
    session.user = { id: 1, email: "otto@example.com", role: "operator" };
    const same = await POST(req("POST", { body: { method: "dump" }, headers: { origin: "http://lifeboat.test", host: "lifeboat.test" } }), params({ app: "shop" }));
    expect(same.status).toBe(200);
    const cross = await POST(req("POST", { body: { method: "dump" }, headers: { origin: "https://evil.example", host: "lifeboat.test" } }), params({ app: "shop" }));
    expect(cross.status).toBe(403);
    expect(await cross.json()).toMatchObject({ code: "cross_origin" });
  });

  it("does not audit successful reads (polling), but does audit refused ones", async () => {
    const before = (await listAudit({ action: "test.api.read", limit: 100 })).length;
    expect((await GET(req("GET", { token: viewerToken }), params())).status).toBe(200);
    expect((await listAudit({ action: "test.api.read", limit: 100 })).length).toBe(before);
    expect((await GET(req("GET"), params())).status).toBe(401);
    expect((await listAudit({ action: "test.api.read", limit: 100 })).length).toBe(before + 1);
  });

  it("marks handlers for the guard test", () => {
    expect(getRouteMeta(POST)).toEqual({ name: "test.api.start", role: "operator" });
  });
});
