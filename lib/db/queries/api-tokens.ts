import "server-only";
import { and, asc, eq, isNull, sql } from "drizzle-orm";
import { hasRole, isRole, type Role } from "@/lib/auth/roles";
import { getDb } from "@/lib/db/client";
import { apiTokens, users } from "@/lib/db/schema";
import { OpError } from "@/lib/ops/errors";
import type { Actor, UserView } from "./users";

// API tokens: only the sha256 of a token is stored; the plaintext is shown once when it is made.

/**
 * Stores a token for `userId` with a role no higher than the creator's (checked here too, in SQL: the
 * creator must be enabled and hold at least that role — role is an enum ordered viewer < operator < admin).
 */
export async function insertApiToken(input: {
  userId: number;
  name: string;
  tokenHash: string;
  role: Role | null;
  expiresInDays: number | null;
  by: Actor;
}): Promise<{ id: number }> {
  const { by } = input;
  const allowed =
    by === null
      ? sql`true`
      : sql`exists (select 1 from ${users} c where c.id = ${by.id} and not c.disabled and c.id = ${input.userId} and c.role >= ${input.role ?? "admin"}::role)`;
  const expires = input.expiresInDays === null ? sql`null` : sql`now() + make_interval(days => ${input.expiresInDays})`;
  const rows = await getDb().execute<{ id: number }>(sql`
    insert into ${apiTokens} (user_id, name, token_hash, role, expires_at, created_by)
    select ${input.userId}, ${input.name}, ${input.tokenHash}, ${input.role}::role, ${expires}, ${by?.id ?? null}
    where ${allowed}
    returning id`);
  const id = rows[0]?.id;
  if (!id) throw new OpError("forbidden", "A token's role cannot be higher than your own.");
  return { id: Number(id) };
}

export type TokenCheck =
  | { ok: true; tokenId: number; tokenName: string; role: Role; user: Pick<UserView, "id" | "email" | "role"> }
  | { ok: false; reason: "unknown" | "revoked" | "expired" | "disabled" };

/** The token's owner, acting with the lower of the token's role and the owner's current role. */
export async function checkApiToken(tokenHash: string): Promise<TokenCheck> {
  const [row] = await getDb()
    .select({
      tokenId: apiTokens.id,
      tokenName: apiTokens.name,
      tokenRole: apiTokens.role,
      revoked: sql<boolean>`${apiTokens.revokedAt} is not null`,
      expired: sql<boolean>`coalesce(${apiTokens.expiresAt} <= now(), false)`,
      userId: users.id,
      email: users.email,
      userRole: users.role,
      disabled: users.disabled,
    })
    .from(apiTokens)
    .innerJoin(users, eq(users.id, apiTokens.userId))
    .where(eq(apiTokens.tokenHash, tokenHash));
  if (!row) return { ok: false, reason: "unknown" };
  if (row.revoked) return { ok: false, reason: "revoked" };
  if (row.expired) return { ok: false, reason: "expired" };
  if (row.disabled || !isRole(row.userRole)) return { ok: false, reason: "disabled" };
  const role = row.tokenRole && hasRole(row.userRole, row.tokenRole) ? row.tokenRole : row.userRole;
  return { ok: true, tokenId: row.tokenId, tokenName: row.tokenName, role, user: { id: row.userId, email: row.email, role: row.userRole } };
}

export async function touchApiToken(tokenId: number): Promise<void> {
  await getDb().update(apiTokens).set({ lastUsedAt: new Date() }).where(eq(apiTokens.id, tokenId));
}

const tokenColumns = {
  id: apiTokens.id,
  name: apiTokens.name,
  role: apiTokens.role,
  ownerEmail: users.email,
  ownerRole: users.role,
  createdAt: apiTokens.createdAt,
  lastUsedAt: apiTokens.lastUsedAt,
  expiresAt: apiTokens.expiresAt,
  revokedAt: apiTokens.revokedAt,
};

/** Every token (never its hash), oldest first. */
export async function listApiTokens(opts: { userId?: number } = {}) {
  return getDb()
    .select(tokenColumns)
    .from(apiTokens)
    .innerJoin(users, eq(users.id, apiTokens.userId))
    .where(opts.userId ? eq(apiTokens.userId, opts.userId) : undefined)
    .orderBy(asc(apiTokens.id));
}
export type ApiTokenView = Awaited<ReturnType<typeof listApiTokens>>[number];

/** Revokes a token; an admin may revoke anyone's, others only their own. Returns false if already revoked. */
export async function revokeApiToken(id: number, by: Actor): Promise<boolean> {
  const mayRevoke =
    by === null
      ? sql`true`
      : sql`(${apiTokens.userId} = ${by.id} or exists (select 1 from ${users} a where a.id = ${by.id} and a.role = 'admin' and not a.disabled))`;
  const rows = await getDb()
    .update(apiTokens)
    .set({ revokedAt: sql`now()` })
    .where(and(eq(apiTokens.id, id), isNull(apiTokens.revokedAt), mayRevoke))
    .returning({ id: apiTokens.id });
  if (rows.length) return true;
  const [exists] = await getDb().select({ revoked: apiTokens.revokedAt }).from(apiTokens).where(eq(apiTokens.id, id));
  if (!exists) throw new OpError("not_found", `There is no API token #${id}.`);
  if (exists.revoked) return false;
  throw new OpError("forbidden", "Only an admin can revoke another user's token.");
}
