import postgres from "postgres";
import { requireEnv } from "@/lib/env";

// One operation per app across every dashboard process and CLI: a session-level advisory lock on a
// connection of its own. A crashed process's session ends and PostgreSQL releases the lock by itself,
// so "is the lock free?" is also how recovery knows that a job marked running is dead.
const LOCK_CLASS = 0x4c425400; // "LBT\0"

export interface AppLock {
  release(): Promise<void>;
}

/** Takes the app's lock, or returns null when another session holds it. */
export async function tryLockApp(appId: number): Promise<AppLock | null> {
  const sql = postgres(requireEnv("DATABASE_URL"), {
    max: 1,
    idle_timeout: 0,
    onnotice: () => {},
    connection: { application_name: `lifeboat-lock-app-${appId}` },
  });
  try {
    const [row] = await sql<{ locked: boolean }[]>`SELECT pg_try_advisory_lock(${LOCK_CLASS}, ${appId}) AS locked`;
    if (!row?.locked) {
      await sql.end({ timeout: 5 });
      return null;
    }
  } catch (e) {
    await sql.end({ timeout: 5 });
    throw e;
  }
  let released = false;
  return {
    async release() {
      if (released) return;
      released = true;
      // Ending the session releases the lock even if the unlock statement fails.
      await sql`SELECT pg_advisory_unlock(${LOCK_CLASS}, ${appId})`.catch(() => {});
      await sql.end({ timeout: 5 });
    },
  };
}
