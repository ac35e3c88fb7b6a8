import "server-only";
import crypto from "node:crypto";
import { and, desc, eq, isNull, ne, sql } from "drizzle-orm";
import { isRole, type Role } from "@/lib/auth/roles";
import { getDb } from "@/lib/db/client";
import { sessions, users } from "@/lib/db/schema";

export type SessionRefusal = "unknown" | "revoked" | "expired" | "idle" | "disabled";
export type SessionCheck =
  | { ok: true; sessionId: string; user: { id: number; email: string; role: Role } }
  | { ok: false; reason: SessionRefusal };

/** last_seen_at is written at most this often: a page load makes several session checks. */
const TOUCH_EVERY_S = 30;

/** A new server-side session; its absolute end is fixed here and never moved. Also notes the sign-in time. */
export async function createSession(input: { userId: number; hours: number; userAgent: string | null; ip: string | null }): Promise<string> {
  const id = crypto.randomBytes(32).toString("base64url");
  const db = getDb();
  await db.insert(sessions).values({
    id,
    userId: input.userId,
    expiresAt: sql`now() + make_interval(secs => ${Math.round(input.hours * 3600)})`,
    userAgent: input.userAgent,
    ip: input.ip,
  });
  await db.update(users).set({ lastSignInAt: sql`now()` }).where(eq(users.id, input.userId));
  return id;
}

/**
 * The one check behind every signed-in request: the session exists, is not revoked, is within its
 * absolute lifetime and its idle timeout, and its user is enabled. Role and email come from the users
 * row, so a change applies at once. Marks the session as seen.
 */
export async function checkSession(id: string, idleMinutes: number): Promise<SessionCheck> {
  if (!id || id.length > 100) return { ok: false, reason: "unknown" };
  const db = getDb();
  const [row] = await db
    .select({
      revoked: sql<boolean>`${sessions.revokedAt} is not null`,
      expired: sql<boolean>`${sessions.expiresAt} <= now()`,
      idle: sql<boolean>`${sessions.lastSeenAt} <= now() - make_interval(secs => ${Math.round(idleMinutes * 60)})`,
      stale: sql<boolean>`${sessions.lastSeenAt} <= now() - make_interval(secs => ${TOUCH_EVERY_S})`,
      userId: users.id,
      email: users.email,
      role: users.role,
      disabled: users.disabled,
    })
    .from(sessions)
    .innerJoin(users, eq(users.id, sessions.userId))
    .where(eq(sessions.id, id));
  if (!row) return { ok: false, reason: "unknown" };
  if (row.revoked) return { ok: false, reason: "revoked" };
  if (row.expired) return { ok: false, reason: "expired" };
  if (row.idle) return { ok: false, reason: "idle" };
  if (row.disabled || !isRole(row.role)) return { ok: false, reason: "disabled" };
  if (row.stale) {
    // Only if still unrevoked: a touch never revives a session revoked between the read and this write.
    await db.update(sessions).set({ lastSeenAt: sql`now()` }).where(and(eq(sessions.id, id), isNull(sessions.revokedAt)));
  }
  return { ok: true, sessionId: id, user: { id: row.userId, email: row.email, role: row.role } };
}

export async function revokeSession(id: string, reason: string): Promise<void> {
  await getDb()
    .update(sessions)
    .set({ revokedAt: sql`now()`, revokedReason: reason.slice(0, 100) })
    .where(and(eq(sessions.id, id), isNull(sessions.revokedAt)));
}

/** Ends every session of a user (optionally keeping one: the caller's own). Returns how many ended. */
export async function revokeUserSessions(userId: number, reason: string, keep?: string): Promise<number> {
  const rows = await getDb()
    .update(sessions)
    .set({ revokedAt: sql`now()`, revokedReason: reason.slice(0, 100) })
    .where(and(eq(sessions.userId, userId), isNull(sessions.revokedAt), keep ? ne(sessions.id, keep) : undefined))
    .returning({ id: sessions.id });
  return rows.length;
}

/** SQL for "this session can still be used", for counts. */
export const activeSessionSql = (idleMinutes: number) =>
  sql`${sessions.revokedAt} is null and ${sessions.expiresAt} > now() and ${sessions.lastSeenAt} > now() - make_interval(secs => ${Math.round(idleMinutes * 60)})`;

/** The user's own sessions that can still be used, newest first (for the account page). */
export async function listActiveSessions(userId: number, idleMinutes: number) {
  return getDb()
    .select({ id: sessions.id, createdAt: sessions.createdAt, lastSeenAt: sessions.lastSeenAt, expiresAt: sessions.expiresAt, userAgent: sessions.userAgent, ip: sessions.ip })
    .from(sessions)
    .where(and(eq(sessions.userId, userId), activeSessionSql(idleMinutes)))
    .orderBy(desc(sessions.lastSeenAt));
}
