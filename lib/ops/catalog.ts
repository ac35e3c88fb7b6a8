import type postgres from "postgres";
import { OpError } from "./errors";
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
  /** Whether Lifeboat's role may pg_terminate_backend it (see sessionsOn). */
  mayEnd: boolean;
  /** The session belongs to a superuser (only a superuser may end it). */
  superuser: boolean;
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

// Which sessions a role may end, as pg_terminate_backend decides (PostgreSQL 15, signalfuncs.c): a
// superuser any; anyone else only sessions of a role whose privileges it has (USAGE: member with INHERIT),
// or of any non-superuser role with pg_signal_backend — never a superuser's session, never a process
// that advertises no role.
function mayEnd(sql: Sql) {
  return sql`(s.usesysid IS NOT NULL AND (
    coalesce((SELECT rolsuper FROM pg_roles WHERE rolname = current_user), false)
    OR (NOT coalesce((SELECT rolsuper FROM pg_roles r WHERE r.oid = s.usesysid), false)
        AND (pg_has_role(s.usesysid, 'USAGE') OR pg_has_role('pg_signal_backend', 'USAGE')))))`;
}

/**
 * Other sessions connected to `db` that stand in the way: not ours, and not the server's own processes.
 * A role without pg_read_all_stats sees NULL backend_type (and query, state, application_name) for other
 * roles' sessions, so autovacuum workers are also recognised by advertising no role (usesysid NULL):
 * CREATE/DROP/RENAME DATABASE end autovacuum workers in that database themselves, and a non-superuser
 * may not (POSTGRES-SAFETY: beyond contents). Each session says whether this role may end it.
 */
export async function sessionsOn(sql: Sql, db: string): Promise<Session[]> {
  return sql<Session[]>`
    SELECT s.pid, s.application_name AS "applicationName", s.usename AS "user", s.state, ${mayEnd(sql)} AS "mayEnd",
           coalesce((SELECT rolsuper FROM pg_roles r WHERE r.oid = s.usesysid), false) AS superuser
    FROM pg_stat_activity s
    WHERE s.datname = ${db} AND s.pid <> pg_backend_pid()
      AND s.backend_type IS DISTINCT FROM 'autovacuum worker' AND s.usesysid IS NOT NULL
    ORDER BY s.pid`;
}

/**
 * The operator's message for sessions this role may not end: who holds them and the two ways out (stop
 * that client, or give the role the right to end them).
 */
export function cannotEndSessions(db: string, sessions: Session[], role: string, tail = ""): OpError {
  const who = sessions.map((s) => `pid ${s.pid}${s.user ? ` (${s.user}${s.superuser ? ", a superuser" : ""})` : ""}`).join(", ");
  const su = sessions.some((s) => s.superuser);
  const fix = su
    ? `Close those sessions (or end them as a superuser: SELECT pg_terminate_backend(pid)) and try again`
    : `Close those sessions, or as a superuser run GRANT pg_signal_backend TO ${displayIdent(role)}; then try again`;
  return new OpError(
    "not_allowed",
    `${sessions.length} session${sessions.length === 1 ? "" : "s"} on "${db}" belong${sessions.length === 1 ? "s" : ""} to a role that "${role}" may not end: ${who}${tail}. ${fix}.`,
    { sessions: sessions.length },
  );
}

/** A role name as SQL for the operator to paste: double-quoted, quotes doubled (display only, never run). */
export function displayIdent(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
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
 * job's own pg_dump sessions (the app's role may end its own sessions; only those it may end are tried).
 */
export async function endLockWaitersNamed(sql: Sql, appName: string): Promise<number[]> {
  const rows = await sql<{ pid: number }[]>`
    SELECT s.pid FROM pg_stat_activity s
    WHERE s.application_name = ${appName} AND s.wait_event_type = 'Lock' AND s.pid <> pg_backend_pid() AND ${mayEnd(sql)}
    ORDER BY s.pid`;
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
