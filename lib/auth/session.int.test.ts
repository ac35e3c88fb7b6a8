// Server-side sessions: every request that checks the session (the action wrapper, API auth, pages through
// getSessionUser) reads the sessions row, so each revoking event applies at once to a cookie captured before.
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { z } from "zod";
import { useMetaDb } from "@/test/helpers";

// Only the cookie is stood in for: it names a session id (what Auth.js's JWT carries). next-auth itself
// does not load under vitest (see test/actions-guard.int.test.ts).
const cookie = vi.hoisted(() => ({ sid: null as string | null }));
vi.mock("@/lib/auth", () => ({ currentSessionId: async () => cookie.sid }));

process.env.LIFEBOAT_BCRYPT_COST = "4";
const { getSessionUser } = await import("./session");
const { defineAction } = await import("@/lib/actions/wrapper");
const { apiRoute } = await import("./api-auth");
const { closeDb, getDb } = await import("@/lib/db/client");
const { checkSession, createSession, revokeSession, revokeUserSessions } = await import("@/lib/db/queries/sessions");
const { changeOwnPassword, createUser, resetUserPassword, setUserDisabled, setUserRole } = await import("@/lib/db/queries/users");

const PASSWORD = "correct-horse-battery";
const whoAmI = defineAction({ name: "test.who_am_i", role: "viewer", schema: z.object({}), handler: async (_i, { user }) => user.email });
const GET = apiRoute({ name: "test.api.who", role: "viewer", handler: async (_i, { user }) => user.email });
const sql = () => getDb().$client;
let admin: { id: number };

async function signedIn(userId: number): Promise<string> {
  const sid = await createSession({ userId, hours: 12, userAgent: "test", ip: "192.0.2.1" });
  cookie.sid = sid;
  return sid;
}
async function works(sid: string): Promise<boolean> {
  cookie.sid = sid;
  const user = await getSessionUser();
  const action = await whoAmI({});
  const api = await GET(new Request("http://lifeboat.test/api/x"), { params: Promise.resolve({}) });
  // The three entry points agree.
  expect(action.status === "ok").toBe(user !== null);
  expect(api.status === 200).toBe(user !== null);
  return user !== null;
}

beforeAll(async () => {
  await useMetaDb();
  admin = await createUser({ email: "root@example.com", password: PASSWORD, role: "admin" });
});
afterAll(async () => {
  await closeDb();
});

describe("revocation", () => {
  it("sign-out ends that session only", async () => {
    const u = await createUser({ email: "s1@example.com", password: PASSWORD, role: "viewer" });
    const a = await signedIn(u.id);
    const b = await signedIn(u.id);
    expect(await works(a)).toBe(true);
    await revokeSession(a, "signed out");
    expect(await works(a)).toBe(false);
    expect(await works(b)).toBe(true);
  });

  it("sign out everywhere ends them all", async () => {
    const u = await createUser({ email: "s2@example.com", password: PASSWORD, role: "viewer" });
    const [a, b] = [await signedIn(u.id), await signedIn(u.id)];
    expect(await revokeUserSessions(u.id, "signed out everywhere")).toBe(2);
    expect(await works(a)).toBe(false);
    expect(await works(b)).toBe(false);
  });

  it("the user's own password change ends every other session and keeps the current one", async () => {
    const u = await createUser({ email: "s3@example.com", password: PASSWORD, role: "viewer" });
    const [here, elsewhere] = [await signedIn(u.id), await signedIn(u.id)];
    await expect(changeOwnPassword(u.id, "not-the-password", "another-good-password", here)).rejects.toThrow(/current password/);
    expect(await works(elsewhere)).toBe(true);
    expect(await changeOwnPassword(u.id, PASSWORD, "another-good-password", here)).toBe(1);
    expect(await works(here)).toBe(true);
    expect(await works(elsewhere)).toBe(false);
  });

  it.each([
    ["an admin's role change", (id: number) => setUserRole(id, "operator", admin)],
    ["disabling", (id: number) => setUserDisabled(id, true, admin)],
    ["a password reset", (id: number) => resetUserPassword(id, "reset-password-123", admin)],
  ])("%s ends every session of that user at once", async (label, change) => {
    const u = await createUser({ email: `s4-${label.length}@example.com`, password: PASSWORD, role: "viewer" });
    const sid = await signedIn(u.id);
    expect(await works(sid)).toBe(true);
    await change(u.id);
    expect(await works(sid)).toBe(false);
    expect(await checkSession(sid, 30)).toEqual({ ok: false, reason: "revoked" });
  });

  it("admin changes are checked in the query too: a non-admin actor changes nothing", async () => {
    const viewer = await createUser({ email: "s5@example.com", password: PASSWORD, role: "viewer" });
    const target = await createUser({ email: "s6@example.com", password: PASSWORD, role: "viewer" });
    await expect(setUserRole(target.id, "admin", viewer)).rejects.toMatchObject({ code: "forbidden" });
    await expect(setUserDisabled(admin.id, true, admin)).rejects.toMatchObject({ code: "forbidden" });
    const [row] = await sql()<{ role: string }[]>`SELECT role FROM users WHERE id = ${target.id}`;
    expect(row!.role).toBe("viewer");
  });
});

describe("expiry", () => {
  it("ends a session at its absolute limit, however active it is, and never moves that limit", async () => {
    const u = await createUser({ email: "x1@example.com", password: PASSWORD, role: "viewer" });
    const sid = await signedIn(u.id);
    const [before] = await sql()<{ e: number }[]>`SELECT extract(epoch from expires_at)::float8 AS e FROM sessions WHERE id = ${sid}`;
    await sql()`UPDATE sessions SET last_seen_at = now() - interval '1 hour' WHERE id = ${sid}`;
    expect(await checkSession(sid, 120)).toMatchObject({ ok: true });
    const [after] = await sql()<{ e: number; fresh: boolean }[]>`SELECT extract(epoch from expires_at)::float8 AS e, last_seen_at > now() - interval '1 minute' AS fresh FROM sessions WHERE id = ${sid}`;
    expect(after!.e).toBe(before!.e);
    expect(after!.fresh).toBe(true);
    // Twelve hours after sign-in: over, even if it was used a second ago.
    await sql()`UPDATE sessions SET created_at = now() - interval '12 hours', expires_at = now() - interval '1 second', last_seen_at = now() WHERE id = ${sid}`;
    expect(await checkSession(sid, 120)).toEqual({ ok: false, reason: "expired" });
    expect(await works(sid)).toBe(false);
  });

  it("ends a session left idle longer than LIFEBOAT_SESSION_IDLE_MINUTES", async () => {
    process.env.LIFEBOAT_SESSION_IDLE_MINUTES = "30";
    const u = await createUser({ email: "x2@example.com", password: PASSWORD, role: "viewer" });
    const sid = await signedIn(u.id);
    await sql()`UPDATE sessions SET last_seen_at = now() - interval '29 minutes' WHERE id = ${sid}`;
    expect(await works(sid)).toBe(true);
    await sql()`UPDATE sessions SET last_seen_at = now() - interval '31 minutes' WHERE id = ${sid}`;
    expect(await works(sid)).toBe(false);
    expect(await checkSession(sid, 30)).toEqual({ ok: false, reason: "idle" });
  });

  it("refuses an unknown or absent session id", async () => {
    expect(await works("not-a-session")).toBe(false);
    cookie.sid = null;
    expect(await getSessionUser()).toBeNull();
  });
});
