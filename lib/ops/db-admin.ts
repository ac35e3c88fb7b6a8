import type postgres from "postgres";
import { cannotEndSessions, databaseFlags, sessionsOn as catalogSessions, type Session } from "./catalog";
import { OpError } from "./errors";
import { assertDbName, quoteIdent } from "./identifiers";
import { connectionError } from "./server-info";
import { MAINTENANCE_DB, withMaintenance, type TargetDb } from "./target";

// Administration of whole databases from the maintenance database, shared by clones, restores, swaps and
// their recovery: letting a database accept connections again, dropping one Lifeboat made, and the error
// messages an operator reads when the role may not.

/** The server's own databases: never cloned into, never dropped. */
export const RESERVED = new Set([MAINTENANCE_DB, "template0", "template1"]);

/** Recovery: let a database accept connections again (left refusing them by an interrupted clone or swap). */
export async function allowConnections(target: TargetDb, db: string): Promise<void> {
  assertDbName(db);
  await withMaint(target, async (sql) => {
    try {
      await sql.unsafe(`ALTER DATABASE ${quoteIdent(db)} WITH ALLOW_CONNECTIONS true`);
    } catch (e) {
      throw mapAlterError(e, target, db);
    }
  });
}

/**
 * Recovery and cleanup: drops a database Lifeboat made (a half-made clone, a staging database) if it exists.
 * Never the app's live database nor the server's own. `force` ends its sessions (PostgreSQL 13+).
 * Returns whether something was dropped.
 */
export async function dropDatabaseIfExists(target: TargetDb, name: string, opts: { force?: boolean } = {}): Promise<boolean> {
  assertDbName(name);
  if (name === target.database) {
    throw new OpError("refused", `Refusing to drop "${name}": it is the app's live database.`);
  }
  if (RESERVED.has(name)) throw new OpError("reserved_db", `Refusing to drop "${name}": it is one of the server's own databases.`);
  return withMaint(target, async (sql) => {
    if (!(await databaseFlags(sql, [name])).has(name)) return false;
    try {
      try {
        await sql.unsafe(`DROP DATABASE IF EXISTS ${quoteIdent(name)}${opts.force ? " WITH (FORCE)" : ""}`);
      } catch (e) {
        // WITH (FORCE) ends every session or none: a non-superuser may not end an autovacuum worker (it
        // advertises no role) nor another role's session. Then: refuse new connections, end the sessions
        // this role may end, and DROP without FORCE, which ends autovacuum workers itself.
        if (!opts.force || (e as { code?: string }).code !== "42501") throw e;
        const allowed = (await databaseFlags(sql, [name])).get(name);
        await sql.unsafe(`ALTER DATABASE ${quoteIdent(name)} WITH ALLOW_CONNECTIONS false`);
        const { sessions } = await sessionsOn(sql, name);
        const foreign = sessions.filter((x) => !x.mayEnd);
        if (foreign.length) {
          // Not dropped: it gets back the flag it had.
          if (allowed) await sql.unsafe(`ALTER DATABASE ${quoteIdent(name)} WITH ALLOW_CONNECTIONS true`);
          throw cannotEndSessions(name, foreign, target.user, "; it was not dropped");
        }
        if (sessions.length) await sql`SELECT pg_terminate_backend(pid, 5000) FROM unnest(${sessions.map((x) => x.pid)}::int[]) AS pid`;
        await sql.unsafe(`DROP DATABASE IF EXISTS ${quoteIdent(name)}`);
      }
    } catch (e) {
      if (e instanceof OpError) throw e;
      const err = e as { code?: string; message?: string };
      if (err.code === "55006") {
        const n = (await sessionsOn(sql, name)).count;
        throw new OpError(
          "db_busy",
          `database "${name}" is being accessed by ${n} other session${n === 1 ? "" : "s"}; close them or choose to end sessions, then drop it.`,
          { sessions: n },
        );
      }
      if (err.code === "42501") {
        throw new OpError("not_owner", `The user "${target.user}" may not drop "${name}": only its owner or a superuser can.`);
      }
      throw e;
    }
    return true;
  });
}

// ---- shared with clone.ts -----------------------------------------------------------------------------

/** withMaintenance, with connection failures turned into operator messages. */
export function withMaint<T>(target: TargetDb, fn: (sql: postgres.Sql) => Promise<T>): Promise<T> {
  return withMaintenance(target, fn).catch((e: unknown) => {
    throw connectionError(e, target, MAINTENANCE_DB);
  });
}

export async function sessionsOn(sql: postgres.Sql, db: string): Promise<{ count: number; sessions: Session[] }> {
  const sessions = await catalogSessions(sql, db);
  return { count: sessions.length, sessions };
}

export function mapAlterError(e: unknown, target: TargetDb, db: string): unknown {
  const err = e as { code?: string; message?: string };
  if (err?.code === "42501") {
    return new OpError(
      "not_owner",
      `The user "${target.user}" may not change "${db}" (${err.message}): only its owner or a superuser can stop and allow its connections.`,
    );
  }
  if (err?.code === "3D000") return dbMissing(target, db);
  return connectionError(e, target, MAINTENANCE_DB);
}

export function dbMissing(target: TargetDb, db: string): OpError {
  return new OpError("db_missing", `database "${db}" does not exist on ${target.host}:${target.port}: check the database name.`);
}
