import postgres from "postgres";
import { requireEnv } from "@/lib/env";

// One operation per app across every worker and dashboard process: a session-level advisory lock on a
// connection of its own. A session can end while its holder lives on (pg_terminate_backend, a failover,
// idle_session_timeout, a network cut), so a free lock proves nothing about liveness: the job's lease does
// (lib/jobs/lease.ts). The holder watches its session and fences its job the moment the session is gone.
const LOCK_CLASS = 0x4c425400; // "LBT\0"

export interface AppLock {
  release(): Promise<void>;
  /** Still the same session that took the lock? (postgres.js reconnects silently: compare backend pids.) */
  held(): Promise<boolean>;
  /** Called once when the lock's connection closes without release(). */
  onLost(cb: () => void): void;
}

/** Takes the app's lock, or returns null when another session holds it. */
export async function tryLockApp(appId: number): Promise<AppLock | null> {
  let released = false;
  let lost = false;
  const lostCallbacks: (() => void)[] = [];
  const markLost = () => {
    if (released || lost) return;
    lost = true;
    for (const cb of lostCallbacks) cb();
  };
  const sql = postgres(requireEnv("DATABASE_URL"), {
    max: 1,
    idle_timeout: 0,
    // postgres.js recycles connections after 30–60 min by default: that would drop the lock under a long dump.
    max_lifetime: 0,
    onnotice: () => {},
    onclose: () => markLost(),
    connect_timeout: 5,
    connection: { application_name: `lifeboat-lock-app-${appId}` },
  });
  let pid: number;
  try {
    const [row] = await sql<{ locked: boolean; pid: number }[]>`
      SELECT pg_try_advisory_lock(${LOCK_CLASS}, ${appId}) AS locked, pg_backend_pid() AS pid`;
    if (!row?.locked) {
      released = true;
      await sql.end({ timeout: 5 });
      return null;
    }
    pid = row.pid;
  } catch (e) {
    released = true;
    await sql.end({ timeout: 5 }).catch(() => {});
    throw e;
  }
  return {
    async release() {
      if (released) return;
      released = true;
      // Ending the session releases the lock even if the unlock statement fails.
      if (!lost) await sql`SELECT pg_advisory_unlock(${LOCK_CLASS}, ${appId})`.catch(() => {});
      await sql.end({ timeout: 5 }).catch(() => {});
    },
    async held() {
      if (lost || released) return false;
      try {
        const rows = await withTimeout(sql<{ pid: number }[]>`SELECT pg_backend_pid() AS pid`, 5000);
        if (rows?.[0]?.pid === pid) return true;
      } catch {
        // no answer: treated as lost below
      }
      markLost();
      return false;
    },
    onLost(cb) {
      if (lost) cb();
      else lostCallbacks.push(cb);
    },
  };
}

async function withTimeout<T>(p: Promise<T>, ms: number): Promise<T | undefined> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<undefined>((resolve) => {
    timer = setTimeout(() => resolve(undefined), ms);
  });
  try {
    return await Promise.race([p, late]);
  } finally {
    clearTimeout(timer);
  }
}
