import "server-only";
import { and, asc, eq, sql, type SQL } from "drizzle-orm";
import { checkPasswordPolicy, hashPassword, verifyPassword } from "@/lib/auth/password";
import type { Role } from "@/lib/auth/roles";
import { getDb } from "@/lib/db/client";
import { sessions, users, type User } from "@/lib/db/schema";
import { OpError } from "@/lib/ops/errors";
import { activeSessionSql, revokeUserSessions } from "./sessions";
import { clearThrottleForEmail } from "./sign-in-throttle";

// Everything about a user except the password hash: what pages, the wrapper and the API may see.
const userColumns = {
  id: users.id,
  email: users.email,
  name: users.name,
  role: users.role,
  disabled: users.disabled,
  createdAt: users.createdAt,
  lastSignInAt: users.lastSignInAt,
};
export type UserView = Pick<User, keyof typeof userColumns>;

/** Emails are compared case-insensitively: stored and looked up lower-cased and trimmed. */
export const normalizeEmail = (email: string) => email.trim().toLowerCase();

/**
 * The second authorisation check, inside the query: the acting user is an enabled admin right now.
 * `null` is the CLI (a shell on the Lifeboat host is the authorisation there).
 */
export type Actor = { id: number } | null;
const actorIsAdmin = (by: Actor): SQL =>
  by === null ? sql`true` : sql`exists (select 1 from ${users} a where a.id = ${by.id} and a.role = 'admin' and not a.disabled)`;

export async function createUser(input: { email: string; name?: string | null; password: string; role: Role }, by: Actor = null): Promise<UserView> {
  const email = normalizeEmail(input.email);
  const problem = checkPasswordPolicy(input.password);
  if (problem) throw new OpError("weak_password", `The password ${problem}.`);
  if (await getUserByEmail(email)) throw new OpError("exists", `A user with the email ${email} already exists.`);
  const passwordHash = await hashPassword(input.password);
  const rows = await getDb().execute<{ id: number }>(sql`
    insert into ${users} (email, name, password_hash, role)
    select ${email}, ${input.name ?? null}, ${passwordHash}, ${input.role}::role where ${actorIsAdmin(by)}
    returning id`);
  const id = rows[0]?.id;
  if (!id) throw new OpError("forbidden", "Only an admin can add users.");
  return (await getUserById(Number(id)))!;
}

export async function getUserByEmail(email: string): Promise<UserView | undefined> {
  const [row] = await getDb().select(userColumns).from(users).where(eq(users.email, normalizeEmail(email)));
  return row;
}

export async function getUserById(id: number): Promise<UserView | undefined> {
  const [row] = await getDb().select(userColumns).from(users).where(eq(users.id, id));
  return row;
}

export async function listUsers(): Promise<UserView[]> {
  return getDb().select(userColumns).from(users).orderBy(asc(users.email));
}

/** For the users page: every user with the number of sessions that can still be used. */
export async function listUsersWithSessions(idleMinutes: number): Promise<(UserView & { activeSessions: number })[]> {
  const active = getDb()
    .select({ userId: sessions.userId, n: sql<number>`count(*)::int`.as("n") })
    .from(sessions)
    .where(activeSessionSql(idleMinutes))
    .groupBy(sessions.userId)
    .as("active");
  const rows = await getDb()
    .select({ ...userColumns, activeSessions: sql<number>`coalesce(${active.n}, 0)::int` })
    .from(users)
    .leftJoin(active, eq(active.userId, users.id))
    .orderBy(asc(users.email));
  return rows;
}

/** Runs an admin's change to another user's row; refuses changes to oneself (the last admin stays an admin). */
async function adminUpdate(by: Actor, id: number, set: Partial<typeof users.$inferInsert>): Promise<UserView> {
  if (by && by.id === id) throw new OpError("forbidden", "You cannot change your own role or disable yourself; ask another admin (or use the CLI on the server).");
  const [row] = await getDb()
    .update(users)
    .set(set)
    .where(and(eq(users.id, id), actorIsAdmin(by)))
    .returning(userColumns);
  if (!row) {
    if (!(await getUserById(id))) throw new OpError("not_found", `There is no user #${id}.`);
    throw new OpError("forbidden", "Only an admin can change users.");
  }
  return row;
}

/** A role change ends the user's sessions: they sign in again and see what the new role allows. */
export async function setUserRole(id: number, role: Role, by: Actor = null): Promise<UserView> {
  const user = await adminUpdate(by, id, { role });
  await revokeUserSessions(id, "role changed");
  return user;
}

export async function setUserDisabled(id: number, disabled: boolean, by: Actor = null): Promise<UserView> {
  const user = await adminUpdate(by, id, { disabled });
  if (disabled) await revokeUserSessions(id, "disabled");
  return user;
}

/** An admin's reset: new password, every session ended, sign-in waits cleared. */
export async function resetUserPassword(id: number, password: string, by: Actor = null): Promise<UserView> {
  const problem = checkPasswordPolicy(password);
  if (problem) throw new OpError("weak_password", `The password ${problem}.`);
  const user = await adminUpdate(by, id, { passwordHash: await hashPassword(password) });
  await revokeUserSessions(id, "password reset");
  await clearThrottleForEmail(user.email);
  return user;
}

/** An admin clears the sign-in waits on an account (its own key and its devices'). */
export async function unlockUser(id: number, by: Actor = null): Promise<number> {
  const [row] = await getDb().select({ email: users.email }).from(users).where(and(eq(users.id, id), actorIsAdmin(by)));
  if (!row) throw new OpError(by ? "forbidden" : "not_found", by ? "Only an admin can unlock users." : `There is no user #${id}.`);
  return clearThrottleForEmail(row.email);
}

/** The user's own change: needs the current password; ends every other session of theirs. */
export async function changeOwnPassword(id: number, current: string, next: string, keepSession?: string): Promise<number> {
  const problem = checkPasswordPolicy(next);
  if (problem) throw new OpError("weak_password", `The new password ${problem}.`);
  const [row] = await getDb().select({ hash: users.passwordHash }).from(users).where(eq(users.id, id));
  if (!row || !(await verifyPassword(current, row.hash))) throw new OpError("wrong_password", "The current password is not right. Nothing was changed.");
  await getDb().update(users).set({ passwordHash: await hashPassword(next) }).where(eq(users.id, id));
  return revokeUserSessions(id, "password changed", keepSession);
}

/** The CLI's `user:add --update` path: sets a password without the admin check (a shell is the authorisation). */
export async function setUserPassword(id: number, password: string): Promise<void> {
  const problem = checkPasswordPolicy(password);
  if (problem) throw new OpError("weak_password", `The password ${problem}.`);
  await getDb().update(users).set({ passwordHash: await hashPassword(password) }).where(eq(users.id, id));
  await revokeUserSessions(id, "password set from the CLI");
}

/** The login path only: the one query that reads the password hash. */
export async function getLoginCandidate(email: string): Promise<(UserView & { passwordHash: string }) | undefined> {
  const [row] = await getDb()
    .select({ ...userColumns, passwordHash: users.passwordHash })
    .from(users)
    .where(eq(users.email, normalizeEmail(email)));
  return row;
}
