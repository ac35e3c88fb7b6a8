import "server-only";
import { and, eq, inArray, lt, sql } from "drizzle-orm";
import { getDb } from "@/lib/db/client";
import { signInThrottle } from "@/lib/db/schema";

export interface ThrottleKey {
  key: string;
  /** The account the key belongs to (unlock and reset clear by it); null for a client address. */
  email: string | null;
  /** Failures that cost nothing; each one after them doubles the wait, from 1 s up to `capSeconds`. */
  free: number;
  capSeconds: number;
}

/** Failures older than this are forgotten at the next one: the count starts again. */
const FORGET_AFTER = sql`interval '1 hour'`;

/** Seconds until every one of these keys allows an attempt again (0 = now). */
export async function secondsBlocked(keys: string[]): Promise<number> {
  if (keys.length === 0) return 0;
  const [row] = await getDb()
    .select({ s: sql<number>`coalesce(ceil(extract(epoch from max(${signInThrottle.blockedUntil}) - now())), 0)::int` })
    .from(signInThrottle)
    .where(and(inArray(signInThrottle.key, keys), sql`${signInThrottle.blockedUntil} > now()`));
  return Math.max(0, row?.s ?? 0);
}

/** Counts one failure on each key and pushes its blocked_until out: 1 s, 2 s, 4 s … after the free ones. */
export async function recordSignInFailure(keys: ThrottleKey[]): Promise<void> {
  const db = getDb();
  for (const k of keys) {
    const failures = sql`case when ${signInThrottle.lastFailureAt} < now() - ${FORGET_AFTER} then 1 else ${signInThrottle.failures} + 1 end`;
    const delay = (n: ReturnType<typeof sql>) =>
      sql`case when ${n} > ${k.free} then now() + make_interval(secs => least(${k.capSeconds}::float8, power(2, ${n} - ${k.free} - 1))) else null end`;
    await db
      .insert(signInThrottle)
      .values({ key: k.key, email: k.email, failures: 1, blockedUntil: k.free < 1 ? sql`now() + interval '1 second'` : null })
      .onConflictDoUpdate({
        target: signInThrottle.key,
        set: { failures, lastFailureAt: sql`now()`, blockedUntil: delay(failures) },
      });
  }
  await db.delete(signInThrottle).where(and(lt(signInThrottle.lastFailureAt, sql`now() - interval '1 day'`), sql`coalesce(${signInThrottle.blockedUntil}, now()) <= now()`));
}

export async function clearThrottleKeys(keys: string[]): Promise<void> {
  if (keys.length) await getDb().delete(signInThrottle).where(inArray(signInThrottle.key, keys));
}

/** Unlock: every key of an account (its own and its devices'). Returns how many were cleared. */
export async function clearThrottleForEmail(email: string): Promise<number> {
  const rows = await getDb().delete(signInThrottle).where(eq(signInThrottle.email, email)).returning({ key: signInThrottle.key });
  return rows.length;
}

/** Emails with a wait in force right now (for the users page's "unlock" badge). */
export async function listThrottledEmails(): Promise<Map<string, Date>> {
  const rows = await getDb()
    .select({ email: signInThrottle.email, until: sql<Date>`max(${signInThrottle.blockedUntil})` })
    .from(signInThrottle)
    .where(and(sql`${signInThrottle.email} is not null`, sql`${signInThrottle.blockedUntil} > now()`))
    .groupBy(signInThrottle.email);
  return new Map(rows.map((r) => [r.email!, new Date(r.until)]));
}
