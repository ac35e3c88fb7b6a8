import type postgres from "postgres";
import { isBackupOf } from "./backup-names";
import { allDatabases, databaseSizesOn } from "./catalog";
import { assertDbName } from "./identifiers";
import { connectionError } from "./server-info";
import { MAINTENANCE_DB, withMaintenance, type TargetDb } from "./target";

export interface CloneOnServer {
  name: string;
  /** 0 when the user may not connect to it (pg_database_size needs CONNECT). */
  sizeBytes: number;
  allowConnections: boolean;
}

/**
 * Clone backups of `liveDb` that exist on the server, made by Lifeboat or by the seed's backup script
 * (also ones Lifeboat has no row for). Matched in JS with isBackupOf: a LIKE pattern would treat the
 * `_` in names as a wildcard. Newest first (the names end in a timestamp).
 */
export async function listCloneBackupsOnServer(target: TargetDb, liveDb: string): Promise<CloneOnServer[]> {
  assertDbName(liveDb);
  return withMaint(target, async (sql) => {
    const names = (await allDatabases(sql)).filter((d) => isBackupOf(liveDb, d.name));
    if (names.length === 0) return [];
    const sizes = await databaseSizesOn(sql, names.map((n) => n.name));
    return names
      .map((d) => ({ name: d.name, sizeBytes: sizes.get(d.name) ?? 0, allowConnections: d.allow }))
      .sort((a, b) => cloneStamp(b.name).localeCompare(cloneStamp(a.name)) || b.name.localeCompare(a.name));
  });
}

/**
 * Sizes of many databases in one query (the background size refresh: never one query per database per
 * page load). Databases that do not exist, or that the user may not connect to, are absent from the map.
 */

export interface DbStats {
  xactCommit: number;
  tupInserted: number;
  tupUpdated: number;
  tupDeleted: number;
}

/** pg_stat_database counters, kept with a backup: later they say how much was written since it was taken. */
export async function captureDbStats(target: TargetDb, db: string): Promise<DbStats> {
  assertDbName(db);
  return withMaint(target, async (sql) => {
    const [row] = await sql<{ xactCommit: string; tupInserted: string; tupUpdated: string; tupDeleted: string }[]>`
      SELECT xact_commit::text AS "xactCommit", tup_inserted::text AS "tupInserted",
             tup_updated::text AS "tupUpdated", tup_deleted::text AS "tupDeleted"
      FROM pg_stat_database WHERE datname = ${db}`;
    if (!row) return { xactCommit: 0, tupInserted: 0, tupUpdated: 0, tupDeleted: 0 };
    return {
      xactCommit: Number(row.xactCommit),
      tupInserted: Number(row.tupInserted),
      tupUpdated: Number(row.tupUpdated),
      tupDeleted: Number(row.tupDeleted),
    };
  });
}

/** withMaintenance, with connection failures turned into operator messages. */
function withMaint<T>(target: TargetDb, fn: (sql: postgres.Sql) => Promise<T>): Promise<T> {
  return withMaintenance(target, fn).catch((e: unknown) => {
    throw connectionError(e, target, MAINTENANCE_DB);
  });
}

function cloneStamp(name: string): string {
  return name.match(/(\d{8}_\d{6})(?:_(\d+))?$/)?.slice(1).map((p) => (p ?? "").padStart(3, "0")).join("_") ?? "";
}
