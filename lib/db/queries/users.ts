import "server-only";
import { and, asc, eq, gt, lt, sql } from "drizzle-orm";
import { checkPasswordPolicy, hashPassword } from "@/lib/auth/password";
import type { Role } from "@/lib/auth/roles";
import { getDb } from "@/lib/db/client";
import { apiTokens, loginFailures, users, type User } from "@/lib/db/schema";
import { OpError } from "@/lib/ops/errors";

// Everything about a user except the password hash: what pages, the wrapper and the API may see.
const userColumns = {
  id: users.id,
  email: users.email,
  name: users.name,
  role: users.role,
  disabled: users.disabled,
  createdAt: users.createdAt,
};
export type UserView = Pick<User, keyof typeof userColumns>;

/** Emails are compared case-insensitively: stored and looked up lower-cased and trimmed. */
export const normalizeEmail = (email: string) => email.trim().toLowerCase();

export async function createUser(input: { email: string; name?: string | null; password: string; role: Role }): Promise<UserView> {
  const email = normalizeEmail(input.email);
  const problem = checkPasswordPolicy(input.password);
  if (problem) throw new OpError("weak_password", `The password ${problem}.`);
  if (await getUserByEmail(email)) throw new OpError("exists", `A user with the email ${email} already exists.`);
  const [row] = await getDb()
    .insert(users)
    .values({ email, name: input.name ?? null, passwordHash: await hashPassword(input.password), role: input.role })
    .returning(userColumns);
  return row!;
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

export async function setUserRole(id: number, role: Role): Promise<void> {
  await getDb().update(users).set({ role }).where(eq(users.id, id));
}

export async function setUserDisabled(id: number, disabled: boolean): Promise<void> {
  await getDb().update(users).set({ disabled }).where(eq(users.id, id));
}

export async function setUserPassword(id: number, password: string): Promise<void> {
  const problem = checkPasswordPolicy(password);
  if (problem) throw new OpError("weak_password", `The password ${problem}.`);
  await getDb().update(users).set({ passwordHash: await hashPassword(password) }).where(eq(users.id, id));
}

/** The login path only: the one query that reads the password hash. */
export async function getLoginCandidate(email: string): Promise<(UserView & { passwordHash: string }) | undefined> {
  const [row] = await getDb()
    .select({ ...userColumns, passwordHash: users.passwordHash })
    .from(users)
    .where(eq(users.email, normalizeEmail(email)));
  return row;
}

// Login throttling. Rows older than a day are pruned on each failure so the table stays small.
export async function recordLoginFailure(email: string): Promise<void> {
  const db = getDb();
  await db.insert(loginFailures).values({ email: normalizeEmail(email) });
  await db.delete(loginFailures).where(lt(loginFailures.at, sql`now() - interval '1 day'`));
}

export async function countRecentFailures(email: string, windowMs: number): Promise<number> {
  const [row] = await getDb()
    .select({ n: sql<number>`count(*)::int` })
    .from(loginFailures)
    .where(
      and(
        eq(loginFailures.email, normalizeEmail(email)),
        gt(loginFailures.at, sql`now() - make_interval(secs => ${windowMs / 1000})`),
      ),
    );
  return row?.n ?? 0;
}

export async function clearLoginFailures(email: string): Promise<void> {
  await getDb().delete(loginFailures).where(eq(loginFailures.email, normalizeEmail(email)));
}

// API tokens: only the sha256 of a token is stored; the plaintext is shown once when it is made.
export async function insertApiToken(userId: number, name: string, tokenHash: string): Promise<{ id: number }> {
  const [row] = await getDb().insert(apiTokens).values({ userId, name, tokenHash }).returning({ id: apiTokens.id });
  return row!;
}

export async function getTokenOwner(tokenHash: string): Promise<{ tokenId: number; tokenName: string; user: UserView } | undefined> {
  const [row] = await getDb()
    .select({ tokenId: apiTokens.id, tokenName: apiTokens.name, user: userColumns })
    .from(apiTokens)
    .innerJoin(users, eq(users.id, apiTokens.userId))
    .where(eq(apiTokens.tokenHash, tokenHash));
  return row;
}

export async function touchApiToken(tokenId: number): Promise<void> {
  await getDb().update(apiTokens).set({ lastUsedAt: new Date() }).where(eq(apiTokens.id, tokenId));
}

export async function listApiTokens(userId: number) {
  return getDb()
    .select({ id: apiTokens.id, name: apiTokens.name, createdAt: apiTokens.createdAt, lastUsedAt: apiTokens.lastUsedAt })
    .from(apiTokens)
    .where(eq(apiTokens.userId, userId))
    .orderBy(asc(apiTokens.id));
}
