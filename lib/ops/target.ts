import postgres from "postgres";
import { assertDbName } from "./identifiers";
import type { PgBouncerAdmin } from "./pgbouncer";

/** Connection parts for an app's database, built by us from validated fields (never a user conninfo string). */
export interface TargetDb {
  host: string;
  port: number;
  user: string;
  password?: string;
  database: string;
  /** The app's PgBouncer admin console, when it has one: the swap then pauses it (lib/ops/swap.ts). */
  pgbouncer?: PgBouncerAdmin;
}

export const MAINTENANCE_DB = "postgres";

/**
 * Environment for pg_dump, pg_restore and psql. The password travels in the child's environment, never in
 * argv; the database name is validated so libpq never parses it as a connection string.
 */
export function pgEnv(t: TargetDb, database = t.database): Record<string, string> {
  assertDbName(database);
  const env: Record<string, string> = {
    PGHOST: t.host,
    PGPORT: String(t.port),
    PGUSER: t.user,
    PGDATABASE: database,
    PGAPPNAME: "lifeboat",
    PGCONNECT_TIMEOUT: "10",
    // Never read a stray ~/.pgpass or service file of the dashboard's user.
    PGPASSFILE: "/dev/null",
    PGSERVICEFILE: "/dev/null",
  };
  if (t.password) env.PGPASSWORD = t.password;
  return env;
}

/** A single-connection client to one database of the target server. Callers end() it. */
export function connectTarget(t: TargetDb, database = t.database, opts: { max?: number } = {}): postgres.Sql {
  assertDbName(database);
  return postgres({
    host: t.host,
    port: t.port,
    user: t.user,
    password: t.password,
    database,
    max: opts.max ?? 1,
    connect_timeout: 10,
    idle_timeout: 5,
    onnotice: () => {},
    connection: { application_name: "lifeboat" },
  });
}

/** For display and logs: the password is never shown. */
export function describeTarget(t: TargetDb): string {
  return `${t.user}:****@${t.host}:${t.port}/${t.database}`;
}

/** Runs fn with a client on the maintenance database, always closing it. */
export async function withMaintenance<T>(t: TargetDb, fn: (sql: postgres.Sql) => Promise<T>): Promise<T> {
  const sql = connectTarget(t, MAINTENANCE_DB);
  try {
    return await fn(sql);
  } finally {
    await sql.end({ timeout: 5 });
  }
}
