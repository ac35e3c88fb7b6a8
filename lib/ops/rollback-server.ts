import fs from "node:fs/promises";
import { databaseExists, databaseSizes } from "./catalog";
import { OpError } from "./errors";
import { assertDbName } from "./identifiers";
import type { LiveStats } from "./rollback-plan";
import { connectionError } from "./server-info";
import { listUserTables } from "./tables";
import { connectTarget, MAINTENANCE_DB, withMaintenance, type TargetDb } from "./target";

// Read-only queries on the database server for rollback: the counters and free space for the plan and the
// free-space check (lib/ops/rollback-plan.ts), and the existence and readability checks the sequence
// (lib/ops/rollback.ts) runs before it changes anything.

// ─── reading the server (for the plan and the free-space check) ───────────────────────────────────────────

/** The live database's pg_stat_database counters, when they were last reset, and when the server started. */
export async function readLiveStats(target: TargetDb): Promise<LiveStats> {
  assertDbName(target.database);
  return withMaintenance(target, async (sql) => {
    const [row] = await sql<{ x: string; i: string; u: string; d: string; reset: Date | null; started: Date }[]>`
      SELECT coalesce(s.xact_commit, 0)::text AS x, coalesce(s.tup_inserted, 0)::text AS i, coalesce(s.tup_updated, 0)::text AS u,
             coalesce(s.tup_deleted, 0)::text AS d, s.stats_reset AS reset, pg_postmaster_start_time() AS started
      FROM (SELECT 1) one LEFT JOIN pg_stat_database s ON s.datname = ${target.database}`;
    return {
      stats: { xactCommit: Number(row!.x), tupInserted: Number(row!.i), tupUpdated: Number(row!.u), tupDeleted: Number(row!.d) },
      statsReset: row!.reset,
      serverStartedAt: row!.started,
    };
  }).catch((e: unknown) => {
    throw connectionError(e, target, MAINTENANCE_DB);
  });
}

/**
 * The server's data directory when it is on this machine and readable (a local server and a role allowed
 * to see `data_directory`), for the free-space check; null when that cannot be known from here.
 */
export async function localDataDirectory(target: TargetDb): Promise<string | null> {
  const local = ["127.0.0.1", "localhost", "::1"].includes(target.host) || target.host.startsWith("/");
  if (!local) return null;
  try {
    const dir = await withMaintenance(target, async (sql) => {
      const [row] = await sql<{ dir: string }[]>`SELECT current_setting('data_directory') AS dir`;
      return row!.dir;
    });
    await fs.statfs(dir);
    return dir;
  } catch {
    return null;
  }
}

/** The size of database `name` in bytes; null when it is missing, not readable by this role, or the query fails. */
export async function databaseSize(target: TargetDb, name: string): Promise<number | null> {
  return databaseSizes(target, [name]).then(
    (m) => m.get(name) ?? null,
    () => null,
  );
}

/**
 * Every ordinary table of `db` with its row count: count(*) reads every page, so a table that cannot be
 * read fails here. (tableFingerprint would also hash every row, but its one string_agg per table hits
 * PostgreSQL's 1 GB value limit at about 30 million rows: a check must not fail on a big table.)
 */
export async function countRows(target: TargetDb, db: string): Promise<{ table: string; rows: number }[]> {
  assertDbName(db);
  const sql = connectTarget(target, db);
  try {
    const tables = await listUserTables(sql);
    const out: { table: string; rows: number }[] = [];
    for (const t of tables) {
      // t.quoted was quoted by the server (see listUserTables).
      const [row] = await sql.unsafe<{ n: string }[]>(`SELECT count(*)::text AS n FROM ${t.quoted}`);
      out.push({ table: t.display, rows: Number(row!.n) });
    }
    return out;
  } catch (e) {
    throw connectionError(e, target, db);
  } finally {
    await sql.end({ timeout: 5 }).catch(() => {});
  }
}

/** The ordinary tables of `db`, as schema.table. */
export async function listTables(target: TargetDb, db: string): Promise<string[]> {
  const sql = connectTarget(target, db);
  try {
    return (await listUserTables(sql)).map((t) => t.display);
  } finally {
    await sql.end({ timeout: 5 }).catch(() => {});
  }
}

/** Refuses (db_missing) unless database `name` exists on the server. */
export async function assertExists(target: TargetDb, name: string): Promise<void> {
  assertDbName(name);
  if (!(await databaseExists(target, name))) throw new OpError("db_missing", `database "${name}" does not exist on ${target.host}:${target.port}; nothing was changed.`);
}
