// API tokens: expiry and revocation are honoured by the API wrapper; a token's role never exceeds its
// creator's, nor its owner's current role.
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { useMetaDb } from "@/test/helpers";

// No cookie in these requests (next-auth does not load under vitest: see test/actions-guard.int.test.ts).
vi.mock("@/lib/auth", () => ({ currentSessionId: async () => null }));

process.env.LIFEBOAT_BCRYPT_COST = "4";
const { apiRoute, createApiToken } = await import("./api-auth");
const { closeDb, getDb } = await import("@/lib/db/client");
const { listApiTokens, revokeApiToken } = await import("@/lib/db/queries/api-tokens");
const { createUser, setUserRole } = await import("@/lib/db/queries/users");

const READ = apiRoute({ name: "test.tokens.read", role: "viewer", handler: async (_i, { user }) => user.role });
const WRITE = apiRoute({ name: "test.tokens.write", role: "operator", handler: async () => "done" });
const call = (route: typeof READ, token: string, method = "GET") =>
  route(new Request("http://lifeboat.test/api/x", { method, headers: { authorization: `Bearer ${token}` } }), { params: Promise.resolve({}) });

let admin: { id: number };
let operator: { id: number };

beforeAll(async () => {
  await useMetaDb();
  admin = await createUser({ email: "admin@example.com", password: "admin-password-1", role: "admin" });
  operator = await createUser({ email: "op@example.com", password: "operator-password", role: "operator" });
});
afterAll(async () => {
  await closeDb();
});

describe("API tokens", () => {
  it("work until revoked, then answer 401 saying so", async () => {
    const { id, token } = await createApiToken(admin.id, "deploy", { role: "operator", expiresInDays: 30, by: admin });
    expect((await call(READ, token)).status).toBe(200);
    expect(await revokeApiToken(id, admin)).toBe(true);
    const res = await call(READ, token);
    expect(res.status).toBe(401);
    expect((await res.json()).message).toMatch(/revoked/);
    expect(await revokeApiToken(id, admin)).toBe(false);
  });

  it("stop working when they expire", async () => {
    const { id, token } = await createApiToken(admin.id, "short", { role: "viewer", expiresInDays: 1, by: admin });
    expect((await call(READ, token)).status).toBe(200);
    await getDb().$client`UPDATE api_tokens SET expires_at = now() - interval '1 second' WHERE id = ${id}`;
    const res = await call(READ, token);
    expect(res.status).toBe(401);
    expect((await res.json()).message).toMatch(/expired/);
  });

  it("act with their own role, which cannot exceed the creator's", async () => {
    const viewerToken = await createApiToken(admin.id, "read-only", { role: "viewer", by: admin });
    expect(await (await call(READ, viewerToken.token)).json()).toMatchObject({ data: "viewer" });
    expect((await call(WRITE, viewerToken.token, "POST")).status).toBe(403);
    await expect(createApiToken(operator.id, "escalate", { role: "admin", by: operator })).rejects.toMatchObject({ code: "forbidden" });
    // Nor a token for someone else.
    await expect(createApiToken(admin.id, "for-admin", { role: "viewer", by: operator })).rejects.toMatchObject({ code: "forbidden" });
  });

  it("follow their owner down: a demoted owner's operator token acts as a viewer", async () => {
    const { token } = await createApiToken(operator.id, "ci", { role: "operator", by: operator });
    expect((await call(WRITE, token, "POST")).status).toBe(200);
    await setUserRole(operator.id, "viewer", admin);
    expect((await call(WRITE, token, "POST")).status).toBe(403);
  });

  it("only an admin revokes another user's token; the list never carries a hash", async () => {
    const other = await createUser({ email: "v@example.com", password: "viewer-password-1", role: "viewer" });
    const { id } = await createApiToken(admin.id, "admins", { role: "viewer", by: admin });
    await expect(revokeApiToken(id, other)).rejects.toMatchObject({ code: "forbidden" });
    const list = await listApiTokens();
    expect(JSON.stringify(list)).not.toMatch(/[0-9a-f]{64}/);
    expect(list.find((t) => t.id === id)).toMatchObject({ name: "admins", revokedAt: null, ownerEmail: "admin@example.com" });
  });
});
