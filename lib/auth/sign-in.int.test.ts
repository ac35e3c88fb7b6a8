// The sign-in path behind Auth.js's authorize() (both the form and /api/auth/callback/credentials go
// through authorizeSignIn), against a real metadata database: throttling, audit, sessions, DB outage.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { useMetaDb } from "@/test/helpers";

process.env.LIFEBOAT_BCRYPT_COST = "4";
const { authorizeSignIn } = await import("./sign-in");
const { THROTTLE } = await import("./credentials");
const { DEVICE_COOKIE, makeDeviceToken } = await import("./device");
const { closeDb, getDb } = await import("@/lib/db/client");
const { flushAuditThrottle, listAudit } = await import("@/lib/db/queries/audit");
const { createUser, resetUserPassword, unlockUser, setUserDisabled } = await import("@/lib/db/queries/users");
const { checkSession } = await import("@/lib/db/queries/sessions");

const PASSWORD = "correct-horse-battery";
let url = "";

function req(opts: { ip?: string; cookie?: string; action?: boolean } = {}): Request {
  const headers: Record<string, string> = { "x-forwarded-for": `203.0.113.9, ${opts.ip ?? "198.51.100.1"}`, "user-agent": "vitest\u0007agent" };
  if (opts.cookie) headers.cookie = opts.cookie;
  if (opts.action) headers["next-action"] = "abc";
  return new Request("http://lifeboat.test/api/auth/callback/credentials", { method: "POST", headers });
}
const attempt = (email: string, password: string, opts: Parameters<typeof req>[0] = {}) => authorizeSignIn({ email, password }, req(opts));
const sql = () => getDb().$client;
/** Time passing, without waiting: every wait in force ends now. */
const letWaitsPass = () => sql()`UPDATE sign_in_throttle SET blocked_until = now() - interval '1 second'`;

beforeAll(async () => {
  url = await useMetaDb();
});
afterAll(async () => {
  await closeDb();
});

