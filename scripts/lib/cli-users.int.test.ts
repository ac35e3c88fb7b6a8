// The users and tokens CLI commands against a real metadata database: strict flags, and the same effects
// as the dashboard (sessions ended, waits cleared, tokens refused once revoked).
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from "vitest";
import { useMetaDb } from "@/test/helpers";

process.env.LIFEBOAT_BCRYPT_COST = "4";
const users = await import("./cli-users");
const tokens = await import("./cli-tokens");
const { closeDb, getDb } = await import("@/lib/db/client");
const { checkSession, createSession } = await import("@/lib/db/queries/sessions");
const { checkApiToken } = await import("@/lib/db/queries/api-tokens");
const { hashApiToken } = await import("@/lib/auth/tokens");
const { listAudit } = await import("@/lib/db/queries/audit");

let out: string[] = [];
let err: string[] = [];
beforeEach(() => {
  out = [];
  err = [];
  vi.spyOn(console, "log").mockImplementation((...a) => void out.push(a.join(" ")));
  vi.spyOn(console, "error").mockImplementation((...a) => void err.push(a.join(" ")));
});
beforeAll(async () => {
  await useMetaDb();
});
afterAll(async () => {
  vi.restoreAllMocks();
  await closeDb();
});

const secretFrom = (lines: string[]) => lines.join("\n").match(/(?:Password \(shown once, store it now\): |store it now:\n)(\S+)/)?.[1];

describe("users CLI", () => {
  it("refuses unknown flags, flags without values and unknown commands, changing nothing", async () => {
    expect(await users.run(["add", "--email", "a@example.com", "--role", "admin", "--rol", "viewer"])).toBe(2);
    expect(err.join("\n")).toMatch(/Unknown option '--rol'/);
    expect(await users.run(["add", "--email", "--role", "admin"])).toBe(2);
    expect(await users.run(["add", "--email", "a@example.com", "--role"])).toBe(2);
    expect(await users.run(["disable", "--email", ""])).toBe(2);
    expect(await users.run(["delete-everyone"])).toBe(2);
    expect(await users.run(["add", "--email", "a@example.com", "--role", "root"])).toBe(2);
    const [{ n }] = await getDb().$client<{ n: number }[]>`SELECT count(*)::int AS n FROM users`;
    expect(n).toBe(0);
  });

  it("adds a user with a generated password printed once, lists, changes role (ending sessions), disables", async () => {
    expect(await users.run(["add", "--email", "Ops@Example.com", "--role", "operator"])).toBe(0);
    const generated = secretFrom(out)!;
    expect(generated).toMatch(/^[A-Za-z0-9_-]{24}$/);
    const [{ id }] = await getDb().$client<{ id: number }[]>`SELECT id FROM users WHERE email = 'ops@example.com'`;
    const sid = await createSession({ userId: id, hours: 12, userAgent: null, ip: null });
    expect(await users.run(["set-role", "--email", "ops@example.com", "--role", "viewer"])).toBe(0);
    expect(await checkSession(sid, 30)).toEqual({ ok: false, reason: "revoked" });
    expect(await users.run(["disable", "--email", "ops@example.com"])).toBe(0);
    out = [];
    expect(await users.run(["list"])).toBe(0);
    expect(out.join("\n")).toMatch(/ops@example\.com\s+viewer\s+disabled/);
    expect(await users.run(["enable", "--email", "ops@example.com"])).toBe(0);
    expect(await users.run(["unlock", "--email", "nobody@example.com"])).toBe(1);
    const audit = await listAudit({ action: "users", limit: 10 });
    expect(audit.map((a) => a.action)).toEqual(expect.arrayContaining(["users.add", "users.set_role", "users.set_disabled"]));
    expect(JSON.stringify(audit)).not.toContain(generated);
  });

  it("reset-password prints a new one-time password and clears sign-in waits", async () => {
    await getDb().$client`INSERT INTO sign_in_throttle (key, email, failures, blocked_until) VALUES ('account:ops@example.com', 'ops@example.com', 20, now() + interval '5 minutes')`;
    expect(await users.run(["reset-password", "--email", "ops@example.com"])).toBe(0);
    const password = secretFrom(out);
    expect(password).toBeDefined();
    const [{ n }] = await getDb().$client<{ n: number }[]>`SELECT count(*)::int AS n FROM sign_in_throttle WHERE email = 'ops@example.com'`;
    expect(n).toBe(0);
    const audit = await listAudit({ action: "users.reset_password", limit: 1 });
    expect(JSON.stringify(audit)).not.toContain(password!);
  });
});

describe("tokens CLI", () => {
  it("adds a token shown once, caps its role at the user's, lists it, revokes it", async () => {
    expect(await tokens.run(["add", "--email", "ops@example.com", "--name", "ci", "--role", "admin"])).toBe(2);
    expect(await tokens.run(["add", "--email", "ops@example.com", "--name", "ci", "--days", "0"])).toBe(2);
    expect(await tokens.run(["add", "--email", "ops@example.com", "--name", "ci", "--expires", "30"])).toBe(2);
    out = [];
    expect(await tokens.run(["add", "--email", "ops@example.com", "--name", "ci", "--days", "30"])).toBe(0);
    const token = secretFrom(out)!;
    expect(token).toMatch(/^lb_/);
    expect(await checkApiToken(hashApiToken(token))).toMatchObject({ ok: true, role: "viewer" });
    out = [];
    expect(await tokens.run(["list"])).toBe(0);
    const id = /#(\d+)\s+ci\s/.exec(out.join("\n"))?.[1];
    expect(id).toBeDefined();
    expect(out.join("\n")).not.toContain(token);
    expect(await tokens.run(["revoke", "--id", ""])).toBe(2);
    expect(await tokens.run(["revoke"])).toBe(2);
    expect(await tokens.run(["revoke", "--id", id!])).toBe(0);
    expect(await checkApiToken(hashApiToken(token))).toEqual({ ok: false, reason: "revoked" });
  });
});
