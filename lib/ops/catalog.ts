import type postgres from "postgres";
import { assertDbName, quoteIdent } from "./identifiers";
import { connectionError } from "./server-info";
import { MAINTENANCE_DB, withMaintenance, type TargetDb } from "./target";

// The questions Lifeboat asks the server's catalog, in one place: does a database exist, does it accept
// connections, how big is it, who is connected to it, is a CREATE DATABASE for it still running, is a
// client with a given application_name still connected. Each takes an open client on the maintenance
// database (a swap or a clone asks several on one connection) or, for the one-off questions, the target.

type Sql = postgres.Sql | postgres.TransactionSql;

export interface Session {
  pid: number;
  applicationName: string | null;
  user: string | null;
  state: string | null;
}

/** datallowconn of each of `names` that exists (absent from the map: no such database). */
export async function databaseFlags(sql: Sql, names: string[]): Promise<Map<string, boolean>> {
  const rows = await sql<{ name: string; allow: boolean }[]>`
    SELECT datname AS name, datallowconn AS allow FROM pg_database WHERE datname = ANY(${names}::text[])`;
  return new Map(rows.map((r) => [r.name, r.allow]));
}

/** Every database on the server with its flag (for matching backup names in JS, never with LIKE). */
export async function allDatabases(sql: Sql): Promise<{ name: string; allow: boolean }[]> {
  return sql<{ name: string; allow: boolean }[]>`SELECT datname AS name, datallowconn AS allow FROM pg_database`;
}

/**
 * Sizes in bytes. A database that does not exist, or that the role may not connect to
 * (pg_database_size needs CONNECT), is absent from the map.
 */
export async function databaseSizesOn(sql: Sql, names: string[]): Promise<Map<string, number>> {
  const rows = await sql<{ name: string; bytes: string | null }[]>`
    SELECT datname AS name,
           CASE WHEN has_database_privilege(oid, 'CONNECT') THEN pg_database_size(oid)::text END AS bytes
    FROM pg_database WHERE datname = ANY(${names}::text[])`;
  const out = new Map<string, number>();
  for (const r of rows) if (r.bytes !== null) out.set(r.name, Number(r.bytes));
  return out;
}

/**
 * Other sessions connected to `db`: not ours, not autovacuum workers (CREATE/DROP/RENAME end those
 * themselves, and a non-superuser cannot). A role without pg_read_all_stats sees NULL backend_type for
 * other roles' sessions, so IS DISTINCT FROM keeps those in the count (POSTGRES-SAFETY: beyond contents).
 */
export async function sessionsOn(sql: Sql, db: string): Promise<Session[]> {
  return sql<Session[]>`
    SELECT pid, application_name AS "applicationName", usename AS "user", state
    FROM pg_stat_activity
    WHERE datname = ${db} AND pid <> pg_backend_pid() AND backend_type IS DISTINCT FROM 'autovacuum worker'
    ORDER BY pid`;
}

/**
 * Backends still running a CREATE DATABASE of `name`: by the statement text, and by the pids the
 * operation journaled (a role without pg_read_all_stats cannot read other roles' statements). When the
 * client that sent CREATE DATABASE dies, the server finishes the copy on its own (POSTGRES-SAFETY: work
 * outlives the client): until these are gone, "the clone is not there" proves nothing.
 */
export async function createDatabaseBackends(sql: Sql, name: string, pids: number[] = []): Promise<number[]> {
  assertDbName(name);
  const rows = await sql<{ pid: number }[]>`
    SELECT pid FROM pg_stat_activity
    WHERE pid <> pg_backend_pid() AND state IS DISTINCT FROM 'idle'
      AND (pid = ANY(${pids}::int[])
           OR (query ~* '^\\s*create\\s+database\\s' AND position(${quoteIdent(name)} in query) > 0))
    ORDER BY pid`;
  return rows.map((r) => r.pid);
}

/** Sessions whose application_name is exactly `appName` (a pg_dump started with its own PGAPPNAME). */
export async function sessionsNamed(sql: Sql, appName: string): Promise<number[]> {
  const rows = await sql<{ pid: number }[]>`
    SELECT pid FROM pg_stat_activity WHERE application_name = ${appName} AND pid <> pg_backend_pid() ORDER BY pid`;
  return rows.map((r) => r.pid);
}

/**
 * Ends the sessions named `appName` that wait on a lock: a backend queued on a lock notices that its client
 * died only once the lock is granted, which may be never, and until then it writes nothing. Only for a dead
 * job's own pg_dump sessions (the app's role may end its own sessions).
 */
export async function endLockWaitersNamed(sql: Sql, appName: string): Promise<number[]> {
  const rows = await sql<{ pid: number }[]>`
    SELECT pid FROM pg_stat_activity
    WHERE application_name = ${appName} AND wait_event_type = 'Lock' AND pid <> pg_backend_pid() ORDER BY pid`;
  for (const r of rows) await sql`SELECT pg_terminate_backend(${r.pid}, 5000)`;
  return rows.map((r) => r.pid);
}

// ─── one-off questions on the target ──────────────────────────────────────────────────────────────────

/** withMaintenance, with connection failures turned into operator messages. */
export function withCatalog<T>(target: TargetDb, fn: (sql: postgres.Sql) => Promise<T>): Promise<T> {
  return withMaintenance(target, fn).catch((e: unknown) => {
    throw connectionError(e, target, MAINTENANCE_DB);
  });
}

export async function databaseExists(target: TargetDb, name: string): Promise<boolean> {
  return withCatalog(target, async (sql) => (await databaseFlags(sql, [name])).has(name));
}

/** Whether `name` accepts connections; null when there is no such database. */
export async function allowsConnections(target: TargetDb, name: string): Promise<boolean | null> {
  return withCatalog(target, async (sql) => (await databaseFlags(sql, [name])).get(name) ?? null);
}

export async function databaseSizes(target: TargetDb, names: string[]): Promise<Map<string, number>> {
  for (const n of names) assertDbName(n);
  if (names.length === 0) return new Map();
  return withCatalog(target, (sql) => databaseSizesOn(sql, names));
}

export interface WaitResult {
  /** Pids still there when the wait ended (empty: they are all gone). */
  still: number[];
  waitedMs: number;
}

/**
 * Polls `question` (pids of backends doing something) until it answers none or `timeoutMs` passes. Each
 * poll opens its own short connection, so a server restart in between does not end the wait early.
 */
export async function waitUntilGone(
  target: TargetDb,
  question: (sql: postgres.Sql) => Promise<number[]>,
  opts: { timeoutMs: number; pollMs?: number },
): Promise<WaitResult> {
  const started = Date.now();
  for (;;) {
    const still = await withCatalog(target, question);
    const waitedMs = Date.now() - started;
    if (still.length === 0 || waitedMs >= opts.timeoutMs) return { still, waitedMs };
    await new Promise((r) => setTimeout(r, opts.pollMs ?? 250));
  }
}