describe("sign-in throttling", () => {
  it("the right password still works after 6 failures by someone else, from another address", async () => {
    await createUser({ email: "admin@example.com", password: PASSWORD, role: "admin" });
    for (let i = 0; i < 6; i++) expect(await attempt("admin@example.com", `wrong-${i}-password`, { ip: "192.0.2.66" })).toMatchObject({ ok: false, reason: "wrong_password" });
    expect(await attempt("admin@example.com", PASSWORD, { ip: "198.51.100.7" })).toMatchObject({ ok: true, user: { email: "admin@example.com" } });
  });

  it("slows one client down with growing delays, refusing without counting while it waits", async () => {
    await createUser({ email: "bea@example.com", password: PASSWORD, role: "viewer" });
    const ip = "192.0.2.10";
    for (let i = 0; i < THROTTLE.client.free; i++) expect(await attempt(`guess${i}@example.com`, "nope-nope-nope", { ip })).toMatchObject({ reason: "unknown_email" });
    // The next failure starts the waits: 1 s, then 2 s, then 4 s.
    const waits: number[] = [];
    for (let i = 0; i < 3; i++) {
      expect(await attempt(`more${i}@example.com`, "nope-nope-nope", { ip })).toMatchObject({ reason: "unknown_email" });
      const [row] = await sql()<{ s: number }[]>`SELECT extract(epoch from blocked_until - last_failure_at)::float8 AS s FROM sign_in_throttle WHERE key = ${`client:${ip}`}`;
      waits.push(Math.round(row!.s));
      // While waiting, even the right password is refused, and the refusal is not counted.
      const refused = await attempt("bea@example.com", PASSWORD, { ip });
      expect(refused).toMatchObject({ ok: false, reason: "throttled" });
      await letWaitsPass();
    }
    expect(waits).toEqual([1, 2, 4]);
    const [{ failures }] = await sql()<{ failures: number }[]>`SELECT failures FROM sign_in_throttle WHERE key = ${`client:${ip}`}`;
    expect(failures).toBe(THROTTLE.client.free + 3);
    // Another client is not affected.
    expect(await attempt("bea@example.com", PASSWORD, { ip: "192.0.2.11" })).toMatchObject({ ok: true });
  });

  it("throttles an account guessed from many addresses, but not a browser that signed in to it before", async () => {
    await createUser({ email: "cleo@example.com", password: PASSWORD, role: "operator" });
    const device = `${DEVICE_COOKIE}=${makeDeviceToken("cleo@example.com")}`;
    for (let i = 0; i <= THROTTLE.account.free; i++) await attempt("cleo@example.com", `wrong-${i}-password`, { ip: `192.0.2.${100 + i}` });
    expect(await attempt("cleo@example.com", PASSWORD, { ip: "198.51.100.50" })).toMatchObject({ ok: false, reason: "throttled", retryAfterSeconds: expect.any(Number) });
    expect(await attempt("cleo@example.com", PASSWORD, { ip: "198.51.100.50", cookie: `other=1; ${device}` })).toMatchObject({ ok: true });
    // A device cookie issued for another account does not count for this one.
    const foreign = `${DEVICE_COOKIE}=${makeDeviceToken("someone@example.com")}`;
    expect(await attempt("cleo@example.com", PASSWORD, { ip: "198.51.100.51", cookie: foreign })).toMatchObject({ ok: false, reason: "throttled" });
  });

  it("an admin unlock clears the waits; so does a password reset", async () => {
    const dan = await createUser({ email: "dan@example.com", password: PASSWORD, role: "viewer" });
    const guess = async () => {
      for (let i = 0; i <= THROTTLE.account.free; i++) await attempt("dan@example.com", `wrong-${i}-password`, { ip: `192.0.2.${150 + i}` });
      expect(await attempt("dan@example.com", PASSWORD, { ip: "198.51.100.60" })).toMatchObject({ reason: "throttled" });
    };
    await guess();
    expect(await unlockUser(dan.id)).toBeGreaterThan(0);
    expect(await attempt("dan@example.com", PASSWORD, { ip: "198.51.100.60" })).toMatchObject({ ok: true });
    await guess();
    await resetUserPassword(dan.id, "a-brand-new-password");
    expect(await attempt("dan@example.com", "a-brand-new-password", { ip: "198.51.100.60" })).toMatchObject({ ok: true });
  });

  it("refuses disabled users and unknown emails the same way", async () => {
    const eve = await createUser({ email: "eve@example.com", password: PASSWORD, role: "admin" });
    await setUserDisabled(eve.id, true);
    expect(await attempt("eve@example.com", PASSWORD, { ip: "192.0.2.200" })).toMatchObject({ ok: false, reason: "disabled" });
    expect(await authorizeSignIn({ email: "eve@example.com" }, req())).toMatchObject({ ok: false, reason: "invalid_input" });
  });
});

describe("audit of every sign-in path", () => {
  it("records the callback path with bounded size and never the password", async () => {
    await createUser({ email: "fay@example.com", password: PASSWORD, role: "viewer" });
    const huge = `${"x".repeat(200_000)}@example.com`;
    await authorizeSignIn({ email: huge, password: "p".repeat(100_000), extra: "y".repeat(100_000) }, req({ ip: "192.0.2.220" }));
    // A refused sign-in is nobody's: rate-limited and aggregated like every unauthenticated refusal, so it
    // shows up as a row or as one more in a "+N similar" row's count.
    const refusals = async () => {
      await flushAuditThrottle();
      const [{ n }] = await sql()<{ n: number }[]>`
        SELECT coalesce(sum(count), 0)::int AS n FROM audit_log WHERE action = 'auth.credentials' AND result = 'denied'`;
      return n;
    };
    const before = await refusals();
    await attempt("fay@example.com", "the-wrong-password", { ip: "192.0.2.221" });
    expect(await refusals()).toBe(before + 1);
    // Many refusals from one client add at most a row and a count, not a row each (an audit flood).
    const [{ rowsBefore }] = await sql()<{ rowsBefore: number }[]>`SELECT count(*)::int AS "rowsBefore" FROM audit_log`;
    for (let i = 0; i < 20; i++) await attempt(`nobody${i}@example.com`, "wrong", { ip: "192.0.2.222" });
    await flushAuditThrottle();
    const [{ rowsAfter }] = await sql()<{ rowsAfter: number }[]>`SELECT count(*)::int AS "rowsAfter" FROM audit_log`;
    expect(rowsAfter - rowsBefore).toBeLessThanOrEqual(3);
    await attempt("fay@example.com", PASSWORD, { ip: "192.0.2.221", action: true });
    const rows = await listAudit({ action: "auth.credentials", limit: 1 });
    expect(rows[0]).toMatchObject({ result: "ok", actorEmail: "fay@example.com", message: expect.stringContaining("sign-in form") });
    const [{ bytes }] = await sql()<{ bytes: number }[]>`SELECT max(pg_column_size(audit_log.*))::int AS bytes FROM audit_log WHERE action = 'auth.credentials'`;
    expect(bytes).toBeLessThan(2_000);
    const dump = JSON.stringify(rows);
    expect(dump).not.toContain(PASSWORD);
    expect(dump).not.toContain("the-wrong-password");
  });
});

describe("sessions", () => {
  it("opens a server-side session with the client's address and a clean user agent", async () => {
    const result = await attempt("fay@example.com", PASSWORD, { ip: "192.0.2.230" });
    if (!result.ok) throw new Error(`sign-in refused: ${result.reason}`);
    const [row] = await sql()<{ ip: string; user_agent: string; hours: number }[]>`
      SELECT ip, user_agent, extract(epoch from expires_at - created_at)::float8 / 3600 AS hours FROM sessions WHERE id = ${result.user.sid}`;
    // The last X-Forwarded-For entry is the one our proxy wrote; the first was the client's own claim.
    expect(row).toMatchObject({ ip: "192.0.2.230", user_agent: "vitest agent" });
    expect(row!.hours).toBeCloseTo(12, 1);
    expect(await checkSession(result.user.sid, 30)).toMatchObject({ ok: true, user: { email: "fay@example.com" } });
  });
});

describe("metadata database unreachable", () => {
  it("says so instead of 'wrong password', and counts nothing", async () => {
    await createUser({ email: "gil@example.com", password: PASSWORD, role: "viewer" });
    const before = await sql()<{ n: number }[]>`SELECT count(*)::int AS n FROM sign_in_throttle`;
    const auditBefore = (await listAudit({ action: "auth.credentials", limit: 1000 })).length;
    // Nothing listens on port 1.
    process.env.DATABASE_URL = "postgres://nobody:nothing@127.0.0.1:1/lifeboat";
    try {
      expect(await attempt("gil@example.com", PASSWORD, { ip: "192.0.2.240" })).toEqual({ ok: false, reason: "unavailable" });
      expect(await attempt("gil@example.com", "a-wrong-password", { ip: "192.0.2.240" })).toEqual({ ok: false, reason: "unavailable" });
    } finally {
      await closeDb("postgres://nobody:nothing@127.0.0.1:1/lifeboat");
      process.env.DATABASE_URL = url;
    }
    const after = await sql()<{ n: number }[]>`SELECT count(*)::int AS n FROM sign_in_throttle`;
    expect(after[0]!.n).toBe(before[0]!.n);
    expect((await listAudit({ action: "auth.credentials", limit: 1000 })).length).toBe(auditBefore);
    expect(await attempt("gil@example.com", PASSWORD, { ip: "192.0.2.240" })).toMatchObject({ ok: true });
  });
});
